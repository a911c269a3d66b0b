"""The claims engine: a paper's claim, this study's number with a 95% interval, the rule
that decides, and a verdict from one fixed set.

Every chapter's verdicts go through :func:`decide` (one comparison) or :func:`combine`
(a claim made of several comparisons), and then :func:`guarded` (the conditions under
which no comparison may decide: a model far below its paper accuracy, a collapsed model,
suspected gradient masking behind a robustness claim, missing models). The claim's
statement comes from ``data/reference/claims.csv`` by its ``claim_id``, so it is never
retyped.

Intervals:

- an accuracy measured on ``n`` images gets Wilson's score interval (:func:`wilson`);
- a difference of two accuracies gets Newcombe's hybrid score interval (method 10 of
  Newcombe 1998), which treats the two as independent samples; on the same images it is
  conservative (wider than a paired interval);
- a mean over reruns or seeds gets a percentile bootstrap interval (:func:`bootstrap`).
"""

from __future__ import annotations

import difflib
import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import pandas as pd

from compression_robustness.core import paths
from compression_robustness.core.registry import ConfigError

#: z of a two-sided 95% interval
Z95 = 1.959963984540054

#: a model more than this many points below its paper clean accuracy cannot decide a claim
#: that compares its robustness with the paper's (the zoo's targets are 2 points for
#: full-precision and pruned models, 5 for binarised ones; this is the larger of the two)
ACCURACY_MARGIN = 5.0


class Verdict(StrEnum):
    """The one fixed set of verdicts."""

    REPRODUCED = "reproduced"
    PARTLY = "partly reproduced"
    NOT_REPRODUCED = "not reproduced"
    INCONCLUSIVE = "inconclusive"
    UNTESTABLE = "untestable here"

    def __str__(self) -> str:
        return self.value


VERDICTS = tuple(Verdict)


# --- intervals -----------------------------------------------------------------------------


def wilson(k: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval of a proportion ``k / n`` (as fractions in [0, 1])."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Estimate:
    """A number of ours with its 95% interval, in ``unit`` (``%`` for accuracies)."""

    value: float
    lo: float
    hi: float
    n: int | None = None
    unit: str = "%"

    @classmethod
    def accuracy(cls, accuracy: float, n: int) -> Estimate:
        """An accuracy given as a fraction in [0, 1] (or in percent, when above 1) on ``n``
        images, with its Wilson interval, in percent."""
        frac = accuracy / 100 if accuracy > 1 else accuracy
        lo, hi = wilson(round(frac * n), n)
        return cls(100 * frac, 100 * lo, 100 * hi, int(n), "%")

    @classmethod
    def difference(cls, a: Estimate, b: Estimate) -> Estimate:
        """``a - b`` of two accuracies, with Newcombe's hybrid score interval."""
        if a.n is None or b.n is None:
            raise ValueError("a difference of accuracies needs both sample sizes")
        l1, u1 = a.lo, a.hi
        l2, u2 = b.lo, b.hi
        d = a.value - b.value
        lo = d - math.sqrt((a.value - l1) ** 2 + (u2 - b.value) ** 2)
        hi = d + math.sqrt((u1 - a.value) ** 2 + (b.value - l2) ** 2)
        return cls(d, lo, hi, min(a.n, b.n), "points")

    @classmethod
    def exact(cls, value: float, unit: str = "") -> Estimate:
        """A number without sampling error (a count, a size, a deterministic measurement)."""
        return cls(float(value), float(value), float(value), None, unit)

    def covers(self, x: float) -> bool:
        return self.lo <= x <= self.hi

    def text(self, digits: int | None = None) -> str:
        """``62.0 % [55.1, 68.4] (n = 200)``, rounded to what the interval supports."""
        if not np.isfinite(self.value):
            return "–"
        if digits is None:
            digits = _digits(self.hi - self.lo)
        unit = "" if not self.unit else (" %" if self.unit == "%" else f" {self.unit}")
        core = f"{self.value:.{digits}f}{unit}"
        if self.lo == self.hi:
            return f"{self.value:g}{unit}"
        n = f" (n = {self.n})" if self.n else ""
        return f"{core} [{self.lo:.{digits}f}, {self.hi:.{digits}f}]{n}"


def _digits(width: float) -> int:
    """Decimals that an interval of this width supports: 0 from 10 up, 1 from 1, else 2."""
    if not np.isfinite(width) or width >= 10:
        return 0
    return 1 if width >= 1 else 2


def bootstrap(
    values: Sequence[float], unit: str = "%", n_boot: int = 2000, seed: int = 0
) -> Estimate:
    """The mean of ``values`` (reruns or seeds) with a percentile bootstrap 95% interval."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0, unit)
    if v.size == 1:
        return Estimate(float(v[0]), float(v[0]), float(v[0]), 1, unit)
    rng = np.random.default_rng(seed)
    means = rng.choice(v, size=(n_boot, v.size), replace=True).mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return Estimate(float(v.mean()), float(lo), float(hi), int(v.size), unit)


# --- the claims and their decisions --------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One claim's verdict: ours against the paper's, and the rule that decided."""

    claim_id: str
    verdict: Verdict
    ours: str
    paper: str
    rule: str
    chapter: str = ""
    why: str = ""  # what overrode or limited the comparison, if anything
    parts: tuple[Decision, ...] = field(default=(), compare=False)

    def row(self, catalogue: pd.DataFrame | None = None) -> dict[str, str]:
        cat = claim_catalogue() if catalogue is None else catalogue
        c = cat.loc[self.claim_id]
        return {
            "paper": c["paper"],
            "claim_id": self.claim_id,
            "section": c["section"],
            "statement": c["statement"],
            "paper value": self.paper,
            "ours (95% CI)": self.ours,
            "rule": self.rule,
            "verdict": str(self.verdict),
            "why": self.why,
            "chapter": self.chapter,
        }


@functools.cache
def _catalogue(path: str, mtime: float) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str).set_index("claim_id", drop=False)


def claim_catalogue() -> pd.DataFrame:
    """Every claim of the four papers (``data/reference/claims.csv``), indexed by id."""
    path = paths.reference_dir() / "claims.csv"
    return _catalogue(str(path), path.stat().st_mtime).copy()


def check_claim_id(claim_id: str) -> str:
    cat = claim_catalogue()
    if claim_id not in cat.index:
        near = difflib.get_close_matches(claim_id, list(cat.index), n=5, cutoff=0.3)
        raise ConfigError(
            f"unknown claim_id {claim_id!r}; the nearest valid ones: {', '.join(near) or '-'} "
            f"(all {len(cat)} are in data/reference/claims.csv)"
        )
    return claim_id


def _fmt(x: float | Estimate | str) -> str:
    if isinstance(x, Estimate):
        return x.text()
    if isinstance(x, str):
        return x
    return "–" if x is None or not np.isfinite(x) else f"{x:g}"


def decide(
    claim_id: str,
    ours: Estimate,
    *,
    paper: float | str | Estimate,
    above: float | None = None,
    below: float | None = None,
    near: float | None = None,
    tolerance: float = 0.0,
    chapter: str = "",
    rule: str = "",
) -> Decision:
    """One comparison of ``ours`` (with its interval) against a threshold.

    - ``above=t``: the claim says the quantity exceeds ``t``. Reproduced when the whole
      interval is above ``t``, not reproduced when the whole interval is at or below it,
      inconclusive when the interval covers ``t``.
    - ``below=t``: the mirror image.
    - ``near=v``: the claim gives the value ``v``. Reproduced when ``v`` is within the
      interval widened by ``tolerance`` on each side, else not reproduced.
    """
    if sum(x is not None for x in (above, below, near)) != 1:
        raise ValueError("give exactly one of above=, below=, near=")
    if not np.isfinite(ours.value):
        return Decision(
            check_claim_id(claim_id),
            Verdict.UNTESTABLE,
            "–",
            _fmt(paper),
            rule or "no number of ours",
            chapter,
            "this profile has no result for it",
        )
    if above is not None:
        v = (
            Verdict.REPRODUCED
            if ours.lo > above
            else Verdict.NOT_REPRODUCED
            if ours.hi <= above
            else Verdict.INCONCLUSIVE
        )
        auto = f"ours > {above:g} {ours.unit}".rstrip()
    elif below is not None:
        v = (
            Verdict.REPRODUCED
            if ours.hi < below
            else Verdict.NOT_REPRODUCED
            if ours.lo >= below
            else Verdict.INCONCLUSIVE
        )
        auto = f"ours < {below:g} {ours.unit}".rstrip()
    else:
        ok = ours.lo - tolerance <= near <= ours.hi + tolerance
        v = Verdict.REPRODUCED if ok else Verdict.NOT_REPRODUCED
        auto = f"paper's value within our interval ± {tolerance:g} {ours.unit}".rstrip()
    why = ""
    if v is Verdict.INCONCLUSIVE:
        why = "the interval covers both outcomes"
    return Decision(
        check_claim_id(claim_id), v, ours.text(), _fmt(paper), rule or auto, chapter, why
    )


def decide_bool(
    claim_id: str, holds: bool | None, *, ours: str, paper: str, rule: str, chapter: str = ""
) -> Decision:
    """A claim decided by a rule without sampling error (an ordering of exact numbers, a
    count of classes): ``holds`` True, False, or None (no data in this profile)."""
    if holds is None:
        return Decision(
            check_claim_id(claim_id),
            Verdict.UNTESTABLE,
            ours,
            paper,
            rule,
            chapter,
            "this profile has no result for it",
        )
    v = Verdict.REPRODUCED if holds else Verdict.NOT_REPRODUCED
    return Decision(check_claim_id(claim_id), v, ours, paper, rule, chapter)


def combine(
    claim_id: str, parts: Iterable[Decision], *, rule: str, chapter: str = "", paper: str = ""
) -> Decision:
    """A claim made of several comparisons (every model of a family, every attack).

    All parts reproduced: reproduced. Some reproduced and some not: partly reproduced. None
    reproduced and some not: not reproduced. Otherwise (parts reproduced or partly so, and
    the rest inconclusive; or all inconclusive): inconclusive, since the undecided parts
    could still go either way. Untestable parts are left out; all untestable: untestable here.
    """
    parts = tuple(parts)
    tested = [p for p in parts if p.verdict is not Verdict.UNTESTABLE]
    counts = {v: sum(p.verdict is v for p in tested) for v in Verdict}
    r, n = counts[Verdict.REPRODUCED], counts[Verdict.NOT_REPRODUCED]
    pr = counts[Verdict.PARTLY]
    i = counts[Verdict.INCONCLUSIVE]
    if not tested:
        v = Verdict.UNTESTABLE
    elif r == len(tested):
        v = Verdict.REPRODUCED
    elif (r or pr) and n:
        v = Verdict.PARTLY
    elif n:
        v = Verdict.NOT_REPRODUCED
    elif pr and not i:
        v = Verdict.PARTLY
    else:
        v = Verdict.INCONCLUSIVE
    ours = (
        f"{r} of {len(tested)} parts reproduced"
        + (f", {n} not" if n else "")
        + (f", {pr} partly" if pr else "")
        + (f", {i} inconclusive" if i else "")
    )
    why = "no part is testable in this profile" if not tested else ""
    return Decision(check_claim_id(claim_id), v, ours, paper or "–", rule, chapter, why, parts)


# --- guards: when no comparison may decide -------------------------------------------------


@dataclass(frozen=True)
class ModelStatus:
    """What the guards need to know about one model of ours."""

    model: str
    clean_accuracy: float  # percent, on the full test set
    paper_accuracy: float | None = None  # percent, from the paper's table
    chance: float = 10.0  # percent
    masking: tuple[str, ...] = ()  # the audit checks this model fails
    audited: bool = False

    @property
    def gap(self) -> float | None:
        if self.paper_accuracy is None:
            return None
        return self.paper_accuracy - self.clean_accuracy


def guarded(
    d: Decision,
    models: Iterable[ModelStatus] = (),
    *,
    robustness: bool = False,
    margin: float = ACCURACY_MARGIN,
    missing: Iterable[str] = (),
) -> Decision:
    """``d``, or the same claim marked **untestable here** (a model it needs is missing) or
    **inconclusive** (a model more than ``margin`` points below its paper accuracy, a
    collapsed model, or, for a claim that a model is robust, an audit that suspects
    gradient masking or has not run). The overridden comparison stays in ``ours``."""
    missing = list(missing)
    if missing:
        return replace(
            d, verdict=Verdict.UNTESTABLE, why=f"not in this profile: {', '.join(missing)}"
        )
    if d.verdict is Verdict.UNTESTABLE:
        return d
    reasons = []
    for m in models:
        if m.clean_accuracy < 2 * m.chance:
            reasons.append(f"{m.model} collapsed ({m.clean_accuracy:.1f} % clean)")
        elif m.gap is not None and m.gap > margin:
            reasons.append(
                f"{m.model} is {m.gap:.1f} points below the paper's {m.paper_accuracy:.2f} %"
            )
        if robustness and m.masking:
            reasons.append(f"{m.model}: gradient masking suspected ({', '.join(m.masking)})")
        elif robustness and not m.audited:
            reasons.append(f"{m.model} not audited for gradient masking")
    if not reasons:
        return d
    was = f"the comparison alone says {d.verdict}" if d.verdict is not Verdict.INCONCLUSIVE else ""
    why = "; ".join([*reasons, was] if was else reasons)
    return replace(d, verdict=Verdict.INCONCLUSIVE, why=why)


#: the results table of the gradient-masking audit: one row per (model, check), with a
#: boolean ``failed``
AUDIT_CHAPTER = "audit"
#: the audit chapter writes its flags here (the chapter table itself is ``audit.parquet``)
AUDIT_FLAGS_TABLE = "audit_flags.parquet"


def audit_flags(profile: str) -> dict[str, tuple[str, ...]] | None:
    """``model -> the audit checks it fails`` from the profile's committed audit table
    (a model with no failed check maps to ``()``), or None when there is no audit yet."""
    path = paths.results_dir(profile) / AUDIT_FLAGS_TABLE
    if not path.is_file():
        return None
    df = pd.read_parquet(path, columns=["model", "check", "failed"])
    return {
        m: tuple(sorted(g.loc[g["failed"].astype(bool), "check"])) for m, g in df.groupby("model")
    }


def model_status(
    model: str,
    clean_accuracy: float,
    paper_accuracy: float | None,
    flags: dict[str, tuple[str, ...]] | None,
    chance: float = 10.0,
) -> ModelStatus:
    """A :class:`ModelStatus` with the audit's verdict on ``model`` from ``flags``
    (:func:`audit_flags`). Accuracies in percent."""
    audited = flags is not None and model in flags
    return ModelStatus(
        model,
        float(clean_accuracy),
        None if paper_accuracy is None else float(paper_accuracy),
        chance,
        flags.get(model, ()) if flags else (),
        audited,
    )


# --- tables --------------------------------------------------------------------------------

SCOREBOARD_COLUMNS = [
    "paper",
    "claim_id",
    "section",
    "statement",
    "paper value",
    "ours (95% CI)",
    "rule",
    "verdict",
    "why",
    "chapter",
]


def decisions_frame(decisions: Iterable[Decision]) -> pd.DataFrame:
    """One row per decision, in :data:`SCOREBOARD_COLUMNS`; a claim decided twice is an error."""
    cat = claim_catalogue()
    rows = [d.row(cat) for d in decisions]
    df = pd.DataFrame(rows, columns=SCOREBOARD_COLUMNS)
    dup = df["claim_id"][df["claim_id"].duplicated()]
    if not dup.empty:
        raise ValueError(f"claims decided twice: {', '.join(sorted(set(dup)))}")
    return df


def verdict_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Claims per paper and verdict (every verdict a column, zeros included), with totals."""
    t = pd.crosstab(
        df["paper"], pd.Categorical(df["verdict"], categories=[str(v) for v in Verdict])
    )
    t = t.reindex(columns=[str(v) for v in Verdict], fill_value=0)
    t["claims"] = t.sum(axis=1)
    t.loc["all"] = t.sum()
    t.columns.name = None
    return t.reset_index().rename(columns={"index": "paper"})
