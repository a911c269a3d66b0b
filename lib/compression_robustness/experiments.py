"""Chapter experiments: validated configs and the cell loops that fill the results store.

Notebooks call one ``validate_*`` function on their parameters (a clear
:class:`~compression_robustness.registry.ConfigError` naming the parameter, before any
compute) and one ``run_*`` function, which computes only the cells that are missing.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from . import attacks as A
from . import data as D
from . import estimator as E
from . import zoo as Z
from .config import check_choices, check_number, check_profile
from .registry import ConfigError
from .results import ResultStore


# --------------------------------------------------------------------------- shared helpers
def check_models(archs: list[str], variants: list[str], dataset: str) -> list[str]:
    """Zoo names ``<arch>-<variant>`` for every requested pair; errors list the valid ones."""
    D.DATASETS.check(dataset)
    names = Z.names(dataset)
    valid_archs = sorted({Z.ZOO.get(n).arch for n in names})
    valid_variants = sorted({n.split("-", 1)[1] for n in names})
    archs = check_choices("archs", archs, valid_archs)
    variants = check_choices("variants", variants, valid_variants)
    out = []
    for a in archs:
        for v in variants:
            name = f"{a}-{v}"
            if name not in Z.ZOO:
                raise ConfigError(
                    f"no zoo model {name!r} (from `archs` x `variants`); "
                    f"zoo models on {dataset}: {', '.join(names)}"
                )
            out.append(name)
    return out


@functools.lru_cache(maxsize=16)
def _zoo_model(name: str, profile: str) -> Z.ZooModel:
    return Z.get(name, profile)


@functools.lru_cache(maxsize=8)
def _subset(dataset: str, split: str, n: int | None, seed: int) -> D.Split:
    return D.load_subset(dataset, split, n, seed)


def _cell_inputs(cell: dict[str, Any], profile: str, batch_size: int):
    """The model, the test subset and the ART estimator a cell attacks."""
    zm = _zoo_model(cell["model"], profile)
    sub = _subset(cell["dataset"], cell["split"], cell["n_examples"], cell["subset_seed"])
    return zm, sub, E.classifier_for(zm, batch_size)


def model_columns(name: str) -> dict[str, str]:
    entry = Z.ZOO.get(name)
    return {
        "model": name,
        "arch": entry.arch,
        "variant": name.split("-", 1)[1],
        "family": entry.family,
    }


# --------------------------------------------------------------------------- PGD chapter
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
) -> PGDConfig:
    check_profile(profile)
    models = check_models(archs, variants, dataset)
    if PGD_REFERENCE_MODEL not in models:
        raise ConfigError(
            f"parameters `archs` and `variants` must include {PGD_REFERENCE_MODEL!r} "
            "(resnet20 and vanilla): the chapter checks the paper's claim and ART's PGD on "
            f"it; got {models}"
        )
    check_number("eps", eps, min=0, strict_min=True, max=255)
    check_number("alpha", alpha, min=0, strict_min=True, max=255)
    check_number("max_iter", max_iter, min=1, integer=True)
    check_number("record_every", record_every, min=1, integer=True)
    if record_every > max_iter:
        raise ConfigError(
            f"parameter `record_every` ({record_every}) must not exceed `max_iter` ({max_iter})"
        )
    check_number("reruns", reruns, min=1, integer=True)
    if n_examples is not None:
        check_number("n_examples", n_examples, min=1, integer=True)
    check_number("seed", seed, min=0, integer=True)
    check_number("batch_size", batch_size, min=1, integer=True)
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
                    "eps_unit": "0-255",
                    "max_iter": cfg.max_iter,
                    "record_at": cfg.record_at,
                    "n_examples": cfg.n_examples,
                    "subset_seed": cfg.seed,
                    "seed": cfg.seed + r,
                }
            )
    return out


def _pgd_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    zm, sub, est = _cell_inputs(cell, profile, batch_size)
    clean = E.accuracy(est, sub.x, sub.y.numpy())
    atk = A.build(
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
    for k, v in model_columns(cell["model"]).items():
        df[k] = v
    df["clean_accuracy"] = clean
    return df


def run_pgd(cfg: PGDConfig, progress: bool = True) -> pd.DataFrame:
    """Compute (or read back) every PGD cell of ``cfg``; returns their rows."""
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
    from art.attacks.evasion import ProjectedGradientDescent

    zm, sub, est = _cell_inputs(cell, profile, batch_size)
    np.random.seed(cell["seed"])  # ART draws its random start from numpy's global generator
    atk = ProjectedGradientDescent(
        est,
        eps=A.pixels_to_unit(cell["eps"]),
        eps_step=A.pixels_to_unit(cell["alpha"]),
        max_iter=cell["max_iter"],
        num_random_init=1,
        batch_size=batch_size,
        verbose=False,
    )
    adv = atk.generate(sub.x.numpy(), sub.y.numpy())
    return pd.DataFrame(
        [
            {
                **model_columns(cell["model"]),
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
    for r in radii:
        check_number("extra_eps", r, min=0, strict_min=True, max=255)
    frames = [
        run_pgd(replace(cfg, eps=float(r), alpha=float(r) / 4, models=[model], reruns=1), progress)
        for r in radii
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def describe(cfg) -> pd.DataFrame:
    """A two-column table of a config, for the chapter's 'settings' box."""
    d = asdict(cfg)
    return pd.DataFrame({"parameter": list(d), "value": [str(v) for v in d.values()]})


# --------------------------------------------------------------------------- zoo chapter
@dataclass(frozen=True)
class ZooConfig:
    profile: str
    dataset: str
    models: list[str]


def validate_zoo(profile: str, dataset: str, models: list[str]) -> ZooConfig:
    """``models`` are zoo names; an empty list means every BreakingBED model the profile
    trains (training the missing ones)."""
    check_profile(profile)
    D.DATASETS.check(dataset)
    names = list(models) or [
        n for n in Z.breakingbed_models(profile) if Z.ZOO.get(n).dataset == dataset
    ]
    for n in names:
        Z.ZOO.check(n)
    return ZooConfig(profile, dataset, names)


def zoo_missing(profile: str, dataset: str, models: list[str]) -> list[str]:
    """The profile's BreakingBED models on ``dataset`` that ``models`` leaves out (those
    whose training has not finished when a profile lists its trained models explicitly)."""
    return [
        n
        for n in Z.breakingbed_models(profile)
        if Z.ZOO.get(n).dataset == dataset and n not in models
    ]


def _zoo_cell(cell: dict[str, Any], profile: str) -> pd.DataFrame:
    from .compression import masks_from_zeros
    from .costs import model_costs
    from .paper import BREAKINGBED_TABLE1

    zm = _zoo_model(cell["model"], profile)
    entry = Z.ZOO.get(cell["model"])
    masks = masks_from_zeros(zm.model) if entry.prune else None
    c = model_costs(zm.model, zm.spec.shape, masks)
    paper = BREAKINGBED_TABLE1.get((entry.arch, entry.variant), {})
    recipe = zm.manifest["recipe"]
    return pd.DataFrame(
        [
            {
                **model_columns(cell["model"]),
                "dataset": entry.dataset,
                "attack": "none",
                "eps": 0.0,
                "eps_unit": "",
                "iterations": 0,
                "seed": recipe["seed"],
                "n_examples": zm.manifest["n_test"],
                "accuracy": zm.accuracy,
                "loss": float("nan"),
                "memory_mb": c["memory_mb"],
                "ncc": c["ncc"],
                "params": c["params"],
                "fp_macs": c["fp_macs"],
                "binary_macs": c["binary_macs"],
                "paper_memory_mb": paper.get("memory_mb", float("nan")),
                "paper_ncc": paper.get("ncc", float("nan")),
                "epochs": recipe["epochs"],
                "train_seconds": zm.manifest["train_seconds"],
                "description": entry.description,
            }
        ]
    )


def run_zoo(cfg: ZooConfig, progress: bool = True) -> pd.DataFrame:
    """Accuracy and costs of every zoo model of ``cfg`` (one cell per checkpoint)."""
    store = ResultStore(cfg.profile, "zoo")
    configs = [
        {"model": n, "checkpoint_sha256": Z.checkpoint_sha(n, cfg.profile), "table": "table1"}
        for n in cfg.models
    ]
    df = store.cells(
        configs, lambda c: _zoo_cell(c, cfg.profile), desc="zoo models", progress=progress
    )
    store.table()
    return df


def full_test_accuracy(name: str, profile: str) -> float:
    """The model's accuracy on its full test set, as recorded in its checkpoint manifest."""
    return float(Z.checkpoint_manifest(name, profile)["test_accuracy"])


# --------------------------------------------------------------------------- robustness sweep
#: The attacks of BreakingBED's Table 2 and the grid axes each one accepts.
SWEEP_AXES = {
    "fgsm": {"eps"},
    "pgd": {"eps", "iterations"},
    "cw_l2": {"eps", "iterations"},
    "deepfool": {"iterations"},
    "local_search": {"eps", "iterations"},
    "genattack": {"eps", "iterations", "population"},
}
#: Attacks that only query the model; the sweep gives them ``n_blackbox`` images.
BLACK_BOX = {"local_search", "genattack"}


@dataclass(frozen=True)
class SweepConfig:
    profile: str
    dataset: str
    models: list[str]
    grid: dict[str, dict[str, list]]
    n_examples: int | None
    n_blackbox: int | None
    seed: int
    batch_size: int
    ls_candidates: int = 128


def validate_sweep(
    profile: str,
    dataset: str,
    models: list[str],
    grid: dict[str, dict[str, list]],
    n_examples: int | None,
    n_blackbox: int | None,
    seed: int,
    batch_size: int,
    ls_candidates: int = 128,
) -> SweepConfig:
    """Check the sweep's parameters (``sweep_*`` in the profiles) before any compute.

    ``ls_candidates`` is LocalSearch's number of candidate pixels scored per round (the
    paper's 128; every candidate is one query, so the cpu profile scores fewer).
    """
    zoo_cfg = validate_zoo(profile, dataset, models)
    if not isinstance(grid, dict) or not grid:
        raise ConfigError("parameter `sweep_grid` must map attack names to their grids")
    for attack, axes in grid.items():
        A.ATTACKS.check(attack)
        if attack not in SWEEP_AXES:
            raise ConfigError(
                f"parameter `sweep_grid`: {attack!r} is not a sweep attack; "
                f"valid: {', '.join(SWEEP_AXES)}"
            )
        bad = set(axes) - SWEEP_AXES[attack]
        if bad or not axes:
            raise ConfigError(
                f"parameter `sweep_grid.{attack}` has axes {sorted(axes)}; "
                f"valid axes: {sorted(SWEEP_AXES[attack])}"
            )
        for axis, values in axes.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(
                    f"parameter `sweep_grid.{attack}.{axis}` must be a non-empty list"
                )
            for v in values:
                check_number(
                    f"sweep_grid.{attack}.{axis}",
                    v,
                    min=0 if axis == "eps" else 1,
                    strict_min=axis == "eps",
                    integer=axis != "eps",
                )
    for name, n in (("sweep_n_examples", n_examples), ("sweep_n_blackbox", n_blackbox)):
        if n is not None:
            check_number(name, n, min=1, integer=True)
    check_number("seed", seed, min=0, integer=True)
    check_number("batch_size", batch_size, min=1, integer=True)
    check_number("sweep_ls_candidates", ls_candidates, min=1, integer=True)
    return SweepConfig(
        profile,
        dataset,
        zoo_cfg.models,
        grid,
        n_examples,
        n_blackbox,
        seed,
        batch_size,
        ls_candidates,
    )


def _attack_params(
    attack: str, eps: float | None, its: list[int], pop, seed: int, ls_candidates: int = 128
) -> dict:
    """Builder parameters (the paper's units) of one sweep cell."""
    top = max(its) if its else None
    if attack == "fgsm":
        return {"eps": eps}
    if attack == "pgd":  # step eps/4, as in the paper's Fig. 2 (eps 2, alpha 0.5)
        return {"eps": eps, "alpha": eps / 4, "max_iter": top, "record_at": its, "seed": seed}
    if attack == "cw_l2":  # the paper's eps is C&W's trade-off constant c
        return {"c": eps, "max_iter": top, "record_at": its}
    if attack == "deepfool":
        return {"max_iter": top, "record_at": its}
    if attack == "local_search":
        return {
            "eps": eps,
            "max_iter": top,
            "record_at": its,
            "seed": seed,
            "max_candidates": ls_candidates,
        }
    if attack == "genattack":
        return {"eps": eps, "population": pop, "max_iter": top, "record_at": its, "seed": seed}
    raise ConfigError(f"unknown sweep attack {attack!r}")


def sweep_cell_configs(cfg: SweepConfig) -> list[dict[str, Any]]:
    """One cell per (model, attack, strength[, population], seed); iterations are recorded
    within the cell (anytime recording)."""
    cells = []
    for name in cfg.models:
        sha = Z.checkpoint_sha(name, cfg.profile)
        for attack, axes in cfg.grid.items():
            its = sorted(int(i) for i in axes.get("iterations", []))
            for eps in axes.get("eps", [None]):
                for pop in axes.get("population", [None]):
                    n = cfg.n_blackbox if attack in BLACK_BOX else cfg.n_examples
                    cells.append(
                        {
                            "model": name,
                            "checkpoint_sha256": sha,
                            "dataset": cfg.dataset,
                            "split": "test",
                            "attack": attack,
                            "eps": float(eps) if eps is not None else float("nan"),
                            "eps_unit": A.ATTACKS.get(attack).eps_unit,
                            "population": pop,
                            "params": _attack_params(
                                attack,
                                None if eps is None else float(eps),
                                its,
                                pop,
                                cfg.seed,
                                cfg.ls_candidates,
                            ),
                            "n_examples": n,
                            "subset_seed": cfg.seed,
                            "seed": cfg.seed,
                        }
                    )
    return cells


def _generate(attack: str, atk, x: np.ndarray, y: np.ndarray, num_classes: int) -> np.ndarray:
    """Run a sweep attack; GenAttack is targeted (documented policy: the next class)."""
    if attack == "genattack":
        return atk.generate(x, y, target=(y + 1) % num_classes)
    return atk.generate(x, y)


def _sweep_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    zm, sub, est = _cell_inputs(cell, profile, batch_size)
    x, y = sub.x.numpy(), sub.y.numpy()
    clean = E.accuracy(est, x, y)
    atk = A.build(cell["attack"], est, batch_size=batch_size, **cell["params"])
    adv = _generate(cell["attack"], atk, x, y, zm.spec.num_classes)
    rec = atk.record.copy() if atk.record is not None else pd.DataFrame()
    if rec.empty or "iterations" not in rec:  # single-step attacks without a record
        rec = pd.DataFrame({"iterations": [1], "accuracy": [E.accuracy(est, adv, y)]})
    if "loss" not in rec:
        rec["loss"] = float("nan")
    if cell["attack"] == "fgsm":
        rec = rec[rec["iterations"] == rec["iterations"].max()]
    for k, v in model_columns(cell["model"]).items():
        rec[k] = v
    rec["clean_accuracy"] = clean
    rec["n_examples"] = len(y)
    if hasattr(atk, "queries"):
        rec["total_queries"] = int(np.sum(atk.queries))
    return rec


def run_sweep(cfg: SweepConfig, progress: bool = True) -> pd.DataFrame:
    """Every cell of the sweep: computed once, resumable, no shared state between cells."""
    store = ResultStore(cfg.profile, "sweep")
    configs = sweep_cell_configs(cfg)
    df = store.cells(
        configs,
        lambda c: _sweep_cell(c, cfg.profile, cfg.batch_size),
        desc=f"sweep cells ({len(cfg.models)} models)",
        progress=progress,
    )
    store.table()
    return df


#: iterative attacks whose anytime saving is measured (on the grid's largest eps and
#: population of each)
_ANYTIME_ATTACKS = ("pgd", "cw_l2", "deepfool", "local_search", "genattack")


def _anytime_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    """One attack run with every iteration count recorded, then one separate run per
    iteration count with the same seed: the wall time of each and the accuracies."""
    import time

    zm, sub, est = _cell_inputs(cell, profile, batch_size)
    x, y = sub.x.numpy(), sub.y.numpy()

    def run(params: dict) -> tuple[float, pd.DataFrame]:
        atk = A.build(cell["attack"], est, batch_size=batch_size, **params)
        t0 = time.perf_counter()
        _generate(cell["attack"], atk, x, y, zm.spec.num_classes)
        return time.perf_counter() - t0, atk.record.copy()

    its = list(cell["params"]["record_at"])
    t_any, rec = run(cell["params"])
    rows = []
    for i in its:
        t_one, one = run({**cell["params"], "max_iter": i, "record_at": [i]})
        rows.append(
            {
                "iterations": i,
                "accuracy_anytime": float(rec.loc[rec["iterations"] == i, "accuracy"].iloc[0]),
                "accuracy_separate": float(one.loc[one["iterations"] == i, "accuracy"].iloc[0]),
                "separate_seconds": t_one,
                "anytime_seconds": t_any,
            }
        )
    return pd.DataFrame(rows)


def validate_anytime(
    profile: str, dataset: str, model: str, n_examples: int, n_blackbox: int
) -> None:
    """Check the ``anytime_*`` parameters of the stress-strain chapter before any compute."""
    if not isinstance(model, str):
        raise ConfigError("parameter `anytime_model` must be a zoo model name")
    validate_zoo(profile, dataset, [model])
    check_number("anytime_n_examples", n_examples, min=1, integer=True)
    check_number("anytime_n_blackbox", n_blackbox, min=1, integer=True)


def run_anytime_check(
    cfg: SweepConfig, model: str, n_examples: int, n_blackbox: int, progress: bool = False
) -> pd.DataFrame:
    """Measured saving of anytime recording on one model: for one cell per iterative attack
    of the grid, the time of one recorded run against one separate run per iteration count
    (the naive grid), and the accuracies of both (equal when recording is exact).

    Returns one row per attack: ``anytime_seconds``, ``naive_seconds``, ``saving`` (their
    ratio), ``max_abs_diff`` (largest accuracy difference over the iteration counts)."""
    validate_anytime(cfg.profile, cfg.dataset, model, n_examples, n_blackbox)
    sub_cfg = replace(cfg, models=[model], n_examples=n_examples, n_blackbox=n_blackbox)
    chosen: dict[str, dict[str, Any]] = {}
    for c in sweep_cell_configs(sub_cfg):
        a = c["attack"]
        if a not in _ANYTIME_ATTACKS or not c["params"].get("record_at"):
            continue
        prev = chosen.get(a)
        if prev is None or (c["eps"], c["population"] or 0) > (
            prev["eps"],
            prev["population"] or 0,
        ):
            chosen[a] = c
    store = ResultStore(cfg.profile, "anytime")
    df = store.cells(
        [{**c, "check": "anytime"} for c in chosen.values()],
        lambda c: _anytime_cell(c, cfg.profile, cfg.batch_size),
        desc="anytime recording check",
        progress=progress,
    )
    if df.empty:
        return df
    df["abs_diff"] = (df["accuracy_anytime"] - df["accuracy_separate"]).abs()
    out = df.groupby(["attack", "eps", "population"], dropna=False).agg(
        n_examples=("n_examples", "first"),
        iterations=("iterations", lambda s: ", ".join(str(int(i)) for i in s)),
        anytime_seconds=("anytime_seconds", "first"),
        naive_seconds=("separate_seconds", "sum"),
        max_abs_diff=("abs_diff", "max"),
    )
    out["saving"] = out["naive_seconds"] / out["anytime_seconds"]
    return out.reset_index()


def _claim_row(claim: str, evidence: str, holds: bool | None) -> dict[str, str]:
    """One row of a reproduction-notes table: a paper's claim, our evidence, the verdict."""
    verdict = "not testable here" if holds is None else ("supported" if holds else "not supported")
    return {"claim": claim, "this study": evidence, "verdict": verdict}


def sweep_claims(curves: pd.DataFrame, classes: pd.DataFrame) -> pd.DataFrame:
    """BreakingBED's sweep statements against this study's classification and strains."""
    from .paper import BREAKINGBED_SWEEP_CLAIMS as CLAIMS

    rows: list[dict[str, str]] = []

    def add(key: str, evidence: str, holds: bool | None) -> None:
        rows.append(_claim_row(CLAIMS[key], evidence, holds))

    if "cw_l2" in classes:
        cw = classes["cw_l2"].dropna()
        cw = cw[cw != "undefined"]
        add(
            "cw_brittle",
            f"{(cw == 'brittle').sum()} of {len(cw)} models brittle under C&W",
            bool(len(cw)) and bool((cw == "brittle").all()),
        )
    fam = curves.drop_duplicates("model").set_index("model")["family"]
    if "genattack" in classes:
        bnn = (
            classes["genattack"]
            .reindex([m for m in classes.index if fam.get(m) == "binary"])
            .dropna()
        )
        add(
            "bnn_strong_genattack",
            f"{(bnn == 'strong').sum()} of {len(bnn)} binary models strong under GenAttack",
            None if bnn.empty else bool((bnn == "strong").all()),
        )
    fg = curves[curves["attack"] == "fgsm"]
    if not fg.empty:
        mean_strain = fg.groupby("model")["strain"].mean().sort_values()
        best = mean_strain.index[0]
        has_kd = any(fam.get(m) == "distilled" for m in mean_strain.index)
        add(
            "kd_most_resilient_fgsm",
            f"lowest mean FGSM strain: {best} ({mean_strain.iloc[0]:.2f})",
            None if not has_kd else fam.get(best) == "distilled",
        )
    return pd.DataFrame(rows)


def boxplot_claims(df: pd.DataFrame, classes: pd.DataFrame) -> pd.DataFrame:
    """The paper's summary statements checked on the box-plots' data: the median strain of
    each compression family over every grid cell of an attack (``df`` is the sweep table),
    and the strong/ductile/brittle ``classes`` of the stress-strain chapter."""
    from .metrics import strain
    from .paper import BREAKINGBED_BOX_CLAIMS as CLAIMS

    med = (
        df.assign(strain=strain(df["clean_accuracy"], df["accuracy"]))
        .groupby(["attack", "family"])["strain"]
        .median()
        .unstack()
    )
    rows: list[dict[str, str]] = []

    def add(key: str, evidence: str, holds: bool | None) -> None:
        rows.append(_claim_row(CLAIMS[key], evidence, holds))

    others = [f for f in med.columns if f != "binary"]
    if "binary" in med and others:
        lower = med["binary"] < med[others].min(axis=1)
        add(
            "bnn_resilient",
            f"binary family has the lowest median strain under {int(lower.sum())} of "
            f"{len(lower)} attacks ({', '.join(lower.index[lower]) or 'none'})",
            bool(lower.all()),
        )
    else:
        add("bnn_resilient", "no binary model, or nothing to compare it with", None)
    fam = df.drop_duplicates("model").set_index("model")["family"]
    base = [m for m in classes.index if fam.get(m) in ("vanilla", "pruned")]
    if base:
        strong = classes.loc[base].stack()
        strong = strong[strong == "strong"]
        pairs = ", ".join(f"{m} / {a}" for m, a in strong.index)
        add(
            "uncompressed_pruned_susceptible",
            f"{len(strong)} (model, attack) curves of {len(base)} vanilla and pruned models "
            f"are strong{': ' + pairs if pairs else ''}",
            strong.empty,
        )
    kd = [m for m in classes.index if fam.get(m) == "distilled"]
    white = [a for a in classes.columns if a not in BLACK_BOX and a != "cw_l2"]
    if kd and white:
        cls = classes.loc[kd, white].stack()
        add(
            "kd_strong_white_box",
            f"{int((cls == 'strong').sum())} of {len(cls)} white-box curves (C&W aside) of the "
            "distilled models are strong",
            bool((cls == "strong").all()),
        )
    else:
        add("kd_strong_white_box", "no distilled model in this sweep", None)
    return pd.DataFrame(rows)
