"""Zhao et al. (SysML 2019), "To compress or not to compress": compressed LeNet5 and
CifarNet, and the transferability chapter's cells.

Compression (applied to a trained baseline, then fine-tuned):

* **DNS** (Guo et al. 2016) fine-grained pruning: every conv/linear weight keeps its full
  value ``W`` and a 0/1 mask ``T`` (a buffer ``dns_mask``); the forward pass uses ``W·T``
  and the backward pass updates ``W`` everywhere (straight through the mask), so a pruned
  weight can grow back. Every ``every`` optimiser steps each layer's mask follows the
  two-threshold rule of :mod:`compression_robustness.compression.dns` around the magnitude
  quantile that keeps the target density (the same density in every layer). Biases are
  not pruned.
* **Fixed point** (:mod:`compression_robustness.compression.quantize`): conv/linear
  weights and every layer's output activations are rounded to ``bits`` total and
  ``int_bits`` integer bits (the paper's: 1 at 4 bits, 2 at 8, else 4), straight-through
  in the backward pass. Biases and batch-norm parameters stay in floating point.

The chapter's cells: the three scenarios (compressed→compressed, baseline→compressed,
compressed→baseline) for IFGSM, IFGM and DeepFool; the LeNet5 ε × iterations grid;
weight and activation distributions and measured densities.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.attacks import transfer as T
from compression_robustness.compression.dns import DNSConv2d, DNSLinear, measured_density
from compression_robustness.compression.fixed_point import FixedPointConv2d, FixedPointLinear
from compression_robustness.core.params import (
    BATCH_SIZE,
    SEED,
    Param,
    check_choices,
    check_params,
    check_profile,
)
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import Unit
from compression_robustness.evaluate import cells as C
from compression_robustness.evaluate.claims import Estimate
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.models.quant import ActivationQuantizer, fake_quantize
from compression_robustness.models.trace import weight_layers
from compression_robustness.runtime import estimator as E
from compression_robustness.zoo.entries.zhao import BITWIDTHS, DNS_DENSITIES, ZHAO_ARCHS


# --------------------------------------------------------------------------- layers
# --------------------------------------------------------------------------- chapter
@dataclass(frozen=True)
class TransferConfig:
    profile: str
    archs: list[str]
    densities: dict[str, list[int]]  # arch -> DNS densities (percent)
    bits: dict[str, list[int]]  # arch -> bitwidths
    n_examples: dict[str, int | None]  # arch -> test images
    step: float  # IFGSM/IFGM step, [0, 1] units
    iterations: int
    deepfool_iter: int
    deepfool_grads: int
    grid_eps: list[float]
    grid_iterations: list[int]
    seed: int
    batch_size: int
    ifgm_readings: list[str] = dataclasses.field(default_factory=list)
    readings_eps: list[float] = dataclasses.field(default_factory=list)

    def models(self, arch: str) -> list[str]:
        return (
            [f"{arch}-base"]
            + [f"{arch}-dns{d}" for d in self.densities[arch]]
            + [f"{arch}-q{b}" for b in self.bits[arch]]
        )


ATTACKS_ZHAO = ("ifgsm", "ifgm", "deepfool")

#: IFGM's step read three ways: Zhao et al. define it as ``N = ε ∇J`` (Algorithm 1 with the
#: sign dropped) without saying how ``J`` is reduced over a batch, and cleverhans' FGM, which
#: Kurakin et al.'s iterative FGM follows, normalises the gradient instead. The chapter's
#: main cells use ``l2``.
IFGM_READINGS = {
    "l2": {"normalise": True},
    "raw-sum": {"normalise": False, "loss_reduction": "sum"},
    "raw-mean": {"normalise": False, "loss_reduction": "mean"},
}
READING_TEXT = {
    "l2": "L2-normalised steps: N = ε ∇J / ‖∇J‖₂ (this chapter's cells)",
    "raw-sum": "raw steps N = ε ∇J, J each example's own cross-entropy (Algorithm 1 read literally)",
    "raw-mean": "raw steps N = ε ∇J, J the batch-mean cross-entropy",
}


#: the chapter's parameters besides the architectures (the notebook holds the defaults)
PARAMS = {
    **{
        f"{a}_densities": Param(
            list,
            f"DNS densities of {a}, percent of weights kept",
            each=int,
            nonempty=True,
            choices=DNS_DENSITIES,
        )
        for a in ("lenet", "cifar")
    },
    **{
        f"{a}_bits": Param(
            list, f"fixed-point bitwidths of {a}", each=int, nonempty=True, choices=BITWIDTHS
        )
        for a in ("lenet", "cifar")
    },
    "n_mnist": Param(int, "MNIST test images attacked; None: all", min=1, nullable=True),
    "n_cifar": Param(int, "CIFAR-10 test images attacked; None: all", min=1, nullable=True),
    "step": Param(float, "IFGSM/IFGM step", Unit.UNIT_INTERVAL, min=0, strict_min=True, max=1),
    "iterations": Param(int, "IFGSM/IFGM iterations", min=1),
    "deepfool_iter": Param(int, "DeepFool's iteration cap", min=1),
    "deepfool_grads": Param(int, "classes DeepFool linearises towards", min=2, max=10),
    "grid_eps": Param(
        list,
        "IFGSM steps of the LeNet5 grid",
        Unit.UNIT_INTERVAL,
        min=0,
        strict_min=True,
        max=1,
        each=float,
        nonempty=True,
    ),  # fmt: skip
    "grid_iterations": Param(list, "IFGSM iterations of the grid", min=1, each=int, nonempty=True),
    "ifgm_readings": Param(
        list, "readings of IFGM's step compared on LeNet5", choices=tuple(IFGM_READINGS)
    ),
    "readings_eps": Param(
        list,
        "IFGM's ε of the readings comparison (an L2 norm in [0, 1] units for l2, a multiplier "
        "of the gradient for raw-sum and raw-mean)",
        min=0,
        strict_min=True,
        each=float,
    ),
    "seed": SEED,
    "batch_size": BATCH_SIZE,
}


def validate_transferability(
    profile: str,
    archs: list,
    lenet_densities: list,
    lenet_bits: list,
    cifar_densities: list,
    cifar_bits: list,
    n_mnist: int | None,
    n_cifar: int | None,
    step: float,
    iterations: int,
    deepfool_iter: int,
    deepfool_grads: int,
    grid_eps: list,
    grid_iterations: list,
    seed: int,
    batch_size: int,
    ifgm_readings: list = (),
    readings_eps: list = (),
) -> TransferConfig:
    """Check the chapter's parameters (a :class:`ConfigError` naming the bad one)."""
    check_profile(profile)

    check_params(PARAMS, locals())
    archs = check_choices("archs", archs, list(ZHAO_ARCHS))
    for name, n, dataset in (("n_mnist", n_mnist, "mnist"), ("n_cifar", n_cifar, "cifar10")):
        D.check_subset_size(name, n, dataset)
    return TransferConfig(
        profile,
        archs,
        {"lenet5": list(lenet_densities), "cifarnet": list(cifar_densities)},
        {"lenet5": list(lenet_bits), "cifarnet": list(cifar_bits)},
        {"lenet5": n_mnist, "cifarnet": n_cifar},
        float(step),
        iterations,
        deepfool_iter,
        deepfool_grads,
        [float(e) for e in grid_eps],
        sorted(int(i) for i in grid_iterations),
        seed,
        batch_size,
        list(ifgm_readings),
        sorted(float(e) for e in readings_eps),
    )


def model_info(name: str) -> dict[str, Any]:
    """``arch, compression, density, bits`` of a Zhao zoo model, from its name."""
    arch, variant = name.split("-", 1)
    if variant.startswith("dns"):
        return {"arch": arch, "compression": "dns", "density": int(variant[3:]) / 100, "bits": 32}
    if variant.startswith("q"):
        return {
            "arch": arch,
            "compression": "fixed_point",
            "density": 1.0,
            "bits": int(variant[1:]),
        }
    return {"arch": arch, "compression": "none", "density": 1.0, "bits": 32}


def _estimator(name: str, profile: str, batch_size: int):
    return E.classifier_for(C.zoo_model(name, profile), batch_size)


def build_attack(attack: str, est, cfg: TransferConfig, step: float | None = None, iters=None):
    """The chapter's attacks, in [0, 1] units: IFGSM (L∞ steps of ``step``, total bound
    ``iters * step`` so only [0, 1] clipping binds), IFGM (L2 steps of ``step``) and
    DeepFool (L2, overshoot 0.02, each example stops once its prediction changes;
    linearised towards the ``deepfool_grads`` top-scoring classes)."""
    step = cfg.step if step is None else step
    iters = cfg.iterations if iters is None else iters
    if attack == "ifgsm":
        return A.create("ifgsm", est, step=step, max_iter=iters, batch_size=cfg.batch_size)
    if attack == "ifgm":
        return A.create("ifgm", est, eps=step, max_iter=iters, batch_size=cfg.batch_size)
    if attack == "deepfool":
        return A.create(
            "deepfool",
            est,
            max_iter=cfg.deepfool_iter,
            nb_grads=cfg.deepfool_grads,
            batch_size=cfg.batch_size,
        )
    raise ConfigError(f"unknown attack {attack!r}; valid: {ATTACKS_ZHAO}")


@functools.lru_cache(maxsize=64)
def _adversarial(source, attack, profile, n, seed, step, iters, deepfool_iter, grads, batch_size):
    """The adversarial examples of ``source`` (kept in memory: each is reused by the
    cells that evaluate them on other targets)."""
    cfg = TransferConfig(
        profile, [], {}, {}, {}, step, iters, deepfool_iter, grads, [], [], seed, batch_size
    )
    sub = C.subset(ZHAO_ARCHS[source.split("-")[0]], "test", n, seed)
    atk = build_attack(attack, _estimator(source, profile, batch_size), cfg)
    return T.generate(atk, sub.x, sub.y)


def transfer_cells(cfg: TransferConfig) -> list[dict[str, Any]]:
    """One cell per (source, target, attack): the three scenarios plus baseline→baseline."""

    out = []
    for arch in cfg.archs:
        base = f"{arch}-base"
        for m in cfg.models(arch):
            pairs = [(m, m)] if m == base else [(m, m), (base, m), (m, base)]
            for src, tgt in pairs:
                for atk in ATTACKS_ZHAO:
                    out.append(
                        {
                            "kind": "transfer",
                            "source": src,
                            "target": tgt,
                            "source_sha256": Z.checkpoint_sha(src, cfg.profile),
                            "target_sha256": Z.checkpoint_sha(tgt, cfg.profile),
                            "dataset": ZHAO_ARCHS[arch],
                            "attack": atk,
                            **A.cell_version(atk),
                            "step": cfg.step,
                            "iterations": cfg.iterations
                            if atk != "deepfool"
                            else cfg.deepfool_iter,
                            "n_examples": cfg.n_examples[arch],
                            "subset_seed": cfg.seed,
                        }
                    )
    return out


def _scenario(src: str, tgt: str) -> str:
    if src == tgt:
        return "baseline" if src.endswith("-base") else "compressed->compressed"
    return "baseline->compressed" if src.endswith("-base") else "compressed->baseline"


def _transfer_cell(cell: dict[str, Any], cfg: TransferConfig) -> pd.DataFrame:
    x_adv = _adversarial(
        cell["source"],
        cell["attack"],
        cfg.profile,
        cell["n_examples"],
        cell["subset_seed"],
        cfg.step,
        cfg.iterations,
        cfg.deepfool_iter,
        cfg.deepfool_grads,
        cfg.batch_size,
    )
    sub = C.subset(cell["dataset"], "test", cell["n_examples"], cell["subset_seed"])
    target = {cell["target"]: _estimator(cell["target"], cfg.profile, cfg.batch_size)}
    rows = T.transfer_rows(sub.x, sub.y, x_adv, target, cfg.batch_size)
    compressed = cell["target"] if not cell["target"].endswith("-base") else cell["source"]
    for r in rows:
        r.update(
            {
                "scenario": _scenario(cell["source"], cell["target"]),
                "compressed_model": compressed,
                **model_info(compressed),
            }
        )
    return pd.DataFrame(rows)


def grid_cells(cfg: TransferConfig) -> list[dict[str, Any]]:
    """LeNet5 ε × iterations: IFGSM on the baseline, evaluated on the baseline and on the
    sparsest DNS and the narrowest fixed-point LeNet5 of the profile (Fig. 3)."""

    if "lenet5" not in cfg.archs:
        return []
    base = _lenet5_cell_base(cfg, "grid", "ifgsm")
    return [
        {
            **base,
            "step": e,
            "iterations": it,
            "n_examples": cfg.n_examples["lenet5"],
            "subset_seed": cfg.seed,
        }
        for e in cfg.grid_eps
        for it in cfg.grid_iterations
    ]


def _from_lenet5_base(cell: dict[str, Any], cfg: TransferConfig, build) -> pd.DataFrame:
    """Examples crafted on the LeNet5 baseline by ``build(estimator)``, evaluated on the
    cell's targets."""
    sub = C.subset("mnist", "test", cell["n_examples"], cell["subset_seed"])
    atk = build(_estimator("lenet5-base", cfg.profile, cfg.batch_size))
    x_adv = T.generate(atk, sub.x, sub.y)
    targets = {t: _estimator(t, cfg.profile, cfg.batch_size) for t in cell["targets"]}
    rows = T.transfer_rows(sub.x, sub.y, x_adv, targets, cfg.batch_size)
    for r in rows:
        r.update(model_info(r["target"]))
    return pd.DataFrame(rows)


def _lenet5_cell_base(cfg: TransferConfig, kind: str, attack: str) -> dict[str, Any]:
    """The fields shared by the cells whose examples come from the LeNet5 baseline."""
    targets = _grid_targets(cfg)
    return {
        "kind": kind,
        "source": "lenet5-base",
        "targets": targets,
        "target_sha256": [Z.checkpoint_sha(t, cfg.profile) for t in targets],
        "dataset": "mnist",
        "attack": attack,
    }


def _grid_cell(cell: dict[str, Any], cfg: TransferConfig) -> pd.DataFrame:
    return _from_lenet5_base(
        cell,
        cfg,
        lambda est: build_attack("ifgsm", est, cfg, step=cell["step"], iters=cell["iterations"]),
    )


def _grid_targets(cfg: TransferConfig) -> list[str]:
    return [
        "lenet5-base",
        f"lenet5-dns{min(cfg.densities['lenet5'])}",
        f"lenet5-q{min(cfg.bits['lenet5'])}",
    ]


def reading_cells(cfg: TransferConfig) -> list[dict[str, Any]]:
    """LeNet5: IFGM on the baseline under each reading of its step (:data:`IFGM_READINGS`)
    and each ε of ``readings_eps``, at the chapter's iterations, evaluated on the grid's
    targets."""
    if "lenet5" not in cfg.archs or not cfg.ifgm_readings or not cfg.readings_eps:
        return []
    base = _lenet5_cell_base(cfg, "ifgm_reading", "ifgm")
    return [
        {
            **base,
            **A.cell_version("ifgm"),
            "reading": r,
            "step": e,
            "iterations": cfg.iterations,
            "n_examples": cfg.n_examples["lenet5"],
            "subset_seed": cfg.seed,
        }
        for r in cfg.ifgm_readings
        for e in cfg.readings_eps
    ]


def _reading_cell(cell: dict[str, Any], cfg: TransferConfig) -> pd.DataFrame:
    def build(est):
        return A.create(
            "ifgm",
            est,
            eps=cell["step"],
            max_iter=cell["iterations"],
            batch_size=cfg.batch_size,
            **IFGM_READINGS[cell["reading"]],
        )

    return _from_lenet5_base(cell, cfg, build)


def readings_table(readings: pd.DataFrame) -> pd.DataFrame:
    """One row per (reading, ε): the perturbation's mean L2 size and each target's accuracy
    with its 95% Wilson interval."""
    if readings.empty:
        return pd.DataFrame()
    out = []
    for (r, e), g in readings.groupby(["reading", "step"], sort=False):
        row = {
            "reading": r,
            "ε": f"{e:g}",
            "mean L2 of the perturbation ([0, 1] units)": round(float(g["mean_l2"].iloc[0]), 3),
        }
        for _, t in g.iterrows():
            est = Estimate.accuracy(float(t["accuracy"]), int(t["n_examples"]))
            row[f"{t['target']} (%)"] = f"{est.value:.1f} [{est.lo:.1f}, {est.hi:.1f}]"
        out.append(row)
    order = {k: i for i, k in enumerate(IFGM_READINGS)}
    df = pd.DataFrame(out)
    return df.sort_values(
        ["reading", "ε"], key=lambda c: c.map(order) if c.name == "reading" else c.astype(float)
    )


N_QUANTILES = 201


def stats_cells(cfg: TransferConfig) -> list[dict[str, Any]]:
    """Per compressed model: measured density, and weight/activation quantiles (Fig. 5)."""

    return [
        {
            "kind": "stats",
            "model": m,
            "sha256": Z.checkpoint_sha(m, cfg.profile),
            "dataset": ZHAO_ARCHS[arch],
            "n_activation_images": 64,
            "n_quantiles": N_QUANTILES,
        }
        for arch in cfg.archs
        for m in cfg.models(arch)
    ]


def _effective_weights(m: nn.Module) -> torch.Tensor:
    w = m.weight.detach()
    if isinstance(m, DNSConv2d | DNSLinear):
        w = w * m.dns_mask
    if isinstance(m, FixedPointConv2d | FixedPointLinear):
        w = fake_quantize(w, m.bits, m.int_bits)
    return w.flatten()


def _stats_cell(cell: dict[str, Any], cfg: TransferConfig) -> pd.DataFrame:
    zm = C.zoo_model(cell["model"], cfg.profile)
    model = zm.model.eval()
    weights = torch.cat([_effective_weights(m) for m in weight_layers(model)])
    acts: list[torch.Tensor] = []
    quant = [m for m in model.modules() if isinstance(m, ActivationQuantizer)]
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    hooked = quant or relus
    handles = [h.register_forward_hook(lambda _m, _i, o: acts.append(o.flatten())) for h in hooked]
    sub = C.subset(cell["dataset"], "test", cell["n_activation_images"], 0)
    with torch.inference_mode():
        E.classifier_for(zm).torch_predict(sub.x)
    for h in handles:
        h.remove()
    a = torch.cat(acts)
    p = torch.linspace(0, 1, cell["n_quantiles"])

    def q(t: torch.Tensor) -> np.ndarray:
        t = t.detach().float().cpu()  # the model may sit on a GPU (an estimator moved it)
        if len(t) > 2_000_000:  # quantile of a seeded sample of very large tensors
            g = torch.Generator().manual_seed(0)
            t = t[torch.randint(len(t), (2_000_000,), generator=g)]
        return torch.quantile(t, p).numpy()

    info = model_info(cell["model"])
    rows = []
    for kind, t in (("weights", weights), ("activations", a)):
        vals = q(t)
        rows += [
            {"kind": kind, "p": float(pp), "value": float(v)} for pp, v in zip(p, vals, strict=True)
        ]
    df = pd.DataFrame(rows)
    df["model"] = cell["model"]
    df["measured_density"] = measured_density(model)
    df["test_accuracy"] = zm.accuracy
    for k, v in info.items():
        df[k] = v
    return df


def run_transferability(cfg: TransferConfig, progress: bool = True) -> dict[str, pd.DataFrame]:
    """Compute (or read back) every cell; returns ``{"transfer", "grid", "readings",
    "stats"}`` tables."""
    names = [m for arch in cfg.archs for m in cfg.models(arch)]
    Z.train_missing(names, cfg.profile, progress=progress)  # once, ahead of the cells
    store = ResultStore(cfg.profile, "transferability")
    out = {}
    for kind, cells, fn in (
        ("transfer", transfer_cells(cfg), _transfer_cell),
        ("grid", grid_cells(cfg), _grid_cell),
        ("readings", reading_cells(cfg), _reading_cell),
        ("stats", stats_cells(cfg), _stats_cell),
    ):
        out[kind] = store.cells(
            cells, lambda c, fn=fn: fn(c, cfg), desc=f"transferability {kind}", progress=progress
        )
    store.table()
    return out


def model_table(cfg: TransferConfig) -> pd.DataFrame:
    """Accuracy, parameters and training time of every model, from the manifests only."""

    rows = []
    for arch in cfg.archs:
        for m in cfg.models(arch):
            if not Z.checkpoint_paths(m, cfg.profile).has_manifest():
                Z.get(m, cfg.profile, progress=False)  # trains it (and its parent) once
            man = Z.checkpoint_manifest(m, cfg.profile)
            rows.append(
                {
                    "model": m,
                    **model_info(m),
                    "test_accuracy": man["test_accuracy"],
                    "params": man.get("costs", {}).get("params"),
                    "n_train": man["n_train"],
                    "epochs": man["recipe"]["epochs"],
                    "train_seconds": man["train_seconds"],
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- summaries
def scenario_table(transfer: pd.DataFrame) -> pd.DataFrame:
    """Accuracy (%) per compressed model × attack × scenario, with the white-box baseline."""
    t = transfer[transfer["scenario"] != "baseline"]
    out = t.pivot_table(
        index=["arch", "compression", "density", "bits", "compressed_model"],
        columns=["attack", "scenario"],
        values="accuracy",
    )
    return (100 * out).round(1)


def baseline_rows(transfer: pd.DataFrame) -> pd.DataFrame:
    return transfer[transfer["scenario"] == "baseline"]


def baselines_markdown(models: pd.DataFrame, reference: dict[str, dict]) -> str:
    """One sentence per baseline: our parameters and accuracy beside the paper's."""
    out = []
    for arch, ref in reference.items():
        rows = models[models["model"] == f"{arch}-base"]
        if not len(rows):
            out.append(
                f"{arch} ({ref['dataset']}; paper: {ref['params']:,} parameters, "
                f"{ref['accuracy']:.2%}) is not in this profile."
            )
            continue
        r = rows.iloc[0]
        out.append(
            f"The {arch} baseline has {int(r['params']):,} parameters and "
            f"{r['test_accuracy']:.2%} test accuracy on {ref['dataset']} (paper: "
            f"{ref['params']:,} and {ref['accuracy']:.2%}), after {int(r['epochs'])} "
            f"epoch(s) on {int(r['n_train']):,} training images."
        )
    return " ".join(out)


def whitebox_markdown(transfer: pd.DataFrame) -> str:
    """The baselines' accuracy under their own attacks and the attacks' mean L2 sizes."""
    out = []
    for arch, g in baseline_rows(transfer).groupby("arch", sort=False):
        parts = [f"{r.attack} {r.accuracy:.1%} (mean L2 {r.mean_l2:.2f})" for r in g.itertuples()]
        out.append(
            f"Under its own white-box attacks the {arch} baseline keeps "
            + ", ".join(parts)
            + f" of {g['n_examples'].iloc[0]} test images (clean "
            f"{g['clean_accuracy'].iloc[0]:.1%})."
        )
    return " ".join(out)


def readings_markdown(readings: pd.DataFrame, transfer: pd.DataFrame, paper_eps: float) -> str:
    """The readings comparison in words, from the cells: each reading's white-box accuracy
    on the LeNet5 baseline at the paper's ε, and the lowest it reaches on the ε grid."""
    order = {k: i for i, k in enumerate(IFGM_READINGS)}
    base = readings[readings["target"] == "lenet5-base"]
    base = base.sort_values(
        ["reading", "step"], key=lambda c: c.map(order) if c.name == "reading" else c
    )
    if base.empty:
        return "No IFGM readings were computed in this profile (LeNet5 or `ifgm_readings` unset)."

    def pct(r) -> str:
        e = Estimate.accuracy(float(r["accuracy"]), int(r["n_examples"]))
        return f"{e.value:.1f} % [{e.lo:.1f}, {e.hi:.1f}]"

    clean = 100 * float(base["clean_accuracy"].iloc[0])
    at, low = [], []
    for r, g in base.groupby("reading", sort=False):
        p = g[np.isclose(g["step"], paper_eps)]
        if len(p):
            at.append(f"{pct(p.iloc[0])} under `{r}`")
        m = g.loc[g["accuracy"].idxmin()]
        low.append(f"`{r}` {pct(m)} at ε = {m['step']:g} (mean L2 {m['mean_l2']:.2f})")
    ifgsm = transfer[
        (transfer["attack"] == "ifgsm")
        & (transfer["source"] == "lenet5-base")
        & (transfer["target"] == "lenet5-base")
    ]
    scale = (
        ""
        if ifgsm.empty
        else (
            f" For scale, IFGSM at the paper's step leaves {pct(ifgsm.iloc[0])} with a mean L2 "
            f"of {float(ifgsm['mean_l2'].iloc[0]):.2f}."
        )
    )
    at_eps = {
        r: g[np.isclose(g["step"], paper_eps)].iloc[0]
        for r, g in base.groupby("reading", sort=False)
        if np.isclose(g["step"], paper_eps).any()
    }
    verdict = ""
    if at_eps:
        most = max(clean - 100 * float(r["accuracy"]) for r in at_eps.values())
        verdict = (
            f" At the paper's budget IFGM removes at most {most:.1f} points under any reading."
        )
    if {"l2", "raw-sum"} <= set(at_eps):
        a, b = (
            Estimate.accuracy(float(at_eps[k]["accuracy"]), int(at_eps[k]["n_examples"]))
            for k in ("l2", "raw-sum")
        )
        d = Estimate.difference(a, b)  # l2 minus raw-sum: > 0 when the literal reading is stronger
        stronger = "significantly stronger" if d.lo > 0 else "not significantly stronger"
        verdict += (
            f" The literal reading (`raw-sum`) is {stronger} than `l2` there "
            f"(`l2` − `raw-sum`: {d.value:+.1f} points [{d.lo:+.1f}, {d.hi:+.1f}])."
        )
    return (
        f"At the paper's ε = {paper_eps:g}, IFGM leaves the LeNet5 baseline at "
        + ", ".join(at)
        + f" (clean: {clean:.1f} %, n = {int(base['n_examples'].iloc[0])})."
        + verdict
        + " The lowest each reading reaches on the grid: "
        + "; ".join(low)
        + "."
        + scale
    )
