"""Robustness metrics computed from results tables."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from compression_robustness import attacks as A


def breaking_iteration(iterations, accuracy, chance: float) -> float:
    """The first recorded iteration whose accuracy is below ``chance`` (NaN if none).

    BreakingBED draws a "breaking line" at chance level (10% on CIFAR-10); a network is
    broken at the first iteration where the attack pushes its accuracy below it.
    """
    its = np.asarray(iterations)
    acc = np.asarray(accuracy, dtype=float)
    order = np.argsort(its)
    its, acc = its[order], acc[order]
    below = np.flatnonzero(acc < chance)
    return float(its[below[0]]) if below.size else float("nan")


def converged_level(iterations, values, tail_fraction: float = 0.2) -> float:
    """Mean of ``values`` over the last ``tail_fraction`` of the recorded iterations."""
    its = np.asarray(iterations, dtype=float)
    vals = np.asarray(values, dtype=float)
    if its.size == 0:
        return float("nan")
    cut = its.max() - tail_fraction * (its.max() - its.min())
    return float(vals[its >= cut].mean())


def curve_summary(df: pd.DataFrame, chance: float, by=("model",)) -> pd.DataFrame:
    """Per model: clean accuracy, breaking iteration and converged accuracy/loss.

    ``df`` holds rows (model, seed, iterations, accuracy, loss, clean_accuracy). The curve
    is first averaged over seeds (reruns); the breaking iteration is that of the mean curve,
    with the range over the individual reruns alongside.
    """
    rows = []
    for key, g in df.groupby(list(by), sort=False):
        mean = g.groupby("iterations")[["accuracy", "loss"]].mean().reset_index()
        per_seed = [
            breaking_iteration(s["iterations"], s["accuracy"], chance) for _, s in g.groupby("seed")
        ]
        rows.append(
            {
                **dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
                "clean_accuracy": float(g["clean_accuracy"].iloc[0]),
                "breaking_iteration": breaking_iteration(
                    mean["iterations"], mean["accuracy"], chance
                ),
                "breaking_iteration_min": float(np.nanmin(per_seed))
                if not np.all(np.isnan(per_seed))
                else float("nan"),
                "breaking_iteration_max": float(np.nanmax(per_seed))
                if not np.all(np.isnan(per_seed))
                else float("nan"),
                "converged_accuracy": converged_level(mean["iterations"], mean["accuracy"]),
                "converged_loss": converged_level(mean["iterations"], mean["loss"]),
                "reruns": int(g["seed"].nunique()),
                "n_examples": int(g["n_examples"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def breaking_phrase(breaking_iteration: float, max_iter: int) -> str:
    """Plain words for a breaking iteration: "breaks at iteration 5" or "does not break
    within 50 iterations" (NaN means the accuracy never fell below chance)."""
    if np.isnan(breaking_iteration):
        return f"does not break within {max_iter} iterations"
    return f"breaks at iteration {breaking_iteration:.0f}"


# --------------------------------------------------------------------------- stress and strain
def stress_axes() -> dict[str, tuple[str, dict]]:
    """BreakingBED's stress axis per sweep attack, from the attack registry: which grid
    axis is the stress, and the fixed value of the other axes (Sec. 4.2): FGSM sigma = eps;
    PGD sigma = eps at i = 3; C&W sigma = iterations at eps (c) = 1; DeepFool sigma =
    iterations; LocalSearch sigma = iterations at eps = 16; GenAttack sigma = generations
    at eps = 8, N = 16."""
    specs = {a: A.ATTACKS.get(a) for a in A.list_attacks(sweep=True)}
    return {a: (spec.stress_axis, spec.stress_fixed) for a, spec in specs.items()}


def strain(clean_accuracy, attacked_accuracy):
    """BreakingBED's strain: the relative accuracy drop (A - A*) / A."""
    a = np.asarray(clean_accuracy, dtype=float)
    return (a - np.asarray(attacked_accuracy, dtype=float)) / np.where(a > 0, a, np.nan)


def stress_strain_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Rows ``model, arch, variant, family, attack, stress, strain, accuracy`` from a sweep
    table, taking each attack's stress axis and fixing its other axes as in the paper."""
    out = []
    for attack, (axis, fixed) in stress_axes().items():
        sub = df[df["attack"] == attack]
        for col, val in fixed.items():
            if col in sub and sub[col].notna().any():
                sub = sub[np.isclose(sub[col].astype(float), val)]
        if sub.empty:
            continue
        sub = sub.assign(stress=sub[axis].astype(float))
        sub = sub.assign(strain=strain(sub["clean_accuracy"], sub["accuracy"]))
        cols = ["model", "arch", "variant", "family", "attack", "stress", "strain", "accuracy"]
        out.append(sub[cols].groupby(cols[:6], as_index=False).mean())
    if not out:
        return pd.DataFrame(columns=["model", "attack", "stress", "strain"])
    return pd.concat(out, ignore_index=True).sort_values(["attack", "model", "stress"])


#: Thresholds of the classification rule (see :func:`classify_curve`).
BREAK_STRAIN = 0.8
STRONG_STRAIN = 0.5


class Reading(StrEnum):
    """Where on the grid a curve's brittleness is read (see :func:`classify_curve`).

    * ``first``: the smallest stress of the grid, the rule as BreakingBED words it ("breaks
      at once"). On an iteration axis that is an attack that has barely started (C&W after
      one iteration), so the class says more about the attack than about the model;
    * ``second``: the grid's second stress (C&W at 10 iterations, LocalSearch at 100 rounds);
    * ``converged``: where the attack has converged. On an iteration axis (C&W, DeepFool,
      LocalSearch, GenAttack) that is the largest stress of the grid, the longest run; on a
      budget axis (FGSM and PGD, sigma = eps) the attack is complete at every point and
      "breaks at once" means at the smallest budget, so it is the first point. This is the
      reading the book's classes and the claims engine use.
    """

    FIRST = "first"
    SECOND = "second"
    CONVERGED = "converged"


#: the reading of the book's classes and claims
DEFAULT_READING = Reading.CONVERGED


def reading_position(axis: str | None, reading: Reading | str, n_points: int) -> int:
    """The index, in increasing stress, of the point where ``reading`` reads brittleness on
    a grid of ``n_points`` stresses along ``axis`` (``eps`` or ``iterations``)."""
    reading = Reading(reading)
    if n_points < 1:
        raise ValueError("a curve needs at least one point")
    if reading is Reading.FIRST:
        return 0
    if reading is Reading.SECOND:
        return min(1, n_points - 1)
    return n_points - 1 if axis == "iterations" else 0


def classify_curve(stress, strain_values, at: int = 0) -> str:
    """Strong, ductile or brittle, by a documented rule on a stress-strain curve.

    With the stresses of the grid in increasing order:

    * **brittle**: the strain exceeds ``BREAK_STRAIN`` (0.8: at least 80% of the correctly
      classified images are lost) at the grid point ``at`` (0: the *smallest* stress, the
      network breaks at once; see :class:`Reading` and :func:`reading_position` for the
      other readings);
    * **strong**: the strain stays below ``STRONG_STRAIN`` (0.5) up to the *largest* stress:
      the network never loses half its accuracy on the grid;
    * **ductile**: everything in between; the network gives way gradually as stress grows.
    """
    order = np.argsort(np.asarray(stress, dtype=float))
    s = np.asarray(strain_values, dtype=float)[order]
    if s.size == 0 or np.all(np.isnan(s)):
        return "undefined"
    if not -s.size <= at < s.size:
        raise ValueError(f"grid point {at} is outside a curve of {s.size} points")
    if s[at] >= BREAK_STRAIN:
        return "brittle"
    if np.nanmax(s) < STRONG_STRAIN:
        return "strong"
    return "ductile"


def _classify(g: pd.DataFrame, attack: str, reading: Reading | str) -> str:
    axis = stress_axes().get(attack, ("eps", {}))[0]
    at = reading_position(axis, reading, len(g))
    return classify_curve(g["stress"], g["strain"], at=at)


def classify_all(curves: pd.DataFrame, reading: Reading | str = DEFAULT_READING) -> pd.DataFrame:
    """The class of every (model, attack) curve under ``reading``, as a wide table (models x
    attacks)."""
    rows = [
        {"model": m, "attack": a, "class": _classify(g, a, reading)}
        for (m, a), g in curves.groupby(["model", "attack"])
    ]
    return pd.DataFrame(rows).pivot(index="model", columns="attack", values="class")


def classify_readings(curves: pd.DataFrame) -> pd.DataFrame:
    """The rule's sensitivity: per attack, the stress at which each :class:`Reading` reads
    brittleness and how many models are brittle, ductile and strong under it (one row per
    attack and reading), with ``models_changed``: how many models' class differs from the
    ``converged`` reading."""
    rows = []
    for attack, ga in curves.groupby("attack"):
        axis = stress_axes().get(attack, ("eps", {}))[0]
        per_model = {m: g.sort_values("stress") for m, g in ga.groupby("model")}
        ref = {m: _classify(g, attack, Reading.CONVERGED) for m, g in per_model.items()}
        for reading in Reading:
            cls = {m: _classify(g, attack, reading) for m, g in per_model.items()}
            stresses = sorted(
                {
                    float(g["stress"].iloc[reading_position(axis, reading, len(g))])
                    for g in per_model.values()
                }
            )
            rows.append(
                {
                    "attack": attack,
                    "reading": reading.value,
                    "stress axis": axis,
                    "read at": ", ".join(f"{x:g}" for x in stresses),
                    "brittle": sum(c == "brittle" for c in cls.values()),
                    "ductile": sum(c == "ductile" for c in cls.values()),
                    "strong": sum(c == "strong" for c in cls.values()),
                    "models": len(cls),
                    "models_changed": sum(cls[m] != ref[m] for m in cls),
                }
            )
    return pd.DataFrame(rows)
