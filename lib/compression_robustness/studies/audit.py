"""The audit chapter: its parameters, its cells (one per model) and its tables.

The computation is :mod:`compression_robustness.evaluate.audit`; this module binds it to
the profile's models and budgets, and writes the flags the claims engine reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.core.params import BATCH_SIZE, SEED, Param, check_params, check_profile
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import PIXEL, Unit
from compression_robustness.evaluate import audit as AU
from compression_robustness.evaluate import claims as CL
from compression_robustness.evaluate.integrity import cell_digest, write_table
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.studies import style

PARAMS = {
    "models": Param(list, "zoo models to audit", nonempty=True),
    "pending": Param(list, "models whose audit is still being computed (listed, not computed)"),
    "eps_cifar10": Param(float, "L-inf radius on CIFAR-10", Unit.PIXEL_255, min=0, strict_min=True, max=255),
    "eps_mnist": Param(float, "L-inf radius on MNIST and MNIST-56", Unit.UNIT_INTERVAL, min=0, strict_min=True, max=1),
    "eps_imagenet": Param(float, "L-inf radius on ImageNet", Unit.PIXEL_255, min=0, strict_min=True, max=255),
    "n_white_imagenet": Param(int, "ImageNet images per white-box attack", min=1),
    "n_black_imagenet": Param(int, "ImageNet images per black-box attack (the first of the white-box ones)", min=1),
    "n_white": Param(int, "test images per white-box attack", min=1),
    "n_black": Param(int, "test images per black-box attack (the first of the white-box ones)", min=1),
    "pgd_iter": Param(int, "PGD iterations (the doubling check runs twice as many)", min=1),
    "apgd_iter": Param(int, "APGD-CE and APGD-DLR iterations", min=1),
    "square_queries": Param(int, "Square Attack queries per image", min=1),
    "restarts": Param(int, "random starts of the restarts check", min=1),
    "eps_multipliers": Param(list, "multiples of eps of the eps-curve check", min=0, strict_min=True, each=float, nonempty=True),
    "eot_samples": Param(int, "stochastic passes per EoT gradient", min=1),
    "eval_passes": Param(int, "fresh passes that judge a stochastic model's prediction", min=1),
    "seed": SEED,
    "batch_size": BATCH_SIZE,
}  # fmt: skip


@dataclass(frozen=True)
class AuditConfig:
    profile: str
    models: list[str]
    settings: dict[str, AU.AuditSettings]  # dataset -> budget
    missing: dict[str, str]  # model -> why it cannot be audited here
    pending: list[str] = field(default_factory=list)  # being computed in the background


def validate_audit(
    profile: str,
    models: list[str],
    eps_cifar10: float,
    eps_mnist: float,
    n_white: int,
    n_black: int,
    pgd_iter: int,
    apgd_iter: int,
    square_queries: int,
    restarts: int,
    eps_multipliers: list[float],
    eot_samples: int,
    eval_passes: int,
    seed: int,
    batch_size: int,
    pending: list[str] = (),
    eps_imagenet: float = 0.5,
    n_white_imagenet: int = 48,
    n_black_imagenet: int = 16,
) -> AuditConfig:
    """Check the chapter's parameters before any compute. ``pending``: models whose audit
    cells are being computed in the background (``tools/run_audit.sh``); the chapter names
    them and computes nothing for them. The ImageNet models (EfficientNet-Lite0 and its
    post-training compressed versions) have their own radius and sample sizes, because one
    of their gradients costs about 100 CIFAR-10 ResNet20 ones on a CPU."""
    check_params(PARAMS, locals())
    both = sorted(set(models) & set(pending))
    if both:
        raise ConfigError(f"parameters `models` and `pending` both list {both}")
    for m in [*models, *pending]:
        AU.check_model(m)  # an unknown model is refused with the valid names
    check_profile(profile)
    for a, b, na, nb in (
        ("n_black", "n_white", n_black, n_white),
        ("n_black_imagenet", "n_white_imagenet", n_black_imagenet, n_white_imagenet),
    ):
        if na > nb:
            raise ConfigError(f"parameter `{a}` ({na}) must not exceed `{b}` ({nb})")
    datasets = {AU.model_dataset(m) for m in models}
    eps = {
        "cifar10": eps_cifar10 / PIXEL,
        "mnist": eps_mnist,
        "mnist56": eps_mnist,
        AU.IMAGENET_DATASET: eps_imagenet / PIXEL,
    }
    unknown = datasets - set(eps)
    if unknown:
        raise ConfigError(f"parameter `models`: no audit radius for dataset(s) {sorted(unknown)}")
    sizes = {d: (n_white, n_black) for d in datasets}
    if AU.IMAGENET_DATASET in datasets:
        sizes[AU.IMAGENET_DATASET] = (n_white_imagenet, n_black_imagenet)
    for d, (nw, _) in sizes.items():
        D.check_subset_size("n_white_imagenet" if d == AU.IMAGENET_DATASET else "n_white", nw, d)
    settings = {
        d: AU.AuditSettings(
            eps[d], *sizes[d], pgd_iter, apgd_iter, square_queries, restarts,
            tuple(eps_multipliers), eot_samples, eval_passes, seed, batch_size,
        )
        for d in datasets
    }  # fmt: skip
    missing = {}
    for m in [*models, *pending]:  # nothing is trained here: the audit attacks what exists
        if not AU.model_available(m, profile):
            missing[m] = "weights not here (over the commit limit, or not trained)"
    pending = [m for m in pending if m not in missing]
    return AuditConfig(profile, list(models), settings, missing, pending)


#: how each dataset's radius is written in the budget table (its papers' units)
_EPS_TEXT = {
    "cifar10": lambda e: f"{e * PIXEL:g}/255",
    "mnist": lambda e: f"{e:g} ([0, 1] units)",
    "mnist56": lambda e: f"{e:g} ([0, 1] units)",
    AU.IMAGENET_DATASET: lambda e: f"{e * PIXEL:g}/255",
}


def budget_table(cfg: AuditConfig) -> pd.DataFrame:
    """Per dataset of the audited models: the radius, the sample sizes and their intervals'
    widest half-width (Wilson, 95%, at 50 %)."""
    rows = []
    for d, s in sorted(cfg.settings.items()):
        half = {}
        for n in (s.n_white, s.n_black):
            lo, hi = CL.wilson(n / 2, n)
            half[n] = 50 * (hi - lo)
        rows.append(
            {
                "dataset": d,
                "ε (L∞)": _EPS_TEXT[d](s.eps),
                "white-box images": s.n_white,
                "black-box images": s.n_black,
                "widest 95% half-width, white / black (points)": (
                    f"{half[s.n_white]:.1f} / {half[s.n_black]:.1f}"
                ),
            }
        )
    return pd.DataFrame(rows)


def cell_configs(cfg: AuditConfig) -> list[dict[str, Any]]:
    out = []
    for m in cfg.models:
        if m in cfg.missing:
            continue
        s = cfg.settings[AU.model_dataset(m)]
        base = AU.transfer_source(m, cfg.profile)
        out.append(
            {
                "model": m,
                "checkpoint_sha256": AU.model_sha(m, cfg.profile),
                "transfer_source_sha256": None if base is None else AU.model_sha(base, cfg.profile),
                "attack": "audit",
                **s.config(),
            }
        )
    return out


def run(cfg: AuditConfig, progress: bool = True) -> pd.DataFrame:
    """Every model's audit cell (computed when missing), as one table."""
    zoo_models = [m for m in cfg.models if m in Z.ZOO and m not in cfg.missing]
    Z.train_missing(zoo_models, cfg.profile, progress=progress)  # once, ahead of the cells
    store = ResultStore(cfg.profile, CL.AUDIT_CHAPTER)
    by_model = {c["model"]: c for c in cell_configs(cfg)}
    df = store.cells(
        list(by_model.values()),
        lambda c: AU.audit_cell(
            c["model"], cfg.profile, cfg.settings[AU.model_dataset(c["model"])]
        ),
        desc=f"audit ({len(by_model)} models)",
        progress=progress,
    )
    store.table()
    return df


def write_flags(cfg: AuditConfig, df: pd.DataFrame) -> pd.DataFrame:
    """Commit the flags table that the claims engine reads (and return it)."""
    fl = AU.flags(df)
    store = ResultStore(cfg.profile, CL.AUDIT_CHAPTER)
    cells = {f.stem: cell_digest(f) for f in sorted(store.root.glob("*.parquet"))}
    path = store.root.parent / CL.AUDIT_FLAGS_TABLE
    write_table(path, fl, cells)
    return fl


def summary(df: pd.DataFrame, fl: pd.DataFrame) -> pd.DataFrame:
    """The chapter's table: one row per model, accuracies with their intervals."""
    w = AU.worst_case(df)
    failed = fl[fl["failed"]].groupby("model")["check"].apply(lambda s: "; ".join(s))
    out = pd.DataFrame(
        {
            "model": w["model"],
            "family": w["family"],
            "clean (%)": [e.text() for e in w["clean"]],
            "PGD (%)": [e.text() for e in w["pgd"]],
            "white-box worst (%)": [e.text() for e in w["white-box worst"]],
            "worst case, all attacks (%)": [e.text() for e in w["worst case"]],
            "strongest attack": w["strongest attack"],
            "gradient masking suspected": [failed.get(m, "–") for m in w["model"]],
        }
    )
    return out


def figure(df: pd.DataFrame):
    """PGD against the worst case over every attack, per model (on the images every attack
    ran on), with 95% intervals and the diagonal: a model below it is one whose PGD number
    overstates its robustness."""
    w = AU.worst_case(df)
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.plot([0, 100], [0, 100], color="0.6", lw=1, ls="--", label="worst case = PGD")
    seen = set()
    for _, r in w.iterrows():
        p, q = r["pgd_on_black"], r["worst case"]
        st = style.family_style(r["family"])
        ax.errorbar(
            p.value, q.value,
            xerr=[[p.value - p.lo], [p.hi - p.value]], yerr=[[q.value - q.lo], [q.hi - q.value]],
            fmt=st["marker"], color=st["color"], ms=6, capsize=2, lw=0.8,
            label=None if r["family"] in seen else r["family"],
        )  # fmt: skip
        seen.add(r["family"])
    n = int(w["worst case"].iloc[0].n) if len(w) else 0
    ax.set(
        xlabel="PGD accuracy (%)",
        ylabel="worst-case accuracy over all attacks (%)",
        xlim=(-2, 100), ylim=(-2, 100),
        title=f"PGD against the worst case ({n} images per model)",
    )  # fmt: skip
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, title="family")
    fig.tight_layout()
    return fig
