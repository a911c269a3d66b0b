"""Robustness metrics computed from results tables."""

from __future__ import annotations

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


def classify_curve(stress, strain_values) -> str:
    """Strong, ductile or brittle, by a documented rule on a stress-strain curve.

    With the stresses of the grid in increasing order:

    * **brittle**: the strain already exceeds ``BREAK_STRAIN`` (0.8: at least 80% of the
      correctly classified images are lost) at the *smallest* stress of the grid: the network
      breaks at once;
    * **strong**: the strain stays below ``STRONG_STRAIN`` (0.5) up to the *largest* stress:
      the network never loses half its accuracy on the grid;
    * **ductile**: everything in between; the network gives way gradually as stress grows.
    """
    order = np.argsort(np.asarray(stress, dtype=float))
    s = np.asarray(strain_values, dtype=float)[order]
    if s.size == 0 or np.all(np.isnan(s)):
        return "undefined"
    if s[0] >= BREAK_STRAIN:
        return "brittle"
    if np.nanmax(s) < STRONG_STRAIN:
        return "strong"
    return "ductile"


def classify_all(curves: pd.DataFrame) -> pd.DataFrame:
    """The class of every (model, attack) curve, as a wide table (models x attacks)."""
    rows = [
        {"model": m, "attack": a, "class": classify_curve(g["stress"], g["strain"])}
        for (m, a), g in curves.groupby(["model", "attack"])
    ]
    return pd.DataFrame(rows).pivot(index="model", columns="attack", values="class")
