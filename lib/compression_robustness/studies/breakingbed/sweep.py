"""BreakingBED Table 2 / Figs. 3-4: the robustness sweep, the anytime-recording check and
the evidence its claims are decided on (curve points and family estimates with their
intervals; the decisions are in :mod:`compression_robustness.studies.breakingbed.claims`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.core.params import BATCH_SIZE, SEED, Param, check_number, check_params
from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate import cells as C
from compression_robustness.evaluate.claims import Estimate
from compression_robustness.evaluate.metrics import strain, stress_axes
from compression_robustness.evaluate.store import ResultStore
from compression_robustness.runtime import estimator as E
from compression_robustness.studies.breakingbed.table1 import validate_zoo


def black_box_attacks() -> list[str]:
    """Sweep attacks that only query the model (the sweep gives them ``n_blackbox`` images)."""
    return A.list_attacks(sweep=True, black_box=True)


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


#: the sweep chapters' numeric parameters (the notebooks' parameters cells hold the defaults)
PARAMS = {
    "n_examples": Param(
        int, "test images of the white-box attacks; None: all", min=1, nullable=True
    ),
    "n_blackbox": Param(
        int, "test images of the black-box attacks; None: all", min=1, nullable=True
    ),
    "ls_candidates": Param(int, "LocalSearch candidate pixels scored per round", min=1),
    "anytime_n_examples": Param(int, "test images of the anytime check's white-box attacks", min=1),
    "anytime_n_blackbox": Param(int, "test images of the anytime check's black-box attacks", min=1),
    "seed": SEED,
    "batch_size": BATCH_SIZE,
}


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
        raise ConfigError("parameter `grid` must map attack names to their grids")
    for attack, axes in grid.items():
        A.ATTACKS.check(attack)
        spec = A.ATTACKS.get(attack)
        if not spec.in_sweep:
            raise ConfigError(
                f"parameter `grid`: {attack!r} is not a sweep attack; "
                f"valid: {', '.join(A.list_attacks(sweep=True))}"
            )
        bad = set(axes) - spec.sweep_axes
        if bad or not axes:
            raise ConfigError(
                f"parameter `grid.{attack}` has axes {sorted(axes)}; "
                f"valid axes: {sorted(spec.sweep_axes)}"
            )
        for axis, values in axes.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"parameter `grid.{attack}.{axis}` must be a non-empty list")
            for v in values:
                check_number(
                    f"grid.{attack}.{axis}",
                    v,
                    min=0 if axis == "eps" else 1,
                    strict_min=axis == "eps",
                    integer=axis != "eps",
                )
    check_params(PARAMS, locals())
    for name, n in (("n_examples", n_examples), ("n_blackbox", n_blackbox)):
        D.check_subset_size(name, n, dataset)
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


def count_cells(cfg: SweepConfig) -> int:
    """How many cells :func:`sweep_cell_configs` makes, without resolving any checkpoint
    (which would train the missing ones): the validation cells count with it."""
    per_model = sum(
        len(axes.get("eps", [None])) * len(axes.get("population", [None]))
        for axes in cfg.grid.values()
    )
    return len(cfg.models) * per_model


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
                    spec = A.ATTACKS.get(attack)
                    n = cfg.n_blackbox if spec.black_box else cfg.n_examples
                    point = A.SweepPoint(
                        None if eps is None else float(eps),
                        its,
                        pop,
                        cfg.seed,
                        {"ls_candidates": cfg.ls_candidates},
                    )
                    cells.append(
                        {
                            "model": name,
                            "checkpoint_sha256": sha,
                            "dataset": cfg.dataset,
                            "split": "test",
                            "attack": attack,
                            "eps": float(eps) if eps is not None else float("nan"),
                            "eps_unit": spec.unit.value,
                            "population": pop,
                            "params": spec.sweep_params(point),
                            **A.cell_version(attack),
                            "n_examples": n,
                            "subset_seed": cfg.seed,
                            "seed": cfg.seed,
                        }
                    )
    return cells


def _sweep_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    zm, sub, est = C.cell_inputs(cell, profile, batch_size)
    x, y = sub.x.numpy(), sub.y.numpy()
    clean = E.accuracy(est, x, y)
    spec = A.ATTACKS.get(cell["attack"])
    atk = A.create(cell["attack"], est, batch_size=batch_size, **cell["params"])
    adv = spec.generate(atk, x, y, zm.spec.num_classes)
    rec = atk.record.copy() if atk.record is not None else pd.DataFrame()
    if rec.empty or "iterations" not in rec:  # single-step attacks without a record
        rec = pd.DataFrame({"iterations": [1], "accuracy": [E.accuracy(est, adv, y)]})
    if "loss" not in rec:
        rec["loss"] = float("nan")
    if not spec.anytime:  # a one-shot attack: its result, not its start
        rec = rec[rec["iterations"] == rec["iterations"].max()]
    for k, v in C.model_columns(cell["model"]).items():
        rec[k] = v
    rec["clean_accuracy"] = clean
    rec["n_examples"] = len(y)
    if hasattr(atk, "queries"):
        rec["total_queries"] = int(np.sum(atk.queries))
    return rec


def run_sweep(cfg: SweepConfig, progress: bool = True) -> pd.DataFrame:
    """Every cell of the sweep: computed once, resumable, no shared state between cells."""
    Z.train_missing(cfg.models, cfg.profile, progress=progress)  # once, ahead of the cells
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


def _anytime_cell(cell: dict[str, Any], profile: str, batch_size: int) -> pd.DataFrame:
    """One attack run with every iteration count recorded, then one separate run per
    iteration count with the same seed: the wall time of each and the accuracies."""
    import time

    zm, sub, est = C.cell_inputs(cell, profile, batch_size)
    x, y = sub.x.numpy(), sub.y.numpy()

    def run(params: dict) -> tuple[float, pd.DataFrame]:
        atk = A.create(cell["attack"], est, batch_size=batch_size, **params)
        t0 = time.perf_counter()
        A.ATTACKS.get(cell["attack"]).generate(atk, x, y, zm.spec.num_classes)
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
    profile: str,
    dataset: str,
    anytime_model: str,
    anytime_n_examples: int,
    anytime_n_blackbox: int,
) -> None:
    """Check the ``anytime_*`` parameters of the stress-strain chapter before any compute."""
    if not isinstance(anytime_model, str):
        raise ConfigError("parameter `anytime_model` must be a zoo model name")
    validate_zoo(profile, dataset, [anytime_model])
    check_params(PARAMS, locals())
    D.check_subset_size("anytime_n_examples", anytime_n_examples, dataset)


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
        if not A.ATTACKS.get(a).anytime or not c["params"].get("record_at"):
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
    store.table()  # the consolidated table follows the stored cells (rewritten only on change)
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


# --------------------------------------------------------------------------- evidence
def stress_points(df: pd.DataFrame, attack: str) -> pd.DataFrame:
    """The points of ``attack``'s stress-strain curves in a sweep table, with their sample
    sizes: one row per (model, stress) with ``accuracy``, ``clean_accuracy`` (on the same
    images, fractions) and ``n_examples``; the other grid axes fixed as in the paper
    (:func:`~compression_robustness.evaluate.metrics.stress_axes`)."""
    cols = ["model", "family", "stress", "accuracy", "clean_accuracy", "n_examples"]
    axes = stress_axes()
    if attack not in axes or df.empty:
        return pd.DataFrame(columns=cols)
    axis, fixed = axes[attack]
    sub = df[df["attack"] == attack]
    for col, val in fixed.items():
        if col in sub and sub[col].notna().any():
            sub = sub[np.isclose(sub[col].astype(float), val)]
    if sub.empty:
        return pd.DataFrame(columns=cols)
    sub = sub.assign(stress=sub[axis].astype(float))
    out = sub.groupby(["model", "family", "stress"], as_index=False).agg(
        accuracy=("accuracy", "mean"),
        clean_accuracy=("clean_accuracy", "mean"),
        n_examples=("n_examples", "max"),
    )
    return out.sort_values(["model", "stress"]).reset_index(drop=True)[cols]


def retained_estimate(accuracy: float, clean_accuracy: float, n: int) -> Estimate:
    """The retained accuracy A*/A = 1 - strain, in % of the clean accuracy: the Wilson
    interval of the attacked accuracy A* on ``n`` images, divided by the clean accuracy A
    on the same images (taken as fixed)."""
    e = Estimate.accuracy(float(accuracy), int(n))
    c = float(clean_accuracy)
    if not c > 0:
        return Estimate(float("nan"), float("nan"), float("nan"), int(n), "% of clean")
    return Estimate(e.value / c, e.lo / c, e.hi / c, int(n), "% of clean")


def pooled_estimate(rows: pd.DataFrame, *, retained: bool) -> Estimate:
    """One estimate over several models' rows of one attack (a grid or one curve point).

    Each model's accuracy (and clean accuracy) is first averaged over its rows, which are
    all on the same ``n`` images; the models are then pooled, weighted by ``n`` (so ``n``
    of the estimate is the sum over models, not over grid cells). ``retained``: the pooled
    attacked accuracy relative to the pooled clean accuracy (1 - strain), else the attacked
    accuracy itself (the quantity of the paper's box-plots)."""
    if rows.empty:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    models, idx = np.unique(rows["model"].to_numpy(dtype=object), return_inverse=True)
    count = np.bincount(idx).astype(float)
    acc = np.bincount(idx, rows["accuracy"].to_numpy(dtype=float)) / count
    clean = np.bincount(idx, rows["clean_accuracy"].to_numpy(dtype=float)) / count
    per_n = np.zeros(len(models))
    np.maximum.at(per_n, idx, rows["n_examples"].to_numpy(dtype=float))
    n = int(per_n.sum())
    a = float((acc * per_n).sum() / n)
    if not retained:
        return Estimate.accuracy(a, n)
    return retained_estimate(a, float((clean * per_n).sum() / n), n)


def family_medians(df: pd.DataFrame) -> pd.DataFrame:
    """Median strain per attack (rows) and compression family (columns) over every grid
    cell: the centre lines of the box-plots."""
    return (
        df.assign(strain=strain(df["clean_accuracy"], df["accuracy"]))
        .groupby(["attack", "family"])["strain"]
        .median()
        .unstack()
    )
