"""Headline numbers of a profile's stored results, kept as data to catch regressions.

Each chapter's headline is a small table computed from its stored cells: the mean of a
result column per group (for example the mean accuracy per model and attack). The cpu
profile's headlines are stored in ``tests/reference/cpu_headlines.json`` (the way
RobustBench keeps its expected results as data); a fast test recomputes them from the
committed cells and compares. After a deliberate recompute, regenerate the file with
``python -m compression_robustness headlines --profile cpu --out tests/reference/cpu_headlines.json``
and review its diff.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from compression_robustness.core.params import check_profile
from compression_robustness.evaluate.store import ResultStore


@dataclass(frozen=True)
class Headline:
    """The mean of ``value`` per ``by`` group, over the rows where ``value`` is set; with
    ``last`` only each group's rows at its largest ``last`` value (e.g. the last recorded
    iteration) count."""

    by: tuple[str, ...]
    value: str = "accuracy"
    last: str | None = None


HEADLINES: dict[str, Headline] = {
    "zoo": Headline(("model",)),
    "pgd": Headline(("model", "attack", "eps"), last="iterations"),
    "sweep": Headline(("model", "attack")),
    "cam": Headline(("model", "view"), value="q3"),
    "imagenet": Headline(("model", "attack")),
    "bnn_mnist": Headline(("model", "attack")),
    "transferability": Headline(("scenario", "attack")),
    "pixel_noise": Headline(("model", "perturbation")),
}

#: significant digits kept: float round-off across platforms stays below this
DIGITS = 10


def _round(x: float) -> float:
    return float(f"{x:.{DIGITS}g}")


def chapter_headlines(df: pd.DataFrame, h: Headline) -> dict[str, float]:
    if df.empty or h.value not in df:
        return {}
    df = df[df[h.value].notna()]
    if h.last:
        top = df.groupby(list(h.by), dropna=False)[h.last].transform("max")
        df = df[df[h.last] == top]
    out = {}
    for key, v in df.groupby(list(h.by), dropna=False)[h.value].mean().items():
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{c}={k}" for c, k in zip(h.by, key, strict=True))
        if not (isinstance(v, float) and math.isnan(v)):
            out[label] = _round(float(v))
    return out


def headlines(profile: str) -> dict[str, dict[str, float]]:
    """Every chapter's headline numbers from the profile's stored cells."""
    check_profile(profile)
    out = {}
    for chapter, h in HEADLINES.items():
        store = ResultStore(profile, chapter)
        if store.root.is_dir():
            out[chapter] = chapter_headlines(store.table(write=False), h)
    return out
