"""Training throughput per model family, in one process: eager float32, eager bfloat16
autocast, and compiled (``torch.compile``) bfloat16, all channels_last, as images/s and as
ratios to eager float32. One training step is forward, loss, backward and an SGD step on a
fixed random batch (the images' content does not change the speed).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_speed.py [--steps 10] [--json out.json]

Time it on a quiet core: numbers taken beside other jobs are not comparable.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
import torch.nn.functional as F

from compression_robustness import compression as K
from compression_robustness import models as M
from compression_robustness.models.mnist import GallowayCNN

#: family -> (builder of the raw model, input shape, batch size)
FAMILIES = {
    "ResNet20": (lambda: M.build_arch("resnet20", 10, 3), (3, 32, 32), 128),
    "ResNet56": (lambda: M.build_arch("resnet56", 10, 3), (3, 32, 32), 128),
    "XNOR ResNet20": (
        lambda: K.create("xnor").build(M.build_arch("resnet20", 10, 3)),
        (3, 32, 32),
        128,
    ),
    "ABC 5x5 ResNet20": (
        lambda: K.create("abc-5x5").build(M.build_arch("resnet20", 10, 3)),
        (3, 32, 32),
        128,
    ),
    "Galloway K=256": (lambda: GallowayCNN(256, "a"), (1, 28, 28), 64),
    "Cheng ResNet-50": (lambda: M.build_arch("m56_resnet50", 10, 1), (1, 56, 56), 64),
}
MODES = ("fp32", "bf16", "compiled bf16")


def images_per_second(
    build, shape, batch: int, mode: str, steps: int, device: str | torch.device = "cpu"
) -> float:
    """Training images per second of one mode, after 3 warm-up steps (and the compile)."""
    dev = torch.device(device)
    torch.manual_seed(0)
    model = build().to(dev, memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(batch, *shape, device=dev).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,), device=dev)
    fwd = torch.compile(model) if mode == "compiled bf16" else model

    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=mode != "fp32"):
            loss = F.cross_entropy(fwd(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    for _ in range(3):  # warm-up (and compilation)
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return batch * steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--families", nargs="*", default=list(FAMILIES))
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    print(f"threads: {torch.get_num_threads()}")
    print(f"{'family':18s} " + " ".join(f"{m:>15s}" for m in MODES) + "   ratios to fp32")
    for fam in args.families:
        build, shape, batch = FAMILIES[fam]
        ips = {}
        for mode in MODES:
            try:
                ips[mode] = images_per_second(build, shape, batch, mode, args.steps)
            except Exception as exc:  # noqa: BLE001 - a mode that cannot run is reported
                print(f"  {fam} {mode}: {type(exc).__name__}: {str(exc)[:120]}")
                ips[mode] = float("nan")
        ratios = {m: ips[m] / ips["fp32"] for m in MODES}
        print(
            f"{fam:18s} "
            + " ".join(f"{ips[m]:13.0f}/s" for m in MODES)
            + "   "
            + " ".join(f"{ratios[m]:.2f}x" for m in MODES[1:])
        )
        rows.append({"family": fam, "batch": batch, "images_per_s": ips, "ratio_to_fp32": ratios})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {"threads": torch.get_num_threads(), "steps": args.steps, "rows": rows},
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
