"""The prepared GPU check (issue 18): one command that fits in 10 minutes on one GPU.

It trains ResNet20 vanilla with the cpu recipe on the GPU (on a packed subset of the
training images: the whole set does not fit the 64 MiB that may travel), recomputes the
PGD chapter's first rerun of every ResNet20 model there and compares it with the committed
CPU cells, times one batch of each white-box attack, and prints a table of the measured
costs with the speed-up over the committed CPU cells.

Three steps (see ``benchmarks/gpu_check.sh``, which runs them in order):

``pack``       (here)  writes ``.gpu/``: the images the check uses (the full-length arrays
                       with every other image zeroed, so that the seeded subsets pick the
                       same images; compressed), the ResNet checkpoints, the committed PGD
                       cells it compares with, and the ART wheel (the device image has
                       PyTorch and ART's dependencies, not ART).
``run``        (there) unpacks ``.gpu/`` into ``$CRS_DATA_DIR`` (default
                       ``/tmp/crs-data``) and runs the check; ``--dry-run`` runs the same
                       code on the CPU with tiny budgets (tested in ``make test``).

The tracked checkpoints and results (about 100 MB) must leave the working tree for the
call; ``gpu_check.sh tree-out`` / ``tree-back`` move them beside the checkout and back.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lib"))
sys.path.insert(0, str(ROOT / "benchmarks"))  # train_speed

#: training images packed for the check (of 50,000; 10,000 fit the travel limit)
TRAIN_IMAGES = 10_000
PROFILE = "cpu"


def _pgd_cfg(dry: bool):
    from compression_robustness.core.params import chapter_parameters
    from compression_robustness.studies.breakingbed import pgd

    prm = {"dataset": "cifar10", "seed": 0, **chapter_parameters(PROFILE, "pgd")}
    prm["profile"] = PROFILE
    if dry:
        prm.update(variants=["vanilla"], n_examples=16, max_iter=2, record_every=1, reruns=1)
    else:
        prm["reruns"] = 1
    return pgd.validate_pgd(**prm)


def pack(out: Path, train_images: int, wheels: bool = True) -> None:
    """Write ``out`` (see the module docstring) from this checkout's data."""
    from compression_robustness import data as D
    from compression_robustness import zoo as Z
    from compression_robustness.evaluate.store import ResultStore
    from compression_robustness.studies.breakingbed import pgd

    cfg = _pgd_cfg(False)
    out.mkdir(parents=True, exist_ok=True)
    recipe = Z.ZOO.get("resnet20-vanilla").recipe(PROFILE)
    for split, keep in (
        ("train", D.subset_indices(50_000, train_images, recipe["seed"])),
        ("test", D.subset_indices(10_000, cfg.n_examples, cfg.seed)),
    ):
        full = D.load("cifar10", split)
        x = np.zeros((len(full.y), 32, 32, 3), np.uint8)
        x[keep] = (full.x[keep].numpy() * 255).round().astype(np.uint8).transpose(0, 2, 3, 1)
        np.savez_compressed(out / f"cifar10_{split}.npz", x=x, y=full.y.numpy(), keep=keep)
    ck = out / "data" / "checkpoints" / PROFILE
    ck.mkdir(parents=True, exist_ok=True)
    for name in cfg.models:
        where = Z.checkpoint_paths(name, PROFILE)
        for p in (where.weights_file(), where.manifest):
            shutil.copy2(p, ck / p.name)
    res = out / "data" / "results" / PROFILE / "pgd"
    res.mkdir(parents=True, exist_ok=True)
    store = ResultStore(PROFILE, "pgd")
    for c in pgd.pgd_cell_configs(cfg):
        if store.has(c):
            shutil.copy2(store.path(c), res / store.path(c).name)
    if wheels:
        import art

        (out / "wheels").mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
             "-d", str(out / "wheels"), f"adversarial-robustness-toolbox=={art.__version__}"],
            check=True,
        )  # fmt: skip
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"packed {out}: {size / 2**20:.1f} MiB (the call may carry about 60 MiB)")


def _unpack(src: Path, data: Path) -> None:
    (data / "cifar10").mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        z = np.load(src / f"cifar10_{split}.npz")
        np.save(data / "cifar10" / f"{split}_x.npy", z["x"])
        np.save(data / "cifar10" / f"{split}_y.npy", z["y"])
    if (src / "data").is_dir():
        shutil.copytree(src / "data", data, dirs_exist_ok=True)


def run(src: Path, dry: bool, out: Path | None) -> dict:
    """The check; returns (and prints) its measurements."""
    import pandas as pd
    import torch

    from compression_robustness import attacks as A
    from compression_robustness import zoo as Z
    from compression_robustness.core.device import device_name, resolve_device
    from compression_robustness.evaluate import cells as C
    from compression_robustness.evaluate.integrity import read_cell
    from compression_robustness.evaluate.store import ResultStore
    from compression_robustness.models import build_arch
    from compression_robustness.runtime import estimator as E
    from compression_robustness.runtime.train import train
    from compression_robustness.studies.breakingbed import pgd

    dev = resolve_device("cpu" if dry else "cuda")
    m: dict = {"device": device_name(dev), "torch": torch.__version__, "dry_run": dry}
    rows = []

    # 1. training: ResNet20 vanilla, the cpu recipe on the packed training images
    recipe = {**Z.ZOO.get("resnet20-vanilla").recipe(PROFILE), "train_subset": TRAIN_IMAGES}
    recipe["test_subset"] = _pgd_cfg(dry).n_examples  # the packed test images
    if dry:
        recipe.update(epochs=1, train_subset=256, test_subset=16)
    torch.manual_seed(recipe["seed"])
    model = build_arch("resnet20", 10, 3)
    info = train(model, recipe, progress=False, device=dev)
    ips = recipe["train_subset"] * info["history"][-1]["epoch"] / info["train_seconds"]
    m["train"] = {
        "images_per_second": round(ips, 1),
        "seconds": info["train_seconds"],
        "epochs": recipe["epochs"],
        "train_images": recipe["train_subset"],
        "test_accuracy_subset": info["test_accuracy"],
    }
    rows.append(("train ResNet20 vanilla (cpu recipe)", f"{ips:.0f} images/s",
                 f"{info['train_seconds']:.1f} s, {recipe['epochs']} epochs of "
                 f"{recipe['train_subset']} images, accuracy {100 * info['test_accuracy']:.1f} % "
                 f"on {recipe['test_subset']} test images"))  # fmt: skip

    # 1b. training images/s per mode (eager fp32, bf16 autocast, compiled bf16), as ratios
    import train_speed as TS

    modes = TS.MODES[:2] if dry else TS.MODES  # a CPU compile takes minutes: not in a dry run
    m["train_modes"] = {}
    for fam in ("ResNet20", "ResNet56", "XNOR ResNet20"):
        build, shape, batch = TS.FAMILIES[fam]
        batch = 4 if dry else batch  # bf16 is emulated (slow) on CPUs without AVX-512-BF16
        ips_m = {}
        for mode in modes:
            try:
                ips_m[mode] = TS.images_per_second(build, shape, batch, mode, 1 if dry else 20, dev)
            except Exception as exc:  # noqa: BLE001 - a mode that cannot run is reported
                ips_m[mode] = float("nan")
                print(f"  {fam} {mode}: {type(exc).__name__}: {str(exc)[:160]}")
        m["train_modes"][fam] = ips_m
        rows.append((f"train step {fam}, batch {batch}",
                     " / ".join(f"{v:.0f}" for v in ips_m.values()) + " images/s",
                     " / ".join(modes) + "; ratios to fp32 "
                     + " ".join(f"{v / ips_m['fp32']:.2f}x" for v in ips_m.values())))  # fmt: skip

    # 2. the PGD chapter's cells, against the committed CPU ones
    cfg = _pgd_cfg(dry)
    store = ResultStore(PROFILE, "pgd")
    comp = []
    os.environ["CRS_DEVICE"] = str(dev)
    for c in pgd.pgd_cell_configs(cfg):
        t0 = time.perf_counter()
        new = pgd._pgd_cell(c, PROFILE, cfg.batch_size)
        wall = time.perf_counter() - t0
        if store.has(c):
            ref = read_cell(store.path(c))
            ref_wall = float(ref["wall_seconds"].iloc[0])
            origin = "committed CPU cell"
        else:  # dry run: the same cell again on the CPU, in this process
            os.environ["CRS_DEVICE"] = "cpu"
            t1 = time.perf_counter()
            ref = pgd._pgd_cell(c, PROFILE, cfg.batch_size)
            ref_wall = time.perf_counter() - t1
            os.environ["CRS_DEVICE"] = str(dev)
            origin = "CPU, recomputed"
        a = new.sort_values("iterations")["accuracy"].to_numpy()
        b = ref.sort_values("iterations")["accuracy"].to_numpy()
        comp.append(
            {"model": c["model"], "max |Δ accuracy| (points)": float(100 * np.abs(a - b).max()),
             "device s": round(wall, 2), "CPU s": round(ref_wall, 2), "reference": origin}
        )  # fmt: skip
    cmp = pd.DataFrame(comp)
    m["pgd"] = cmp.to_dict("records")
    speed = cmp["CPU s"].sum() / max(cmp["device s"].sum(), 1e-9)
    rows.append(("PGD chapter, rerun 0 of every model", f"{speed:.1f}x the CPU",
                 f"{len(cmp)} cells, {cmp['device s'].sum():.1f} s; largest accuracy "
                 f"difference {cmp['max |Δ accuracy| (points)'].max():.2f} points"))  # fmt: skip

    # 3. one batch of each white-box attack on ResNet20 vanilla
    zm = Z.get("resnet20-vanilla", PROFILE, train_if_missing=False, progress=False)
    est = E.classifier_for(zm, batch_size=cfg.batch_size)
    sub = C.subset("cifar10", "test", cfg.n_examples, cfg.seed)
    x, y = sub.x.numpy(), sub.y.numpy()
    budgets = {"fgsm": {"eps": 2.0}, "pgd": {"eps": 2.0, "alpha": 0.5, "max_iter": 10},
               "cw_l2": {"c": 1.0, "max_iter": 10}, "deepfool": {"max_iter": 10}}  # fmt: skip
    m["attacks"] = {}
    for name, kw in budgets.items():
        t0 = time.perf_counter()
        A.create(name, est, **kw).generate(x, y)
        s = time.perf_counter() - t0
        m["attacks"][name] = round(s, 3)
        rows.append((f"attack {name}", f"{len(y) / s:.0f} images/s", json.dumps(kw)))

    # 4. the gpu and paper profiles' wall time on this device, estimated from the rates above
    pgd_rate = len(y) * budgets["pgd"]["max_iter"] / m["attacks"]["pgd"]  # image-gradients/s
    est = pd.concat(
        [estimate(p, ips, pgd_rate, speed) for p in ("gpu", "paper")], ignore_index=True
    )
    m["estimate"] = est.to_dict("records")

    table = pd.DataFrame(rows, columns=["what", "rate", "details"])
    print(f"GPU check on {m['device']} (torch {m['torch']}{', dry run' if dry else ''})")
    print(table.to_string(index=False))
    print(cmp.to_string(index=False))
    print(f"Estimated wall time on {m['device']} (one device, serial; see `estimate`):")
    print(est.to_string(index=False))
    for p, hours in est.groupby("profile")["hours"].sum().items():
        print(f"  {p}: about {hours:.1f} h in all")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "gpu_check.json").write_text(json.dumps(m, indent=1, default=str))
    return m


#: the test-set size a chapter's ``n_examples: null`` (all) means (CIFAR-10, MNIST)
FULL_TEST = 10_000
#: training-set sizes, for recipes that train on the whole set
N_TRAIN = {"cifar10": 50_000, "mnist": 60_000, "fashion_mnist": 60_000, "mnist56": 60_000}


def _macs(arch: str, dataset: str) -> float:
    """Multiply-accumulates of one forward pass of the uncompressed ``arch`` (binarised and
    pruned variants run the same dense convolutions on a GPU)."""
    from compression_robustness import data as D
    from compression_robustness.models import build_arch
    from compression_robustness.runtime.costs import model_costs

    spec = D.spec(dataset)
    c = model_costs(build_arch(arch, spec.num_classes, spec.shape[0]).eval(), spec.shape)
    return float(c["fp_macs"] + c["binary_macs"])


def estimate(profile: str, train_ips: float, pgd_rate: float, cell_speedup: float):
    """An estimate, not a measurement, of ``profile``'s wall time on the measured device:

    * training: every zoo model the profile trains, epochs x training images, at the
      measured ResNet20 training rate scaled by forward MACs (small models are
      latency-bound on a GPU, so theirs is a lower bound; KD's teacher pass is left out);
    * the PGD chapter: models x reruns x images x (iterations + 1) gradients at the measured
      ResNet20 PGD rate, scaled by MACs;
    * every other chapter: its committed ``cpu`` cell minutes (one CPU thread) divided by
      the measured speed-up of the PGD cells, scaled by the profile's test images over the
      cpu profile's where both are stated (grids and iterations taken as in ``cpu``).
    """
    import pandas as pd

    from compression_robustness import book
    from compression_robustness import zoo as Z
    from compression_robustness.core.params import chapter_parameters, recipe_profile
    from compression_robustness.studies.breakingbed import pgd

    base = _macs("resnet20", "cifar10")
    macs: dict[tuple[str, str], float] = {}
    train_s, n_models = 0.0, 0
    for name in Z.ZOO.names():
        e = Z.ZOO.get(name)
        if recipe_profile(profile) not in e.profiles:
            continue
        r = e.schedule(profile)
        images = r.get("train_subset") or N_TRAIN.get(e.dataset, 50_000)
        key = (e.arch, e.dataset)
        macs.setdefault(key, _macs(*key))
        train_s += r["epochs"] * images * macs[key] / base / train_ips
        n_models += 1
    rows = [
        (
            profile,
            "training",
            n_models,
            train_s / 3600,
            f"{n_models} zoo models at {train_ips:.0f} ResNet20 images/s, scaled by MACs",
        )
    ]
    prm = chapter_parameters(profile, "pgd")
    cfg = pgd.validate_pgd(**{"dataset": "cifar10", "seed": 0, **prm, "profile": profile})
    n = cfg.n_examples or 10_000
    grads = sum(
        cfg.reruns * n * (cfg.max_iter + 1) * _macs(Z.ZOO.get(mdl).arch, "cifar10") / base
        for mdl in cfg.models
    )
    rows.append((profile, "pgd", len(cfg.models), grads / pgd_rate / 3600,
                 f"{grads:.3g} ResNet20-equivalent gradients at {pgd_rate:.0f}/s"))  # fmt: skip
    cpu = book.compute_summary("cpu")
    for _, row in cpu.iterrows():
        ch = row["chapter"]
        if ch in ("pgd", "zoo") or row["cell_minutes"] <= 0:
            continue
        scale = 1.0
        try:
            a = chapter_parameters(profile, ch).get("n_examples")
            b = chapter_parameters("cpu", ch).get("n_examples")
        except Exception:  # noqa: BLE001 - a chapter with no section of its own
            a = b = None
        a = FULL_TEST if a is None and b is not None else a  # None: the whole test set
        if isinstance(a, int | float) and isinstance(b, int | float) and b:
            scale = a / b
        hours = row["cell_minutes"] * scale / cell_speedup / 60
        rows.append((profile, ch, int(row["cells"]), hours,
                     f"cpu {row['cell_minutes']:.0f} CPU-min x {scale:.3g} (test images) / "
                     f"{cell_speedup:.1f}x"))  # fmt: skip
    return pd.DataFrame(rows, columns=["profile", "part", "models or cells", "hours", "basis"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--out", type=Path, default=ROOT / ".gpu")
    p.add_argument("--train-images", type=int, default=TRAIN_IMAGES)
    p.add_argument("--no-wheels", action="store_true", help="skip the ART wheel (tests)")
    r = sub.add_parser("run")
    r.add_argument("--src", type=Path, default=ROOT / ".gpu")
    r.add_argument("--dry-run", action="store_true")
    r.add_argument(
        "--out", type=Path, default=Path(os.environ["OUT"]) if "OUT" in os.environ else None
    )
    a = ap.parse_args(argv)
    if a.cmd == "pack":
        pack(a.out, a.train_images, wheels=not a.no_wheels)
        return
    if not a.dry_run:
        data = Path(os.environ.setdefault("CRS_DATA_DIR", "/tmp/crs-data"))
        os.environ.setdefault("CRS_OFFLINE", "1")
        _unpack(a.src, data)
    run(a.src, a.dry_run, a.out)


if __name__ == "__main__":
    main()
