"""BreakingBED Fig. 2: PGD accuracy and loss curves per model, and ART's PGD as a check."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.core.params import (
    BATCH_SIZE,
    SEED,
    Param,
    chapter_parameters,
    check_params,
    check_profile,
)
from compression_robustness.core.registry import ConfigError
from compression_robustness.core.units import Unit
from compression_robustness.evaluate import audit as AU
from compression_robustness.evaluate import cells as C
from compression_robustness.evaluate import claims as CL
from compression_robustness.evaluate.store import ResultStore, load_table
from compression_robustness.runtime import estimator as E


@dataclass(frozen=True)
class PGDConfig:
    profile: str
    dataset: str
    models: list[str]
    eps: float  # 0-255 pixel units
    alpha: float  # 0-255 pixel units
    max_iter: int
    record_every: int
    reruns: int
    n_examples: int | None
    seed: int
    batch_size: int
    record_at: list[int] = field(default_factory=list)

    @property
    def chance(self) -> float:
        return 1.0 / D.spec(self.dataset).num_classes


#: the chapter's numeric parameters (the notebook's parameters cell holds their defaults)
PARAMS = {
    "eps": Param(float, "L-inf radius", Unit.PIXEL_255, min=0, strict_min=True, max=255),
    "alpha": Param(float, "PGD step size", Unit.PIXEL_255, min=0, strict_min=True, max=255),
    "max_iter": Param(int, "PGD iterations in one run", min=1),
    "record_every": Param(int, "record accuracy and loss every this many iterations", min=1),
    "reruns": Param(int, "independent random starts", min=1),
    "n_examples": Param(int, "CIFAR-10 test images; None: all", min=1, nullable=True),
    "extra_eps": Param(
        list,
        "further L-inf radii of the reproduction note",
        Unit.PIXEL_255,
        min=0,
        strict_min=True,
        max=255,
        each=float,
    ),  # fmt: skip
    "seed": SEED,
    "batch_size": BATCH_SIZE,
}

#: the model of the pgd chapter's reproduction note (the paper's claim, ART's PGD, radii)
PGD_REFERENCE_MODEL = "resnet20-vanilla"


def validate_pgd(
    profile: str,
    dataset: str,
    archs: list[str],
    variants: list[str],
    eps: float,
    alpha: float,
    max_iter: int,
    record_every: int,
    reruns: int,
    n_examples: int | None,
    seed: int,
    batch_size: int,
    extra_eps: list[float] = (),
) -> PGDConfig:
    """Check the chapter's parameters before any compute (``extra_eps``: the further radii
    of the reproduction note, 0-255 units)."""
    check_profile(profile)
    models = C.check_models(archs, variants, dataset)
    if PGD_REFERENCE_MODEL not in models:
        raise ConfigError(
            f"parameters `archs` and `variants` must include {PGD_REFERENCE_MODEL!r} "
            "(resnet20 and vanilla): the chapter checks the paper's claim and ART's PGD on "
            f"it; got {models}"
        )
    check_params(PARAMS, locals())
    if record_every > max_iter:
        raise ConfigError(
            f"parameter `record_every` ({record_every}) must not exceed `max_iter` ({max_iter})"
        )
    if n_examples is not None:
        D.check_subset_size("n_examples", n_examples, dataset)
    record_at = sorted({0, *range(record_every, max_iter + 1, record_every), max_iter})
    return PGDConfig(
        profile,
        dataset,
        models,
        float(eps),
        float(alpha),
        max_iter,
        record_every,
        reruns,
        n_examples,
        seed,
        batch_size,
        record_at,
    )


def pgd_cell_configs(cfg: PGDConfig) -> list[dict[str, Any]]:
    out = []
    for name in cfg.models:
        sha = Z.checkpoint_sha(name, cfg.profile)
        for r in range(cfg.reruns):
            out.append(
                {
                    "model": name,
                    "checkpoint_sha256": sha,
                    "dataset": cfg.dataset,
                    "split": "test",
                    "attack": "pgd",
                    "eps": cfg.eps,
                    "alpha": cfg.alpha,
                    "eps_unit": Unit.PIXEL_255.value,
                    "max_iter": cfg.max_iter,
                    "record_at": cfg.record_at,
                    "n_examples": cfg.n_examples,
                    "subset_seed": cfg.seed,
                    "seed": cfg.seed + r,
                }
            )
    return out


def _pgd_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    zm, sub, est = C.cell_inputs(cell, profile, batch_size)
    clean = E.accuracy(est, sub.x, sub.y.numpy())
    atk = A.create(
        "pgd",
        est,
        eps=cell["eps"],
        alpha=cell["alpha"],
        max_iter=cell["max_iter"],
        record_at=cell["record_at"],
        seed=cell["seed"],
        batch_size=batch_size,
    )
    atk.generate(sub.x.numpy(), sub.y.numpy())
    df = atk.record.copy()
    for k, v in C.model_columns(cell["model"]).items():
        df[k] = v
    df["clean_accuracy"] = clean
    return df


def run_pgd(cfg: PGDConfig, progress: bool = True) -> pd.DataFrame:
    """Compute (or read back) every PGD cell of ``cfg``; returns their rows."""
    Z.train_missing(cfg.models, cfg.profile, progress=progress)  # once, ahead of the cells
    store = ResultStore(cfg.profile, "pgd")
    df = store.cells(
        pgd_cell_configs(cfg),
        lambda c: _pgd_cell(c, cfg.profile, cfg.batch_size),
        desc="PGD cells (model x rerun)",
        progress=progress,
    )
    store.table()
    return df


def _art_pgd_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    zm, sub, est = C.cell_inputs(cell, profile, batch_size)
    atk = A.create(
        "art_pgd",
        est,
        eps=cell["eps"],
        alpha=cell["alpha"],
        max_iter=cell["max_iter"],
        seed=cell["seed"],
        batch_size=batch_size,
    )
    adv = atk.generate(sub.x.numpy(), sub.y.numpy())
    return pd.DataFrame(
        [
            {
                **C.model_columns(cell["model"]),
                "iterations": cell["max_iter"],
                "accuracy": E.accuracy(est, adv, sub.y.numpy()),
                "loss": float("nan"),
                "n_examples": len(sub.y),
            }
        ]
    )


def run_art_pgd_check(cfg: PGDConfig, model: str, progress: bool = False) -> pd.DataFrame:
    """ART's own ``ProjectedGradientDescent`` on the same model, images and settings: an
    independent check of the library's PGD (one random start, the last iteration only)."""
    store = ResultStore(cfg.profile, "pgd")
    cell = {
        **pgd_cell_configs(replace(cfg, models=[model], reruns=1))[0],
        "attack": "art_pgd",
        "record_at": [cfg.max_iter],
    }
    return store.cells(
        [cell],
        lambda c: _art_pgd_cell(c, cfg.profile, cfg.batch_size),
        desc="ART PGD check",
        progress=progress,
    )


def run_pgd_radii(cfg: PGDConfig, model: str, radii: list[float], progress: bool = False):
    """The PGD curve of one model at other radii ``radii`` (0-255 units), one rerun each."""
    check_params({"extra_eps": PARAMS["extra_eps"]}, {"extra_eps": radii})
    frames = [
        run_pgd(replace(cfg, eps=float(r), alpha=float(r) / 4, models=[model], reruns=1), progress)
        for r in radii
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def audit_beside(summary: pd.DataFrame, cfg: PGDConfig) -> pd.DataFrame:
    """This chapter's converged PGD accuracy per model beside the attack audit's worst case
    (issue 16: APGD-CE/DLR, BPDA, Square, transfer, restarts, per image), read from the
    profile's committed audit cells. A model the audit has not covered, or an audit at
    another radius, shows '–' and says why; nothing is computed here."""
    prm = chapter_parameters(cfg.profile, "audit")
    audited, audit_eps = set(prm.get("models", [])), prm.get("eps_cifar10")
    try:
        df = load_table(cfg.profile, CL.AUDIT_CHAPTER)
    except FileNotFoundError:
        df = pd.DataFrame(columns=["model"])
    df = df[df["model"].isin(audited & set(summary["model"]))]
    same_eps = audit_eps is not None and abs(float(audit_eps) - cfg.eps) < 1e-9
    worst = AU.worst_case(df).set_index("model") if same_eps and len(df) else pd.DataFrame()
    flags = CL.audit_flags(cfg.profile) or {}  # the committed flags the claims engine reads
    rows = []
    for r in summary.itertuples():
        conv = CL.Estimate.accuracy(float(r.converged_accuracy), int(r.n_examples)).text()
        row = {"model": r.model, f"PGD-{cfg.max_iter}, converged (%)": conv}
        if r.model in worst.index:
            w = worst.loc[r.model]
            row |= {
                "audit white-box worst (%)": w["white-box worst"].text(),
                "audit worst case, all attacks (%)": w["worst case"].text(),
                "strongest attack": w["strongest attack"],
                "gradient masking suspected": "; ".join(flags.get(r.model, ()))
                or "no check failed",
            }
        else:
            why = (
                f"audit at ε = {audit_eps:g}, not {cfg.eps:g}"
                if not same_eps and audit_eps is not None
                else "not audited in this profile"
            )
            row |= {
                "audit white-box worst (%)": "–",
                "audit worst case, all attacks (%)": "–",
                "strongest attack": "–",
                "gradient masking suspected": why,
            }
        rows.append(row)
    return pd.DataFrame(rows)
