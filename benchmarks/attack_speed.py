"""Attack speed of the library against hand-written floors and ART, side by side in one process.

Every path runs in the same process on the same ResNet20 (the committed cpu checkpoint when
present, else random weights; eval mode; each path on its own copy of the weights, so that
one path's ``requires_grad`` or compile state cannot touch another's) and the same real
CIFAR-10 images (foolbox's 20 samples tiled to the batch size). Each path is warmed up once
outside the timed region (that is where ``torch.compile`` compiles; its time is printed),
then the repeats are interleaved (A B C ... A B C ...) so that drift in machine speed hits
every path alike, and the median is reported.

Sections (``--sections``, default all):

* ``pgd``: L∞ PGD (eps 8/255, step 2/255), BIM and FGSM through the library, eager and
  compiled, against the hand-written eager floor (channels_last, frozen parameters,
  ``autograd.grad`` on the input; the floor does not evaluate its result, the library
  records the accuracy and loss of the final point, one more forward pass: the floor with
  that evaluation is shown too), the floor under ``torch.compile``, a plain PyTorch loop
  and ART's own attacks at ``batch_size`` = the batch. Image-steps per second.
* ``queries``: forward-only throughput (what a black-box attack pays per query): torch
  ``inference_mode`` NCHW and channels_last (the floor), ART's stock ``predict`` and the
  library's ``torch_predict``. Images per second.
* ``cw``, ``deepfool``: milliseconds per image on ``--n-small`` images for C&W L2 (fixed c,
  Adam) and DeepFool (nb_grads 10, overshoot 0.02) through the library (eager and
  compiled), a hand-written batched floor and ART at ``batch_size`` = n (never ART's
  default of 1), with the success rate and mean L2 of the library's and ART's results on
  the same inputs.
* ``zoo`` (only when asked for): which zoo architectures compile (ResNet20 vanilla, a
  pruned one, XNOR, ABC-Net; committed weights when present, else random), the graph
  breaks, the largest gradient difference to eager and the compiled/eager speed ratio.

    python benchmarks/attack_speed.py [--quick] [--threads 1] [--json out.json]

Run it pinned (``OMP_NUM_THREADS=1 taskset -c 1``) and say whether other jobs shared the
core: ratios measured in one run are robust to a busy core, absolute rates are not.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from art.attacks.evasion import (
    BasicIterativeMethod,
    CarliniL2Method,
    DeepFool,
    FastGradientMethod,
    ProjectedGradientDescent,
)

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import models as M
from compression_robustness import zoo
from compression_robustness.models import Normalize
from compression_robustness.runtime import estimator as E

EPS, STEP = 8 / 255, 2 / 255
CW_C, CW_LR = 1.0, 0.01
DF_OVERSHOOT, DF_GRADS = 0.02, 10
CL = torch.channels_last


# --------------------------------------------------------------------------- set-up
def load_model(profile: str):
    where = zoo.checkpoint_paths("resnet20-vanilla", profile)
    if where.exists():
        return zoo.get("resnet20-vanilla", profile, train_if_missing=False).model, "trained"
    torch.manual_seed(0)
    return M.build_arch("resnet20").eval(), "random weights"


def frozen_net(model, spec):
    """The floors' network: normalisation + model, channels_last, frozen, eval."""
    net = torch.nn.Sequential(Normalize(spec.mean, spec.std), model).eval()
    net = net.to(memory_format=CL)
    net.requires_grad_(False)
    return net


def time_paths(
    paths: dict[str, Callable[[], object]], repeats: int, once: int | None = None
) -> dict[str, dict]:
    """Warm every path up once (compiles happen here), then time interleaved repeats.

    Paths whose name starts with ``ART`` run only ``once`` timed repeats when given (ART's
    C&W and DeepFool are slow; they need no warm-up beyond the first)."""
    out = {name: {"warmup_s": 0.0, "times": []} for name in paths}
    for name, fn in paths.items():
        t0 = time.perf_counter()
        fn()
        out[name]["warmup_s"] = time.perf_counter() - t0
        print(f"  warmed up {name} in {out[name]['warmup_s']:.1f} s", file=sys.stderr, flush=True)
    for k in range(repeats):
        for name, fn in paths.items():
            if once is not None and name.startswith("ART") and k >= once:
                continue
            t0 = time.perf_counter()
            fn()
            out[name]["times"].append(time.perf_counter() - t0)
    for r in out.values():
        r["median_s"] = statistics.median(r["times"])
    return out


def table(title: str, res: dict, work: float, unit: str, floor: str, per_image=False) -> dict:
    """Print rows of rate (or ms per image) and the ratio to ``floor``; return them."""
    base = res[floor]["median_s"]
    print(f"\n{title}")
    head = "ms/image" if per_image else unit
    print(f"{'path':58s} {head:>12s} {'vs floor':>9s} {'warm-up s':>10s}")
    rows = {}
    for name, r in res.items():
        t = r["median_s"]
        val = 1000 * t / work if per_image else work / t
        ratio = base / t  # > 1 is faster than the floor
        rows[name] = {
            ("ms_per_image" if per_image else unit): round(val, 2),
            "speed_vs_floor": round(ratio, 3),
            "time_vs_floor": round(t / base, 3),
            "warmup_s": round(r["warmup_s"], 1),
            "times_s": [round(x, 3) for x in r["times"]],
        }
        print(f"{name:58s} {val:12.1f} {ratio:9.2f} {r['warmup_s']:10.1f}")
    return rows


# --------------------------------------------------------------------------- PGD / BIM / FGSM
def floor_loop(net, x, y, steps, start=None, evaluate=False):
    """Hand-written L∞ PGD: channels_last, frozen params, autograd.grad on the input."""
    xa = x.clone() if start is None else start.clone()
    lo, hi = (x - EPS).clamp(min=0), (x + EPS).clamp(max=1)
    for _ in range(steps):
        xg = xa.requires_grad_(True)
        loss = F.cross_entropy(net(xg.contiguous(memory_format=CL)), y)
        (g,) = torch.autograd.grad(loss, xg)
        xa = torch.minimum(torch.maximum(xa.detach() + STEP * g.sign(), lo), hi)
    if evaluate:  # what the library records at the last step: accuracy and loss
        with torch.inference_mode():
            z = net(xa.contiguous(memory_format=CL))
            float((z.argmax(1) == y).float().mean()), float(F.cross_entropy(z, y))
    return xa


def plain_loop(net, x, y, steps):
    """The plain PyTorch loop most people write: NCHW, trainable params, loss.backward."""
    xa = x.clone()
    for _ in range(steps):
        xa.requires_grad_(True)
        loss = F.cross_entropy(net(xa), y)
        net.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            xa = torch.min(torch.max(xa + STEP * xa.grad.sign(), x - EPS), x + EPS).clamp(0, 1)
    return xa


def section_pgd(model, spec, x, y, args) -> dict:
    B, S = len(y), args.steps
    xn, yn = x.numpy(), y.numpy()
    copies = {k: copy.deepcopy(model) for k in ("floor", "floor_c", "plain", "art", "lib", "libc")}
    net = frozen_net(copies["floor"], spec)
    cnet = torch.compile(frozen_net(copies["floor_c"], spec), dynamic=False)
    plain = torch.nn.Sequential(Normalize(spec.mean, spec.std), copies["plain"]).eval()
    plain.requires_grad_(True)
    copies["art"].requires_grad_(True)
    art_est = E.stock_classifier(copies["art"], spec)
    start = A.create("pgd", E.make_classifier(copies["lib"], spec), eps=8, alpha=2, max_iter=1)
    x_start = start.random_start(x)  # the library's seeded start, shared by the floors

    def lib(name, compiled, **kw):
        def run():
            est = E.make_classifier(
                copies["libc" if compiled else "lib"], spec, B, compile=compiled
            )
            A.create(name, est, batch_size=B, **kw).generate(xn, yn)
            if compiled:
                status[name] = est.compile_status

        return run

    status: dict[str, str] = {}
    pgd = dict(eps=8.0, alpha=2.0, max_iter=S)
    multi = {
        "eager floor (channels_last, frozen params)": lambda: floor_loop(net, x, y, S, x_start),
        "eager floor + accuracy/loss of the result": lambda: floor_loop(
            net, x, y, S, x_start, evaluate=True
        ),
        "plain loop (NCHW, trainable params, backward)": lambda: plain_loop(plain, x, y, S),
        "ART stock ProjectedGradientDescent": lambda: ProjectedGradientDescent(
            art_est,
            eps=EPS,
            eps_step=STEP,
            max_iter=S,
            num_random_init=1,
            batch_size=B,
            verbose=False,
        ).generate(xn, yn),
        "ART stock BasicIterativeMethod": lambda: BasicIterativeMethod(
            art_est, eps=EPS, eps_step=STEP, max_iter=S, batch_size=B, verbose=False
        ).generate(xn, yn),
        "library PGD, eager": lib("pgd", False, **pgd),
        "library BIM, eager": lib("bim", False, **pgd),
    }
    if args.no_reference:
        for k in [k for k in multi if k.startswith(("plain", "ART"))]:
            del multi[k]
    if not args.no_compile:
        multi["compiled floor (torch.compile)"] = lambda: floor_loop(cnet, x, y, S, x_start)
        multi["library PGD, compiled"] = lib("pgd", True, **pgd)
        multi["library BIM, compiled"] = lib("bim", True, **pgd)
    res = time_paths(multi, args.repeats)
    out = {
        "multi_step": table(
            f"L-inf PGD/BIM, batch {B}, {S} steps (image-steps/s)",
            res,
            B * S,
            "img_steps_per_s",
            "eager floor (channels_last, frozen params)",
        )
    }
    one = {
        "eager floor, 1 step": lambda: floor_loop(net, x, y, 1),
        "eager floor, 1 step + accuracy/loss of the result": lambda: floor_loop(
            net, x, y, 1, evaluate=True
        ),
        "ART stock FastGradientMethod": lambda: FastGradientMethod(
            art_est, norm=np.inf, eps=EPS, batch_size=B
        ).generate(xn, yn),
        "library FGSM, eager": lib("fgsm", False, eps=8.0),
    }
    if not args.no_compile:
        one["compiled floor, 1 step"] = lambda: floor_loop(cnet, x, y, 1)
        one["library FGSM, compiled"] = lib("fgsm", True, eps=8.0)
    res = time_paths(one, max(args.repeats, 3))
    out["fgsm"] = table(
        f"FGSM, batch {B}: one gradient step (images/s)",
        res,
        B,
        "img_steps_per_s",
        "eager floor, 1 step",
    )
    out["compile_status"] = status
    print("library compile status:", status or "not compiled")
    return out


# --------------------------------------------------------------------------- forward only
def section_queries(model, spec, x, y, args) -> dict:
    B = len(y)
    xq = x.repeat(args.query_batches, 1, 1, 1).contiguous()
    xqn = xq.numpy()
    m_cl = frozen_net(copy.deepcopy(model), spec)
    m_nchw = torch.nn.Sequential(Normalize(spec.mean, spec.std), copy.deepcopy(model)).eval()
    stock = E.stock_classifier(copy.deepcopy(model), spec)
    est = E.make_classifier(copy.deepcopy(model), spec, B)

    def batched(net, fmt):
        @torch.inference_mode()
        def run():
            return torch.cat(
                [net(xq[i : i + B].contiguous(memory_format=fmt)) for i in range(0, len(xq), B)]
            )

        return run

    paths = {
        "inference_mode, channels_last (floor)": batched(m_cl, CL),
        "inference_mode, NCHW": batched(m_nchw, torch.contiguous_format),
        "ART stock predict": lambda: stock.predict(xqn, batch_size=B),
        "library torch_predict (black-box attacks' queries)": lambda: est.torch_predict(xq),
        "library predict (ART API)": lambda: est.predict(xqn, batch_size=B),
    }
    res = time_paths(paths, max(args.repeats, 3))
    return table(
        f"Forward only, {len(xq)} images in batches of {B} (images/s)",
        res,
        len(xq),
        "img_per_s",
        "inference_mode, channels_last (floor)",
    )


# --------------------------------------------------------------------------- C&W and DeepFool
def cw_floor(net, x, y, c, steps, lr):
    """Hand-written batched C&W L2 (fixed c, Adam in tanh space, best-so-far)."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    w = torch.atanh((2 * x - 1) * 0.999999)
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    best_l2 = torch.full((len(y),), math.inf)
    best = x.clone()
    onehot = F.one_hot(y, 10).bool()
    for t in range(steps + 1):
        with torch.set_grad_enabled(t < steps):
            wg = w.detach().requires_grad_(t < steps)
            xa = (torch.tanh(wg) + 1) / 2
            z = net(xa.contiguous(memory_format=CL))
            l2 = (xa - x).pow(2).flatten(1).sum(1)
            mg = z.gather(1, y[:, None]).squeeze(1) - z.masked_fill(onehot, -math.inf).amax(1)
        better = (mg.detach() <= 0) & (l2.detach() < best_l2)
        best_l2 = torch.where(better, l2.detach(), best_l2)
        best[better] = xa.detach()[better]
        if t == steps:
            break
        (g,) = torch.autograd.grad((l2 + c * mg.clamp(min=0)).sum(), wg)
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        w = w - lr * (m / (1 - b1 ** (t + 1))) / ((v / (1 - b2 ** (t + 1))).sqrt() + eps)
    return best


def deepfool_floor(net, x, steps, overshoot=DF_OVERSHOOT, k=DF_GRADS):
    """Hand-written batched DeepFool (ART's arithmetic), gradients of active examples only."""

    def grads(xs, cand):
        xg = xs.detach().requires_grad_(True)
        z = net(xg.contiguous(memory_format=CL))
        g = [
            torch.autograd.grad(z.gather(1, cand[:, j : j + 1]).sum(), xg, retain_graph=j < k - 1)[
                0
            ]
            for j in range(k)
        ]
        return z.detach(), torch.stack(g, 1)

    with torch.inference_mode():
        z0 = net(x.contiguous(memory_format=CL))
    cand = z0.topk(k, dim=1).indices.clone()
    khat = cand[:, 0]
    cur = x.clone()
    idx = torch.arange(len(x))
    for step in range(steps):
        if not len(idx):
            break
        z, g = grads(cur[idx], cand[idx])
        if step:  # drop the examples that already changed class
            keep = z.argmax(1) == khat[idx]
            idx, z, g = idx[keep], z[keep], g[keep]
            if not len(idx):
                break
        f = z.gather(1, cand[idx])
        wd, fd = g - g[:, :1], f - f[:, :1]
        val = fd.abs() / (wd.flatten(2).norm(dim=2) + 1e-7)
        val[:, 0] = math.inf
        sel = val.argmin(1)
        ar = torch.arange(len(idx))
        wl = wd[ar, sel]
        r = fd[ar, sel].abs() / (wl.flatten(1).norm(dim=1).pow(2) + 1e-7)
        cur[idx] = (cur[idx] + r.view(-1, 1, 1, 1) * wl).clamp(0, 1)
    return (x + (1 + overshoot) * (cur - x)).clamp(0, 1)


def success_and_l2(est, adv, x, y) -> tuple[float, float]:
    """Success rate among the originally correct, and the mean L2 of the successes."""
    with torch.inference_mode():
        p0 = est.torch_predict(torch.as_tensor(x)).argmax(1).numpy()
        p = est.torch_predict(torch.as_tensor(adv)).argmax(1).numpy()
    ok = p0 == y
    fooled = ok & (p != y)
    l2 = np.sqrt(((np.asarray(adv) - np.asarray(x)) ** 2).reshape(len(x), -1).sum(1))
    return float(fooled.sum() / max(1, ok.sum())), float(l2[fooled].mean()) if fooled.any() else 0.0


def section_small(kind, model, spec, x, y, args) -> dict:
    n = len(y)
    xn, yn = x.numpy(), y.numpy()
    net = frozen_net(copy.deepcopy(model), spec)
    m_art, m_lib, m_libc = (copy.deepcopy(model) for _ in range(3))
    m_art.requires_grad_(True)
    art_est = E.stock_classifier(m_art, spec)
    ref = E.make_classifier(copy.deepcopy(model), spec, n)
    outputs: dict[str, np.ndarray] = {}
    status: dict[str, str] = {}
    if kind == "cw":
        its = args.cw_iter
        params = dict(c=CW_C, max_iter=its, learning_rate=CW_LR)
        title = f"C&W L2, c={CW_C}, lr {CW_LR}, {its} iterations, {n} images (ms/image)"
        floor = lambda: cw_floor(net, x, y, CW_C, its, CW_LR)  # noqa: E731

        def art():
            outputs["ART"] = CarliniL2Method(
                art_est,
                confidence=0.0,
                learning_rate=CW_LR,
                binary_search_steps=1,
                max_iter=its,
                initial_const=CW_C,
                batch_size=n,
                verbose=False,
            ).generate(xn, yn)

        name = "cw_l2"
    else:
        its = args.df_iter
        params = dict(max_iter=its, overshoot=DF_OVERSHOOT, nb_grads=DF_GRADS)
        title = f"DeepFool, {its} iterations, nb_grads {DF_GRADS}, {n} images (ms/image)"
        floor = lambda: deepfool_floor(net, x, its)  # noqa: E731

        def art():
            outputs["ART"] = DeepFool(
                art_est,
                max_iter=its,
                epsilon=DF_OVERSHOOT,
                nb_grads=DF_GRADS,
                batch_size=n,
                verbose=False,
            ).generate(xn)

        name = "deepfool"

    def lib(compiled):
        def run():
            est = E.make_classifier(m_libc if compiled else m_lib, spec, n, compile=compiled)
            outputs["library" + (" compiled" if compiled else "")] = A.create(
                name, est, batch_size=n, **params
            ).generate(xn, yn)
            if compiled:
                status[name] = est.compile_status

        return run

    paths = {
        "eager floor (hand-written, batched)": floor,
        f"ART stock, batch_size={n}": art,
        "library, eager": lib(False),
    }
    if not args.no_compile:
        paths["library, compiled"] = lib(True)
    res = time_paths(paths, args.repeats, once=args.art_repeats)
    rows = table(title, res, n, "", "eager floor (hand-written, batched)", per_image=True)
    agree = {k: success_and_l2(ref, v, xn, yn) for k, v in outputs.items()}
    for k, (s, l2) in agree.items():
        print(f"  {k:20s} success rate {s:.3f}  mean L2 of successes {l2:.4f}")
    if status:
        print("  library compile status:", status)
    return {
        "timing": rows,
        "success_and_mean_l2": {
            k: {"success_rate": s, "mean_l2": l2} for k, (s, l2) in agree.items()
        },
        "compile_status": status,
    }


# --------------------------------------------------------------------------- zoo compile check
ZOO_CHECK = ["resnet20-vanilla", "resnet20-prune-filter", "resnet20-xnor", "resnet20-abc-3x3"]


def section_zoo(spec, x, y, args) -> dict:
    from torch._dynamo.utils import counters

    out = {}
    print(
        "\nWhich zoo models compile (one gradient pass; committed weights, else random; "
        "compiled even where the library's policy keeps the model eager)"
    )
    for name in ZOO_CHECK:
        entry = zoo.ZOO.get(name)
        model = zoo.build(entry, args.profile)
        if zoo.checkpoint_paths(name, args.profile).exists():
            model = zoo.get(name, args.profile, train_if_missing=False).model
            weights = "trained"
        else:
            weights = "random"
        model.eval()
        eager = E.make_classifier(copy.deepcopy(model), spec, len(y), compile=False)
        policy = E.compile_skip_reason(model) or "compiled"
        skip, E.compile_skip_reason = E.compile_skip_reason, lambda m: None  # measure anyway
        try:
            est = E.make_classifier(copy.deepcopy(model), spec, len(y), compile=True)
        finally:
            E.compile_skip_reason = skip
        counters.clear()
        t0 = time.perf_counter()
        g_c, _, _ = est.torch_loss_grad(x, y)
        first = time.perf_counter() - t0
        g_e, _, _ = eager.torch_loss_grad(x, y)
        breaks = int(sum(counters["graph_break"].values()))
        res = time_paths(
            {
                "eager": lambda e=eager: e.torch_loss_grad(x, y),
                "compiled": lambda e=est: e.torch_loss_grad(x, y),
            },
            args.repeats,
        )
        ratio = res["eager"]["median_s"] / res["compiled"]["median_s"]
        out[name] = {
            "weights": weights,
            "status": est.compile_status,
            "library_policy": policy,
            "first_call_s": round(first, 1),
            "graph_breaks": breaks,
            "max_abs_grad_diff": float((g_c - g_e).abs().max()),
            "max_abs_grad": float(g_e.abs().max()),
            "speed_vs_eager": round(ratio, 3),
        }
        r = out[name]
        print(
            f"  {name:24s} {weights:8s} {r['status'][:40]:40s} first call {first:6.1f} s, "
            f"graph breaks {breaks}, max |grad diff| {r['max_abs_grad_diff']:.2e} "
            f"(max |grad| {r['max_abs_grad']:.2e}), compiled/eager speed {ratio:.2f}; "
            f"library: {policy}"
        )
    return out


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--n-small", type=int, default=64, help="images for C&W and DeepFool")
    ap.add_argument("--cw-iter", type=int, default=10)
    ap.add_argument("--df-iter", type=int, default=5)
    ap.add_argument("--query-batches", type=int, default=4)
    ap.add_argument(
        "--art-repeats", type=int, default=None, help="timed repeats of ART's C&W and DeepFool"
    )
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--profile", default="cpu")
    ap.add_argument("--sections", default="pgd,queries,cw,deepfool")
    ap.add_argument("--zoo", action="store_true", help="also check which zoo models compile")
    ap.add_argument("--no-compile", action="store_true", help="skip the compiled paths")
    ap.add_argument(
        "--no-reference", action="store_true", help="skip the plain loop and ART in PGD/BIM"
    )
    ap.add_argument(
        "--quick", action="store_true", help="small sizes, 1 repeat (a smoke run, not a result)"
    )
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args(argv)
    if args.quick:
        args.batch, args.steps, args.repeats = 32, 3, 1
        args.n_small, args.cw_iter, args.df_iter, args.query_batches = 16, 3, 2, 2
    torch.set_num_threads(args.threads)
    spec = D.spec("cifar10")
    s = D.load("cifar10_samples20")

    def tiled(n):
        reps = -(-n // len(s.y))
        return s.x.repeat(reps, 1, 1, 1)[:n].contiguous(), s.y.repeat(reps)[:n]

    model, kind = load_model(args.profile)
    sections = [t.strip() for t in args.sections.split(",") if t.strip()]
    print(
        f"ResNet20 ({kind}), {args.threads} thread(s), median of {args.repeats} interleaved "
        f"repeats, torch {torch.__version__}"
    )
    out = {"config": vars(args), "model": kind, "torch": torch.__version__}
    x, y = tiled(args.batch)
    xs, ys = tiled(args.n_small)
    if "pgd" in sections:
        out["pgd"] = section_pgd(model, spec, x, y, args)
    if "queries" in sections:
        out["queries"] = section_queries(model, spec, x, y, args)
    if "cw" in sections:
        out["cw"] = section_small("cw", model, spec, xs, ys, args)
    if "deepfool" in sections:
        out["deepfool"] = section_small("deepfool", model, spec, xs, ys, args)
    if args.zoo:
        out["zoo"] = section_zoo(spec, *tiled(min(args.batch, 64)), args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return out


if __name__ == "__main__":
    main()
