"""The claims of Cheng & Hu, "Architectural resilience to foreground-and-background
adversarial noise", decided from this profile's committed results by the claims engine
(:mod:`compression_robustness.evaluate.claims`).

Everything here reads the committed ``pixel_noise`` results table (one row per model,
perturbation, number of attacks ``k`` and repeat, plus the per-image rows of the Table 2
attacks), the profile's YAML and the zoo's recipes; nothing runs an attack, trains or
loads a model.

Numbers and intervals:

* an accuracy of a curve (one model, one or more perturbations, one or more ``k``) is the
  mean over the seeded repeats of the mean over those points; its interval is the union of
  the percentile bootstrap interval over the repeats and the Wilson interval of that mean
  on the ``n_examples`` test images. Every repeat perturbs the *same* test images, so the
  repeats alone would ignore the sampling of the images (two repeats at ``k = 0`` agree
  exactly), and ``n_examples`` (not the number of points averaged) is the sample size;
* a difference of two such accuracies gets Newcombe's interval
  (:meth:`~compression_robustness.evaluate.claims.Estimate.difference`); a linear
  combination of several (a slope, a difference of slopes, a group mean) gets the same
  construction generalised to more terms (the square-and-add of Zou & Donner's MOVER);
* "resilience", where a claim ranks models without naming a number of attacks, is the
  accuracy averaged over Table 1's attacked columns ``k = 10, 40, 100, 200``, so that the
  paper's own Table 1 can be read by the same rule (its value is given beside ours).

Guards: a model's clean accuracy is compared with the paper's (Table 1's 0-attack value;
ResNet-18, 34 and 101 have no row there and get the paper's training target of 99.0 %),
and claims that rank architectures or depths by their resilience are robustness claims
(``robustness=True``: inconclusive until the gradient-masking audit has run, although the
pixel noise never queries the model).
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from compression_robustness import data as D
from compression_robustness import zoo as Z
from compression_robustness.attacks import pixel_noise as P
from compression_robustness.core.params import chapter_parameters
from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate.claims import (
    Decision,
    Estimate,
    ModelStatus,
    Verdict,
    audit_flags,
    bootstrap,
    check_claim_id,
    claim_catalogue,
    combine,
    decide,
    guarded,
    model_status,
)
from compression_robustness.evaluate.store import load_table
from compression_robustness.models import m56 as MM
from compression_robustness.studies import paper
from compression_robustness.studies.cheng import pixel_noise as S

CHAPTER = S.CHAPTER
PAPER = "cheng"

WTB, BTW, RPI, ETA = "white_to_black", "black_to_white", "pixel_invert", "edge_to_altered"
PERTS = (WTB, BTW, RPI, ETA)
ABBR = S.PERTURBATIONS  # perturbation -> the paper's abbreviation

#: Table 1's attacked columns (10, 40, 100, 200): the curve points every ranking claim averages
ATTACKED_K = tuple(k for k in S.TABLE1_K if k)
KMAX = ATTACKED_K[-1]
#: Table 1's two largest numbers of attacks, where the paper's curves separate most
LATE_K = ATTACKED_K[-2:]
#: the Table 1 points that split a curve into three segments (for its shape)
SHAPE_K = (0, *ATTACKED_K[1:])

R50, R50V2, VGG, EFF, FC = (f"{a}-vanilla" for a in Z.M56_MAIN)
R18, R34, _R50, R101 = (f"{a}-vanilla" for a in Z.M56_DEPTH)
MAIN = (R50, R50V2, VGG, EFF, FC)
DEPTH = (R18, R34, R50, R101)
RESIDUAL = (R50, R50V2, EFF)  # residual shortcut connections (the paper's Sec. 5)
NON_RESIDUAL = (VGG, FC)
COMPARE = (FC, R50, EFF)  # the order of the Table 2 models in the chapter

#: "similarly well", "nearly equally", "a notable difference": 5 points, the engine's margin
#: for a model to be comparable with the paper (the paper's own VGG-19 WtB-BtW gap, which
#: it does not call equal, is 5.6 points; those it calls equal are at most 3.8)
EQUAL_MARGIN = 5.0
#: the factor of the training's "step" schedule at each milestone (runtime/train.py)
STEP_DECAY = 0.1
#: ART BoundaryAttack's default number of iterations
BOUNDARY_DEFAULT_ITER = 5000
NAN = Estimate(math.nan, math.nan, math.nan, 0, "%")


def label(model: str) -> str:
    return MM.DISPLAY[model.removesuffix("-vanilla")]


def stated(cid: str, pattern: str) -> tuple[float, ...]:
    """The numbers that ``pattern``'s groups match in the claim's own sentence
    (``data/reference/claims.csv``), so that no number of the paper is typed here."""
    statement = claim_catalogue().loc[cid, "statement"]
    m = re.search(pattern, statement)
    if m is None:
        raise ValueError(f"{cid}: {pattern!r} not in its statement {statement!r}")
    return tuple(float(g) for g in m.groups())


# --------------------------------------------------------------------------- evidence
@dataclass
class Evidence:
    """What the decisions read: the profile's results, its chapter parameters and the
    guard status of every model it has results for."""

    profile: str
    noise: pd.DataFrame | None  # the pixel-noise curves
    compare: pd.DataFrame | None  # the Table 2 attacks, one row per attacked image
    params: dict
    status: dict[str, ModelStatus]
    cache: dict = field(default_factory=dict)  # accuracy() by its arguments


def paper_clean(model: str) -> float:
    """The paper's clean accuracy (%) of ``model``: Table 1's 0-attack value, else (the
    depth study's ResNets) its training target of 99.0 % validation accuracy."""
    v = paper.CHENG_HU_TABLE1.get((label(model), "WtB", 0))
    return float(v) if v is not None else 100 * paper.CHENG_HU_TARGET_ACCURACY


def _clean_accuracy(noise: pd.DataFrame, model: str) -> float:
    sub = noise[(noise["model"] == model) & (noise["k"] == 0)]
    if not sub.empty:
        return 100 * float(sub["accuracy"].mean())
    return 100 * float(noise.loc[noise["model"] == model, "clean_accuracy"].mean())


#: the columns of the noise curves the decisions read
NOISE_COLUMNS = ("model", "perturbation", "k", "repeat", "accuracy", "n_examples")
NOISE_COLUMNS += ("clean_accuracy", "dataset")


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with plain object strings (filtering Arrow-backed strings is slow)."""
    out = df.copy()
    for c in out.columns:
        if not pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(object)
    return out.reset_index(drop=True)


def evidence(profile: str) -> Evidence:
    try:
        df = load_table(profile, CHAPTER)
    except FileNotFoundError:
        df = None
    noise = compare = None
    if df is not None and not df.empty:
        attack = df["attack"] if "attack" in df else pd.Series("pixel_noise", index=df.index)
        noise = df[(attack == "pixel_noise") & df["perturbation"].notna()]
        compare = df[attack.isin(S.COMPARE_ATTACKS)] if "attack" in df else None
        cols = [c for c in NOISE_COLUMNS if c in noise]
        noise = None if noise.empty else _plain(noise[cols])
        compare = None if compare is None or compare.empty else compare
    try:
        params = chapter_parameters(profile, CHAPTER)
    except (ConfigError, OSError):  # a profile without the section decides no setup claim
        params = {}
    flags = audit_flags(profile)
    status = {}
    if noise is not None:
        for m in dict.fromkeys(noise["model"]):
            if m.removesuffix("-vanilla") in MM.DISPLAY:
                status[m] = model_status(m, _clean_accuracy(noise, m), paper_clean(m), flags)
    return Evidence(profile, noise, compare, params, status)


def envelope(values: Sequence[float], n: int) -> Estimate:
    """The mean of per-repeat accuracies (fractions) in %, with the union of their
    bootstrap interval and the Wilson interval of the mean on ``n`` images."""
    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    w = Estimate.accuracy(mean, n)
    b = bootstrap(100 * v)
    return Estimate(100 * mean, min(w.lo, b.lo), max(w.hi, b.hi), int(n), "%")


def accuracy(ev: Evidence, model: str, perts: Sequence[str] | None, ks: Sequence[int]) -> Estimate:
    """``model``'s accuracy averaged over ``perts`` (None: any) and ``ks``, with its
    interval (:func:`envelope`); NaN when a point is missing."""
    if ev.noise is None:
        return NAN
    key = (model, None if perts is None else tuple(perts), tuple(ks))
    if key not in ev.cache:
        ev.cache[key] = _accuracy(ev.noise, model, perts, ks)
    return ev.cache[key]


def _accuracy(n: pd.DataFrame, model: str, perts, ks) -> Estimate:
    sub = n[(n["model"] == model) & n["k"].isin(list(ks))]
    if perts is not None:
        sub = sub[sub["perturbation"].isin(list(perts))]
        if len(sub[["perturbation", "k"]].drop_duplicates()) < len(perts) * len(ks):
            return NAN
    elif set(sub["k"]) != set(ks):
        return NAN
    per_repeat = sub.groupby("repeat")["accuracy"].mean().to_numpy()
    return envelope(per_repeat, int(sub["n_examples"].min()))


def lincomb(terms: Sequence[tuple[float, Estimate]], unit: str = "points") -> Estimate:
    """``sum(c * x)`` of estimates with intervals: each term's distance to its lower (or,
    for a negative coefficient, upper) limit added in quadrature (Newcombe's construction
    for a difference, generalised to more terms)."""
    if any(not np.isfinite(e.value) for _, e in terms):
        return Estimate(math.nan, math.nan, math.nan, 0, unit)
    v = sum(c * e.value for c, e in terms)
    down = math.sqrt(
        sum((c * (e.value - e.lo) if c > 0 else -c * (e.hi - e.value)) ** 2 for c, e in terms)
    )
    up = math.sqrt(
        sum((c * (e.hi - e.value) if c > 0 else -c * (e.value - e.lo)) ** 2 for c, e in terms)
    )
    ns = [e.n for _, e in terms if e.n]
    return Estimate(v, v - down, v + up, min(ns) if ns else 0, unit)


def diff(a: Estimate, b: Estimate) -> Estimate:
    """``a - b`` with Newcombe's interval (NaN when either is missing)."""
    if not (np.isfinite(a.value) and np.isfinite(b.value)):
        return Estimate(math.nan, math.nan, math.nan, 0, "points")
    return Estimate.difference(a, b)


def table1_mean(model: str, perts: Sequence[str], ks: Sequence[int]) -> float:
    """The paper's Table 1 accuracy (%) averaged over ``perts`` and ``ks`` (NaN when the
    paper has no such row)."""
    vals = [paper.CHENG_HU_TABLE1.get((label(model), ABBR[p], k)) for p in perts for k in ks]
    return math.nan if any(v is None for v in vals) else float(np.mean(vals))


def _g(x: float) -> str:
    return "–" if not np.isfinite(x) else f"{x:.1f}"


# --------------------------------------------------------------------------- verdict helpers
def _decision(cid, verdict, ours, paper_, rule, why="", parts=()) -> Decision:
    return Decision(check_claim_id(cid), verdict, ours, paper_, rule, CHAPTER, why, tuple(parts))


def _part(cid: str, name: str, est: Estimate, *, paper_: str = "–", **threshold) -> Decision:
    """One comparison (``above=`` or ``below=``), its ``ours`` prefixed with ``name``."""
    d = decide(cid, est, paper=paper_, chapter=CHAPTER, **threshold)
    return replace(d, ours=f"{name}: {d.ours}")


def _three_way(cid, name, est, reproduced, not_reproduced, paper_, rule) -> Decision:
    if not np.isfinite(est.value):
        return _decision(cid, Verdict.UNTESTABLE, f"{name}: –", paper_, rule)
    v = (
        Verdict.REPRODUCED
        if reproduced(est)
        else Verdict.NOT_REPRODUCED
        if not_reproduced(est)
        else Verdict.INCONCLUSIVE
    )
    return _decision(cid, v, f"{name}: {est.text()}", paper_, rule)


def band(cid: str, name: str, est: Estimate, lo: float, hi: float, paper_: str = "–"):
    """ "Higher by ``lo``-``hi``": reproduced when the interval lies above 0 and reaches the
    band, not reproduced when it lies wholly below or wholly above the band."""
    return _three_way(
        cid,
        name,
        est,
        lambda e: e.lo > 0 and e.hi >= lo and e.lo <= hi,
        lambda e: e.hi < lo or e.lo > hi,
        paper_,
        f"interval above 0 and reaching {lo:g}-{hi:g} {est.unit}",
    )


def within(cid: str, name: str, est: Estimate, margin: float, paper_: str = "–"):
    """ "Nearly equal": reproduced when the interval lies inside ``±margin``, not reproduced
    when it lies wholly outside."""
    return _three_way(
        cid,
        name,
        est,
        lambda e: -margin < e.lo and e.hi < margin,
        lambda e: e.lo >= margin or e.hi <= -margin,
        paper_,
        f"interval inside ±{margin:g} {est.unit}",
    )


def differs(cid: str, name: str, est: Estimate, margin: float, paper_: str = "–"):
    """ "A difference exists": reproduced when the interval excludes 0, not reproduced when
    it lies inside ``±margin`` (no notable difference)."""
    return _three_way(
        cid,
        name,
        est,
        lambda e: e.lo > 0 or e.hi < 0,
        lambda e: -margin < e.lo and e.hi < margin,
        paper_,
        f"interval excludes 0 (not: inside ±{margin:g} {est.unit})",
    )


def all_of(cid: str, name: str, parts: Sequence[Decision], paper_: str = "–") -> Decision:
    """A part that needs every sub-comparison: reproduced when all are, not reproduced when
    one is not, untestable when one is, else inconclusive."""
    vs = [p.verdict for p in parts]
    v = (
        Verdict.UNTESTABLE
        if Verdict.UNTESTABLE in vs
        else Verdict.NOT_REPRODUCED
        if Verdict.NOT_REPRODUCED in vs
        else Verdict.REPRODUCED
        if all(x is Verdict.REPRODUCED for x in vs)
        else Verdict.INCONCLUSIVE
    )
    ours = f"{name}: " + ", ".join(p.ours for p in parts)
    return _decision(cid, v, ours, paper_, "every sub-comparison reproduced", parts=parts)


def _ours(summary: str, parts: Sequence[Decision]) -> str:
    return summary + ". " + "; ".join(p.ours for p in parts)


def combined(cid: str, parts: Sequence[Decision], rule: str, paper_: str) -> Decision:
    """:func:`~compression_robustness.evaluate.claims.combine`, with every part's number in
    ``ours``."""
    d = combine(cid, parts, rule=rule, chapter=CHAPTER, paper=paper_)
    return replace(d, ours=_ours(d.ours, parts))


def at_least(cid: str, parts: Sequence[Decision], need: int, rule: str, paper_: str):
    """Reproduced when at least ``need`` parts are, not reproduced when too many are not
    for ``need`` to be reachable, else inconclusive."""
    tested = [p for p in parts if p.verdict is not Verdict.UNTESTABLE]
    r = sum(p.verdict is Verdict.REPRODUCED for p in tested)
    n = sum(p.verdict is Verdict.NOT_REPRODUCED for p in tested)
    if not tested:
        v = Verdict.UNTESTABLE
    elif r >= need:
        v = Verdict.REPRODUCED
    elif len(tested) - n < need:
        v = Verdict.NOT_REPRODUCED
    else:
        v = Verdict.INCONCLUSIVE
    summary = f"{r} of {len(tested)} parts reproduced ({need} needed)" + (f", {n} not" if n else "")
    why = "no part is testable in this profile" if not tested else ""
    return _decision(cid, v, _ours(summary, parts), paper_, rule, why, parts)


def note(d: Decision, text: str) -> Decision:
    """``d`` with ``text`` added to its ``why`` (a setting of ours that limits it)."""
    return replace(d, why=f"{d.why}; {text}" if d.why else text)


def _guard(d: Decision, ev: Evidence, models: Sequence[str], robustness: bool) -> Decision:
    missing = [label(m) for m in models if m not in ev.status]
    have = [ev.status[m] for m in models if m in ev.status]
    return guarded(d, have, robustness=robustness, missing=missing)


def _untestable(cid: str, ev: Evidence, models: Sequence[str], rule: str, paper_: str):
    """The claim marked untestable when this profile lacks the results or a model."""
    if ev.noise is None:
        why = "this profile has no pixel_noise results"
    else:
        missing = [label(m) for m in models if m not in ev.status]
        if not missing:
            return None
        why = f"not in this profile: {', '.join(missing)}"
    return _decision(cid, Verdict.UNTESTABLE, "–", paper_, rule, why)


def _resil(ev: Evidence, model: str, perts: Sequence[str] = PERTS) -> Estimate:
    return accuracy(ev, model, perts, ATTACKED_K)


# --------------------------------------------------------------------------- the claims
CLAIMS: dict[str, Callable[[str, Evidence], Decision]] = {}


def claim(cid: str):
    def register(fn):
        CLAIMS[cid] = fn
        return fn

    return register


def _depth_steps(ev: Evidence, perts: Sequence[str]) -> list[tuple[str, str, Estimate]]:
    est = {m: _resil(ev, m, perts) for m in DEPTH}
    return [(a, b, diff(est[b], est[a])) for a, b in zip(DEPTH, DEPTH[1:], strict=False)]


def _step_name(a: str, b: str) -> str:
    return f"{label(b)} − {label(a)}"


@claim("ch-abstract-depth-improves")
def _abstract_depth(cid, ev):
    rule = (
        "ResNet-18→34→50→101: every step raises the accuracy averaged over the 4 "
        "perturbations and k = 10, 40, 100, 200, and each gain is smaller than the one before"
    )
    paper_ = "Fig. 8 only (no numbers)"
    if u := _untestable(cid, ev, DEPTH, rule, paper_):
        return u
    steps = _depth_steps(ev, PERTS)
    parts = [_part(cid, _step_name(a, b), d, above=0) for a, b, d in steps]
    for (a1, b1, d1), (a2, b2, d2) in zip(steps, steps[1:], strict=False):
        name = f"gain {_step_name(a1, b1)} minus gain {_step_name(a2, b2)}"
        parts.append(_part(cid, name, diff(d1, d2), above=0))
    return _guard(combined(cid, parts, rule, paper_), ev, DEPTH, robustness=True)


def _group_difference(ev: Evidence) -> Estimate:
    terms = [(1 / len(NON_RESIDUAL), _resil(ev, m)) for m in NON_RESIDUAL]
    terms += [(-1 / len(RESIDUAL), _resil(ev, m)) for m in RESIDUAL]
    return lincomb(terms)


def _paper_group_difference() -> float:
    nr = np.mean([table1_mean(m, PERTS, ATTACKED_K) for m in NON_RESIDUAL])
    r = np.mean([table1_mean(m, PERTS, ATTACKED_K) for m in RESIDUAL])
    return float(nr - r)


_GROUPS = (
    f"non-residual ({', '.join(map(label, NON_RESIDUAL))}) minus residual "
    f"({', '.join(map(label, RESIDUAL))})"
)


@claim("ch-abstract-residual-vs-nonresidual")
def _abstract_residual(cid, ev):
    rule = (
        f"mean accuracy (4 perturbations, k = 10-200 of Table 1) of the {_GROUPS} models: "
        f"its interval excludes 0 (no notable difference: inside ±{EQUAL_MARGIN:g} points)"
    )
    paper_ = f"{_paper_group_difference():.1f} points (Table 1)"
    if u := _untestable(cid, ev, MAIN, rule, paper_):
        return u
    d = differs(cid, "non-residual − residual", _group_difference(ev), EQUAL_MARGIN, paper_)
    d = replace(d, rule=rule)
    return _guard(d, ev, MAIN, robustness=True)


@claim("ch-setup-resize-56")
def _setup_resize(cid, ev):
    spec = D.spec(S.DATASET)
    rule = "the chapter's models see MNIST at 56×56, each 28×28 pixel a 2×2 block"
    ok = tuple(spec.shape[-2:]) == (56, 56)
    if ev.noise is not None and "dataset" in ev.noise:
        ok = ok and set(ev.noise["dataset"].dropna()) <= {S.DATASET}
    ours = f"dataset {S.DATASET}: {'×'.join(map(str, spec.shape))}, nearest ×2 upscaling"
    v = Verdict.REPRODUCED if ok else Verdict.UNTESTABLE
    why = "" if ok else f"this profile's results are not on {S.DATASET}"
    return _decision(cid, v, ours, "28×28 resized to 56×56", rule, why)


@claim("ch-gray-outline-misclassified")
def _gray_outline(cid, ev):
    return _decision(
        cid,
        Verdict.UNTESTABLE,
        "–",
        "a remark on the discarded WtB rule b > 100",
        "the b > 100 White→Black variant would have to be run",
        f"the sentence is about the paper's first White→Black rule (b > 100), which left a "
        f"gray outline of the digit after 20+ attacks; the paper and this study use "
        f"b > {P.WHITE_TO_BLACK_ABOVE}, which never produces those images",
    )


@claim("ch-fc-pooling-fails")
def _fc_pooling(cid, ev):
    return _decision(
        cid,
        Verdict.UNTESTABLE,
        "–",
        "FC with one pooling layer: far below its MNIST accuracy (no number)",
        "an FC network with a pooling layer would have to be trained",
        "no profile of this study has an FC network with a pooling layer",
    )


def _profile_models(ev: Evidence) -> list[str]:
    p = ev.params
    return list(dict.fromkeys(list(p.get("models", [])) + list(p.get("depth_models", []))))


def _target_reached(models: Sequence[str], profile: str) -> tuple[int, int]:
    """(reached, with a manifest) of the committed checkpoint manifests (JSON only)."""
    reached = seen = 0
    for m in models:
        entry = Z.ZOO.get(m)
        if entry.parent or entry.teacher:  # resolving their hashes could train them
            continue
        where = Z.checkpoint_paths(m, profile)
        if where.has_manifest():
            seen += 1
            reached += bool(json.loads(where.manifest.read_text()).get("target_reached"))
    return reached, seen


@claim("ch-setup-training-rule")
def _setup_training(cid, ev):
    lr_m, lr_e = stated(cid, r"learning rate of (\d+)e - (\d+)")
    (momentum,) = stated(cid, r"momentum (\d+\.\d+)")
    (factor,) = stated(cid, r"factor of (\d+) every epoch")
    (target,) = stated(cid, r"(\d+\.\d+)% validation accuracy")
    lr = lr_m * 10**-lr_e
    rule = (
        f"every model: SGD lr {lr:g}, momentum {momentum:g}, lr ÷{factor:g} after every epoch, "
        f"trained on the whole training set until {target:g} % validation accuracy"
    )
    paper_ = (
        f"lr {lr:g}, momentum {momentum:g}, ÷{factor:g} per epoch, until {target:g} % validation"
    )
    models = _profile_models(ev)
    if not models:
        return _decision(cid, Verdict.UNTESTABLE, "–", paper_, rule, "no pixel_noise settings")
    recipes = {m: Z.ZOO.get(m).schedule(ev.profile) for m in models}
    same = all(
        math.isclose(r["lr"], lr)
        and math.isclose(r["momentum"], momentum)
        and r["schedule"] == "step"
        and math.isclose(STEP_DECAY, 1 / factor)
        and list(r["milestones"]) == list(range(1, r["epochs"]))
        and math.isclose(100 * r["target_accuracy"], target)
        for r in recipes.values()
    )
    # a training subset, or fewer epochs than the paper profile's bound of 10 (after 10
    # decays the rate is 1e-12: the bound never binds before the target)
    capped = {m: r for m, r in recipes.items() if r.get("train_subset") or r["epochs"] < 10}
    epochs = sorted({r["epochs"] for r in recipes.values()})
    r0 = next(iter(recipes.values()))
    ours = (
        f"{ev.profile}: lr {r0['lr']:g}, momentum {r0['momentum']:g}, ×{STEP_DECAY:g} "
        f"per epoch, stop at {100 * r0['target_accuracy']:g} % on {r0['val_subset']:,} held-out "
        f"images; at most {'/'.join(map(str, epochs))} epochs"
    )
    if same and not capped:
        return _decision(cid, Verdict.REPRODUCED, ours + " of the full training set", paper_, rule)
    subsets = sorted(r["train_subset"] for r in capped.values() if r.get("train_subset"))
    reached, seen = _target_reached(models, ev.profile)
    why = f"the {ev.profile} profile stops training after {'/'.join(map(str, epochs))} epoch(s)"
    if subsets:
        why += f" of a per-model subset of {subsets[0]:,}-{subsets[-1]:,} training images"
    if seen:
        why += f"; {reached} of {seen} models reached {target:g} % validation accuracy"
    if not same:
        why += "; its optimiser settings differ from the paper's"
    why += "; the paper profile follows the rule (up to 10 epochs of 59,000 images)"
    return _decision(cid, Verdict.UNTESTABLE, ours, paper_, rule, why)


@claim("ch-table1-similar-clean")
def _similar_clean(cid, ev):
    rule = f"the five models' clean accuracies: best minus worst below {EQUAL_MARGIN:g} points"
    t1 = {m: paper_clean(m) for m in MAIN}
    hi_p, lo_p = max(t1, key=t1.get), min(t1, key=t1.get)
    paper_ = (
        f"{t1[hi_p] - t1[lo_p]:.2f} points ({label(hi_p)} {t1[hi_p]:.2f} % − "
        f"{label(lo_p)} {t1[lo_p]:.2f} %)"
    )
    if u := _untestable(cid, ev, MAIN, rule, paper_):
        return u
    clean = {m: accuracy(ev, m, None, [0]) for m in MAIN}
    best = max(clean, key=lambda m: clean[m].value)
    worst = min(clean, key=lambda m: clean[m].value)
    d = _part(
        cid,
        f"{label(best)} − {label(worst)}",
        diff(clean[best], clean[worst]),
        paper_=paper_,
        below=EQUAL_MARGIN,
    )
    return _guard(replace(d, rule=rule), ev, MAIN, robustness=False)


@claim("ch-setup-fc-3136")
def _setup_fc(cid, ev):
    (width,) = stated(cid, r"single (\d+)-unit hidden layer")
    hidden = inspect.signature(MM.FC3136).parameters["hidden"].default
    rule = f"the FC model has one hidden layer of {width:g} units and is in this profile's models"
    paper_ = f"one {width:g}-unit hidden layer"
    in_profile = FC in ev.params.get("models", [])
    ours = f"{MM.ADAPTATIONS['m56_fc']} (hidden = {hidden})"
    if hidden == width and in_profile:
        return _decision(cid, Verdict.REPRODUCED, ours, paper_, rule)
    why = "the FC model is not in this profile" if not in_profile else "hidden width differs"
    return _decision(cid, Verdict.UNTESTABLE, ours, paper_, rule, why)


def _schedule_text(p: dict) -> str:
    n = p.get("n_examples")
    return (
        f"k = {', '.join(map(str, p.get('attacks', [])))}; {p.get('repeats')} repeats on "
        f"{'all 10,000' if n is None else f'{n:,}'} test images"
    )


@claim("ch-setup-repeats")
def _setup_repeats(cid, ev):
    step, top = stated(cid, r"increments of (\d+) to a max of (\d+) attacks")
    (times,) = stated(cid, r"repeating this process (\d+) times")
    (n5,) = stated("ch-fig7-sample-size-5", r"sample size n = (\d+)")
    grid = list(range(0, int(top) + 1, int(step)))
    rule = f"k = 0 to {top:g} in steps of {step:g}, averaged over at least {times:g} repeats"
    paper_ = (
        f"k = 0-{top:g} in steps of {step:g}; {times:g} repeats averaged (the captions say "
        f"n = {n5:g})"
    )
    p = ev.params
    if "attacks" not in p or "repeats" not in p:
        return _decision(cid, Verdict.UNTESTABLE, "–", paper_, rule, "no pixel_noise settings")
    ok = sorted(p["attacks"]) == grid and p["repeats"] >= times
    v = Verdict.REPRODUCED if ok else Verdict.UNTESTABLE
    why = (
        ""
        if ok
        else f"the {ev.profile} profile measures {_schedule_text(p)}; the paper profile follows "
        f"(k = 0-{top:g} in steps of {step:g}, 5 repeats)"
    )
    return _decision(cid, v, _schedule_text(p), paper_, rule, why)


@claim("ch-fig7-sample-size-5")
def _fig7_n5(cid, ev):
    (n5,) = stated(cid, r"sample size n = (\d+)")
    rule = f"every curve point is the mean of {n5:g} repeats"
    paper_ = f"n = {n5:g}"
    p = ev.params
    if "repeats" not in p:
        return _decision(cid, Verdict.UNTESTABLE, "–", paper_, rule, "no pixel_noise settings")
    ok = p["repeats"] >= n5
    v = Verdict.REPRODUCED if ok else Verdict.UNTESTABLE
    why = (
        ""
        if ok
        else f"the {ev.profile} profile averages {p['repeats']} repeats; the paper profile "
        "follows (5 repeats)"
    )
    return _decision(cid, v, f"{p['repeats']} repeats", paper_, rule, why)


def _paper_diff_text(a: str, b: str, perts: Sequence[str], ks: Sequence[int]) -> str:
    return _g(table1_mean(a, perts, ks) - table1_mean(b, perts, ks))


@claim("ch-resnet50v2-5-10-higher")
def _v2_higher(cid, ev):
    lo, hi = stated(cid, r"(\d+)-(\d+)% higher")
    rule = (
        "on every perturbation, ResNet-50V2 minus ResNet-50 averaged over k = 10, 40, 100, "
        f"200: interval above 0 and reaching {lo:g}-{hi:g} points"
    )
    paper_ = "Table 1: " + ", ".join(
        f"{ABBR[p]} {_paper_diff_text(R50V2, R50, [p], ATTACKED_K)}" for p in PERTS
    )
    if u := _untestable(cid, ev, (R50, R50V2), rule, paper_ + " points"):
        return u
    parts = [
        band(
            cid,
            ABBR[p],
            diff(_resil(ev, R50V2, [p]), _resil(ev, R50, [p])),
            lo,
            hi,
            _paper_diff_text(R50V2, R50, [p], ATTACKED_K),
        )
        for p in PERTS
    ]
    d = combined(cid, parts, rule, paper_ + " points")
    return _guard(d, ev, (R50, R50V2), robustness=True)


def _best_other(values: dict[str, float], exclude: str) -> str:
    return max((m for m in values if m != exclude), key=lambda m: values[m])


@claim("ch-vgg19-best")
def _vgg_best(cid, ev):
    perts = (WTB, BTW, ETA)  # all but the control attack (RPI)
    rule = (
        "on WtB, BtW and EtA (all but the control RPI), VGG-19's accuracy averaged over "
        "k = 10, 40, 100, 200 is above the best other model's"
    )
    t1 = {p: {m: table1_mean(m, [p], ATTACKED_K) for m in MAIN} for p in perts}
    paper_ = "Table 1, VGG-19 minus the best other: " + ", ".join(
        f"{ABBR[p]} {_g(t1[p][VGG] - t1[p][_best_other(t1[p], VGG)])}" for p in perts
    )
    if u := _untestable(cid, ev, MAIN, rule, paper_):
        return u
    parts = []
    for p in perts:
        est = {m: _resil(ev, m, [p]) for m in MAIN}
        other = _best_other({m: e.value for m, e in est.items()}, VGG)
        name = f"{ABBR[p]} VGG-19 − {label(other)}"
        parts.append(_part(cid, name, diff(est[VGG], est[other]), above=0))
    return _guard(combined(cid, parts, rule, paper_), ev, MAIN, robustness=True)


@claim("ch-efficientnet-bottom")
def _eff_bottom(cid, ev):
    rule = (
        "EfficientNet-B1 is in the bottom two of the five models (accuracy averaged over "
        "k = 10, 40, 100, 200) on at least 3 of the 4 perturbations: at least 3 models "
        "clearly above it (not: at least 2 clearly below)"
    )

    def paper_rank(p):
        t = {m: table1_mean(m, [p], ATTACKED_K) for m in MAIN}
        return 1 + sum(t[m] > t[EFF] for m in MAIN if m != EFF)

    paper_ = "Table 1 rank of 5: " + ", ".join(f"{ABBR[p]} {paper_rank(p)}" for p in PERTS)
    if u := _untestable(cid, ev, MAIN, rule, paper_):
        return u
    parts = []
    need_above = len(MAIN) - 2
    for p in PERTS:
        est = {m: _resil(ev, m, [p]) for m in MAIN}
        ds = [diff(est[m], est[EFF]) for m in MAIN if m != EFF]
        above = sum(d.lo > 0 for d in ds)
        below = sum(d.hi < 0 for d in ds)
        v = (
            Verdict.REPRODUCED
            if above >= need_above
            else Verdict.NOT_REPRODUCED
            if below >= 2
            else Verdict.INCONCLUSIVE
        )
        ours = (
            f"{ABBR[p]} {est[EFF].text()}; of the other {len(ds)}, {above} clearly above "
            f"and {below} clearly below"
        )
        parts.append(_decision(cid, v, ours, f"rank {paper_rank(p)}", "bottom two"))
    d = at_least(cid, parts, 3, rule, paper_)
    return _guard(d, ev, MAIN, robustness=True)


@claim("ch-efficientnet-20-30-lower")
def _eff_gap(cid, ev):
    perts = (BTW, RPI)
    lo, hi = stated(cid, r"between (\d+)-(\d+)% lower")
    rule = (
        "on BtW and RPI, the next lowest model minus EfficientNet-B1, accuracy averaged over "
        f"k = 100 and 200: interval above 0 and reaching {lo:g}-{hi:g} points"
    )

    def paper_gap(p):
        t = {m: table1_mean(m, [p], LATE_K) for m in MAIN}
        return min(t[m] for m in MAIN if m != EFF) - t[EFF]

    paper_ = "Table 1: " + ", ".join(f"{ABBR[p]} {_g(paper_gap(p))}" for p in perts) + " points"
    if u := _untestable(cid, ev, MAIN, rule, paper_):
        return u
    parts = []
    for p in perts:
        est = {m: accuracy(ev, m, [p], LATE_K) for m in MAIN}
        nxt = min((m for m in MAIN if m != EFF), key=lambda m: est[m].value)
        name = f"{ABBR[p]} {label(nxt)} − EfficientNet-B1"
        parts.append(band(cid, name, diff(est[nxt], est[EFF]), lo, hi, _g(paper_gap(p))))
    return _guard(combined(cid, parts, rule, paper_), ev, MAIN, robustness=True)


@claim("ch-fc-ranking")
def _fc_ranking(cid, ev):
    rule = (
        "accuracy averaged over k = 10, 40, 100, 200: FC below every other model on WtB, "
        "above EfficientNet-B1 on BtW, RPI and EtA, and second of five on EtA"
    )
    t1 = {p: {m: table1_mean(m, [p], ATTACKED_K) for m in MAIN} for p in PERTS}
    eta_rank = 1 + sum(t1[ETA][m] > t1[ETA][FC] for m in MAIN if m != FC)
    paper_ = (
        f"Table 1: WtB FC {_g(t1[WTB][FC])} vs lowest other "
        f"{_g(min(t1[WTB][m] for m in MAIN if m != FC))}; FC − EfficientNet-B1 "
        + ", ".join(f"{ABBR[p]} {_g(t1[p][FC] - t1[p][EFF])}" for p in (BTW, RPI, ETA))
        + f"; EtA rank {eta_rank}"
    )
    if u := _untestable(cid, ev, MAIN, rule, paper_):
        return u
    est = {p: {m: _resil(ev, m, [p]) for m in MAIN} for p in PERTS}
    parts = []
    w = est[WTB]
    lowest = min((m for m in MAIN if m != FC), key=lambda m: w[m].value)
    parts.append(_part(cid, f"WtB {label(lowest)} − FC", diff(w[lowest], w[FC]), above=0))
    for p in (BTW, RPI, ETA):
        e = est[p]
        parts.append(_part(cid, f"{ABBR[p]} FC − EfficientNet-B1", diff(e[FC], e[EFF]), above=0))
    e = est[ETA]
    others = sorted((m for m in MAIN if m != FC), key=lambda m: -e[m].value)
    top, third = others[0], others[1]
    parts.append(_part(cid, f"EtA {label(top)} − FC", diff(e[top], e[FC]), above=0))
    parts.append(_part(cid, f"EtA FC − {label(third)}", diff(e[FC], e[third]), above=0))
    return _guard(combined(cid, parts, rule, paper_), ev, MAIN, robustness=True)


def _slope_changes(a: dict[int, Estimate]) -> tuple[Estimate, Estimate]:
    """The middle segment's drop per attack (k = 40-100) minus the first's (0-40) and minus
    the last's (100-200), in points per attack."""
    k0, k1, k2, k3 = SHAPE_K
    s1 = [(-1 / (k1 - k0), a[k0]), (1 / (k1 - k0), a[k1])]  # minus the first drop
    mid = [(1 / (k2 - k1), a[k1]), (-1 / (k2 - k1), a[k2])]
    s3 = [(-1 / (k3 - k2), a[k2]), (1 / (k3 - k2), a[k3])]  # minus the last drop
    return lincomb(mid + s1, "points/attack"), lincomb(mid + s3, "points/attack")


def _paper_drops(model: str, p: str) -> str:
    v = [paper.CHENG_HU_TABLE1.get((label(model), ABBR[p], k)) for k in SHAPE_K]
    if any(x is None for x in v):
        return "–"
    drops = [(v[i] - v[i + 1]) / (SHAPE_K[i + 1] - SHAPE_K[i]) for i in range(3)]
    return "/".join(f"{d:.2f}" for d in drops)


@claim("ch-curve-shapes")
def _curve_shapes(cid, ev):
    rule = (
        "drop per attack over k = 0-40, 40-100, 100-200: EfficientNet-B1 sigmoid (middle "
        "drop steeper than both ends) on every perturbation; ResNet-50 inverted (middle "
        "flatter than both) on RPI and BtW"
    )
    wanted = [(EFF, p, "sigmoid") for p in PERTS] + [(R50, p, "inverted") for p in (RPI, BTW)]
    paper_ = "Table 1 drops per attack: " + "; ".join(
        f"{label(m)} {ABBR[p]} {_paper_drops(m, p)}" for m, p, _ in wanted
    )
    if u := _untestable(cid, ev, (EFF, R50), rule, paper_):
        return u
    parts = []
    for m, p, shape in wanted:
        a = {k: accuracy(ev, m, [p], [k]) for k in SHAPE_K}
        first, last = _slope_changes(a)
        side = {"above": 0} if shape == "sigmoid" else {"below": 0}
        subs = [
            _part(cid, "middle − first", first, **side),
            _part(cid, "middle − last", last, **side),
        ]
        name = f"{label(m)} {ABBR[p]} {shape}"
        parts.append(all_of(cid, name, subs, _paper_drops(m, p)))
    d = combined(cid, parts, rule, paper_)
    return _guard(d, ev, (EFF, R50), robustness=False)


def _chord_deviation(a: dict[int, Estimate], k: int) -> Estimate:
    """Accuracy at ``k`` minus the straight line from k = 0 to the largest k."""
    t = k / KMAX
    return lincomb([(1.0, a[k]), (-(1 - t), a[0]), (-t, a[KMAX])])


@claim("ch-fc-linear")
def _fc_linear(cid, ev):
    rule = (
        f"FC's accuracy at k = 40 and 100 is within ±{EQUAL_MARGIN:g} points of the straight "
        "line from k = 0 to 200, on each perturbation"
    )

    def paper_dev(p, k):
        v = {j: paper.CHENG_HU_TABLE1[(label(FC), ABBR[p], j)] for j in (0, k, KMAX)}
        return v[k] - (v[0] + (v[KMAX] - v[0]) * k / KMAX)

    paper_ = "Table 1 deviations at k = 40/100: " + ", ".join(
        f"{ABBR[p]} {paper_dev(p, 40):+.1f}/{paper_dev(p, 100):+.1f}" for p in PERTS
    )
    if u := _untestable(cid, ev, (FC,), rule, paper_):
        return u
    parts = []
    for p in PERTS:
        a = {k: accuracy(ev, FC, [p], [k]) for k in SHAPE_K}
        subs = [within(cid, f"k={k}", _chord_deviation(a, k), EQUAL_MARGIN) for k in (40, 100)]
        paper_p = f"{paper_dev(p, 40):+.1f}/{paper_dev(p, 100):+.1f}"
        parts.append(all_of(cid, f"FC {ABBR[p]} linear", subs, paper_p))
    return _guard(combined(cid, parts, rule, paper_), ev, (FC,), robustness=False)


def _compare_models(ev: Evidence) -> list[str]:
    have = set(ev.compare["model"]) if ev.compare is not None else set()
    return [m for m in COMPARE if m in have] + sorted(have - set(COMPARE))


def _stand_in(ev: Evidence) -> str:
    models = _compare_models(ev)
    n = int(ev.compare["n_examples"].max()) if ev.compare is not None else 0
    return (
        "the paper ran DeepFool, Boundary and Pointwise on a reference CNN (Schott et al.), "
        f"this profile on {', '.join(map(label, models))} with {n} images each"
    )


@claim("ch-table2-pixels-altered")
def _pixels_altered(cid, ev):
    (dense,) = stated(cid, r"≥ (\d+) pixels")
    (sparse,) = stated(cid, r"≈ (\d+) pixels")
    rule = (
        f"mean pixels of the 28×28 grid changed by a successful adversarial: DeepFool and "
        f"Boundary above {dense:g}; Pointwise reaching {sparse / 2:g}-{2 * sparse:g} "
        f"(≈ {sparse:g}: within a factor of 2)"
    )
    paper_ = f"DeepFool, Boundary ≥ {dense:g}; Pointwise ≈ {sparse:g}"
    if ev.compare is None:
        why = "this profile has no Table 2 attacks"
        return _decision(cid, Verdict.UNTESTABLE, "–", paper_, rule, why)
    iters = ev.params.get("boundary_max_iter", BOUNDARY_DEFAULT_ITER)
    queries = ev.params.get("pointwise_max_queries")
    c = ev.compare
    parts = []
    for atk in S.COMPARE_ATTACKS:
        for m in _compare_models(ev):
            rows = c[(c["model"] == m) & (c["attack"] == atk) & c["success"].notna()]
            px = rows.loc[rows["success"].astype(bool), "changed_pixels"].to_numpy(float)
            est = bootstrap(px, unit="pixels")
            name = f"{S.ATTACK_NAMES[atk]} {label(m)}"
            if atk == "pointwise":
                d = _three_way(
                    cid,
                    name,
                    est,
                    lambda e: e.hi >= sparse / 2 and e.lo <= 2 * sparse,
                    lambda e: e.hi < sparse / 2,  # more queries would only lower the count
                    f"≈ {sparse:g}",
                    f"reaching {sparse / 2:g}-{2 * sparse:g} pixels",
                )
            else:
                d = _part(cid, name, est, paper_=f"≥ {dense:g}", above=dense)
                if (
                    atk == "boundary"
                    and iters < BOUNDARY_DEFAULT_ITER
                    and d.verdict
                    in (
                        Verdict.REPRODUCED,
                        Verdict.NOT_REPRODUCED,
                    )
                ):
                    d = replace(d, verdict=Verdict.INCONCLUSIVE)
            parts.append(d)
    d = _guard(combined(cid, parts, rule, paper_), ev, _compare_models(ev), robustness=False)
    if iters < BOUNDARY_DEFAULT_ITER:
        d = note(
            d,
            f"Boundary ran {iters} of ART's default {BOUNDARY_DEFAULT_ITER} iterations, so it "
            "stays near its random start, which changes every pixel: its parts are "
            "inconclusive",
        )
    if queries is not None:
        d = note(d, f"Pointwise had {queries} queries per image (a count it can only lower)")
    return note(d, _stand_in(ev))


@claim("ch-table2-reference-cnn")
def _reference_cnn(cid, ev):
    return _decision(
        cid,
        Verdict.UNTESTABLE,
        "–",
        "a CNN with 99.1 % MNIST test accuracy (Schott et al.)",
        "the attacks would have to run on the paper's reference CNN",
        "no profile has the reference CNN of Schott et al.; the chapter attacks its own "
        "FC, ResNet-50 and EfficientNet-B1 instead (the paper profile: all five models)",
    )


def _under_attack(ev: Evidence, model: str, attack: str) -> Estimate:
    """Accuracy (%) under a Table 2 attack: images correct and not fooled, of all tried."""
    c = ev.compare
    rows = c[(c["model"] == model) & (c["attack"] == attack)]
    if rows.empty:
        return NAN
    n = int(rows["n_examples"].max())
    ok = rows["success"].notna()
    robust = int((~rows.loc[ok, "success"].astype(bool)).sum())
    return Estimate.accuracy(robust / n, n)


def _table2(row: str) -> float:
    return float(paper.reference_table("cheng_table2").set_index("row").loc[row, "value"])


def _table2_paper() -> str:
    t = paper.reference_table("cheng_table2").set_index("row")["value"]
    return (
        f"Pointwise {t['Pointwise']:.1f} %, ours at k = 40: WtB/BtW/EtA "
        f"{t['WtB = (40)']:.1f}/{t['BtW = (40)']:.1f}/{t['EtA = (40)']:.1f} %; DeepFool "
        f"{t['DeepFool']:.1f} %, Boundary {t['Boundary']:.1f} %, ours at k = 200: "
        f"{t['WtB = (200)']:.1f}/{t['BtW = (200)']:.1f}/{t['EtA = (200)']:.1f} %"
    )


@claim("ch-resemble-pointwise")
def _resemble_pointwise(cid, ev):
    rule = (
        "per model: accuracy under Pointwise above ours at k = 40 (mean of WtB, BtW, EtA, "
        "Table 2's rows), and under DeepFool and Boundary below ours at k = 200"
    )
    paper_ = _table2_paper()
    if ev.compare is None or ev.noise is None:
        why = "this profile has no Table 2 attacks or no pixel-noise curves"
        return _decision(cid, Verdict.UNTESTABLE, "–", paper_, rule, why)
    perts = (WTB, BTW, ETA)
    parts = []
    models = [m for m in _compare_models(ev) if m in ev.status]
    for m in models:
        at40, at200 = accuracy(ev, m, perts, [40]), accuracy(ev, m, perts, [200])
        pw = _under_attack(ev, m, "pointwise")
        parts.append(_part(cid, f"{label(m)} Pointwise − ours at 40", diff(pw, at40), above=0))
        for atk in ("deepfool", "boundary"):
            a = _under_attack(ev, m, atk)
            name = f"{label(m)} ours at 200 − {S.ATTACK_NAMES[atk]}"
            parts.append(_part(cid, name, diff(at200, a), above=0))
    d = _guard(combined(cid, parts, rule, paper_), ev, models, robustness=False)
    if d.verdict is not Verdict.UNTESTABLE:
        alone = (
            "" if d.verdict is Verdict.INCONCLUSIVE else f"the comparison alone says {d.verdict}; "
        )
        d = replace(
            d,
            verdict=Verdict.INCONCLUSIVE,
            why=alone
            + f"the paper's accuracies (Pointwise {_table2('Pointwise'):g} %) imply an attack "
            "budget it does not state, "
            "while this study runs the three attacks as minimal-perturbation attacks until they "
            "succeed, so their accuracy is near 0 by construction; " + _stand_in(ev),
        )
    return d


def _k_up_to(ev: Evidence, limit: int) -> int | None:
    ks = sorted(k for k in set(ev.noise["k"]) if 0 < k <= limit)
    return int(ks[-1]) if ks else None


@claim("ch-depth-threshold-50")
def _depth_threshold(cid, ev):
    perts = (WTB, BTW, RPI)
    rule = (
        "at the largest measured k ≤ 50 (the 'initial 50 attacks'), ResNet-50's accuracy is "
        "above ResNet-34's on WtB, BtW and RPI"
    )
    paper_ = "Fig. 8 only (no numbers)"
    if u := _untestable(cid, ev, (R34, R50), rule, paper_):
        return u
    (initial,) = stated(cid, r"initial (\d+) attacks")
    k = _k_up_to(ev, int(initial))
    if k is None:
        return _decision(cid, Verdict.UNTESTABLE, "–", paper_, rule, "no k between 1 and 50")
    parts = []
    for p in perts:
        d = diff(accuracy(ev, R50, [p], [k]), accuracy(ev, R34, [p], [k]))
        parts.append(_part(cid, f"{ABBR[p]} k={k} ResNet-50 − ResNet-34", d, above=0))
    d = _guard(combined(cid, parts, rule, paper_), ev, (R34, R50), robustness=True)
    if k != initial:
        d = note(d, f"measured at k = {k}, the largest k ≤ {initial:g} of this profile")
    return d


@claim("ch-depth-eta-monotone")
def _depth_eta(cid, ev):
    rule = (
        "on EtA, every step ResNet-18→34→50→101 raises the accuracy averaged over "
        "k = 10, 40, 100, 200"
    )
    paper_ = "Fig. 8 only (no numbers)"
    if u := _untestable(cid, ev, DEPTH, rule, paper_):
        return u
    parts = [
        _part(cid, f"EtA {_step_name(a, b)}", d, above=0) for a, b, d in _depth_steps(ev, [ETA])
    ]
    return _guard(combined(cid, parts, rule, paper_), ev, DEPTH, robustness=True)


@claim("ch-conclusion-depth-params")
def _conclusion_depth_params(cid, ev):
    rule = (
        "at least one deeper ResNet (more parameters) is clearly more accurate than a "
        "shallower one, averaged over the 4 perturbations and k = 10, 40, 100, 200"
    )
    paper_ = "Fig. 8 only (no numbers)"
    if u := _untestable(cid, ev, DEPTH, rule, paper_):
        return u
    est = {m: _resil(ev, m) for m in DEPTH}
    pairs = [(a, b) for i, a in enumerate(DEPTH) for b in DEPTH[i + 1 :]]
    diffs = {(a, b): diff(est[b], est[a]) for a, b in pairs}
    parts = [_part(cid, _step_name(a, b), diffs[(a, b)], above=0) for a, b in pairs]
    d = at_least(cid, parts, 1, rule, paper_)
    if d.verdict is Verdict.REPRODUCED:  # the pair that shows it is what the guard checks
        a, b = max(pairs, key=lambda ab: diffs[ab].lo)
        return _guard(d, ev, (a, b), robustness=True)
    return _guard(d, ev, DEPTH, robustness=True)


@claim("ch-conclusion-nonresidual-better")
def _conclusion_nonresidual(cid, ev):
    rule = (
        f"mean accuracy (4 perturbations, k = 10-200 of Table 1) of the {_GROUPS} models is above 0"
    )
    paper_ = f"{_paper_group_difference():.1f} points (Table 1)"
    if u := _untestable(cid, ev, MAIN, rule, paper_):
        return u
    d = _part(cid, "non-residual − residual", _group_difference(ev), paper_=paper_, above=0)
    return _guard(replace(d, rule=rule), ev, MAIN, robustness=True)


def _fg_bg(ev: Evidence, m: str) -> Estimate:
    return diff(_resil(ev, m, [WTB]), _resil(ev, m, [BTW]))


def _paper_fg_bg(m: str) -> str:
    return _g(table1_mean(m, [WTB], ATTACKED_K) - table1_mean(m, [BTW], ATTACKED_K))


@claim("ch-conclusion-btw-worse-vgg-eff")
def _btw_worse(cid, ev):
    models = (VGG, EFF)
    rule = "for VGG-19 and EfficientNet-B1, WtB minus BtW accuracy (k = 10, 40, 100, 200) above 0"
    paper_ = "Table 1: " + ", ".join(f"{label(m)} {_paper_fg_bg(m)}" for m in models) + " points"
    if u := _untestable(cid, ev, models, rule, paper_):
        return u
    parts = [
        _part(cid, f"{label(m)} WtB − BtW", _fg_bg(ev, m), paper_=_paper_fg_bg(m), above=0)
        for m in models
    ]
    return _guard(combined(cid, parts, rule, paper_), ev, models, robustness=False)


@claim("ch-conclusion-fg-bg-equal")
def _fg_bg_equal(cid, ev):
    models = (R50, R50V2, FC)
    rule = (
        f"for ResNet-50, ResNet-50V2 and FC, WtB minus BtW accuracy (k = 10, 40, 100, 200) "
        f"inside ±{EQUAL_MARGIN:g} points"
    )
    paper_ = "Table 1: " + ", ".join(f"{label(m)} {_paper_fg_bg(m)}" for m in models) + " points"
    if u := _untestable(cid, ev, models, rule, paper_):
        return u
    parts = [
        within(cid, f"{label(m)} WtB − BtW", _fg_bg(ev, m), EQUAL_MARGIN, _paper_fg_bg(m))
        for m in models
    ]
    return _guard(combined(cid, parts, rule, paper_), ev, models, robustness=False)


@claim("ch-conclusion-depth-range")
def _depth_range(cid, ev):
    rule = (
        "steps ResNet-18→34→50→101 (accuracy averaged over the 4 perturbations and "
        "k = 10, 40, 100, 200): none clearly lowers it and at least one clearly raises it"
    )
    paper_ = "Fig. 8 only (no numbers)"
    if u := _untestable(cid, ev, DEPTH, rule, paper_):
        return u
    parts = []
    for a, b, d in _depth_steps(ev, PERTS):
        v = (
            Verdict.REPRODUCED
            if d.lo > 0
            else Verdict.NOT_REPRODUCED
            if d.hi < 0
            else Verdict.INCONCLUSIVE
        )
        parts.append(_decision(cid, v, f"{_step_name(a, b)}: {d.text()}", "–", "rise / fall"))
    down = sum(p.verdict is Verdict.NOT_REPRODUCED for p in parts)
    up = sum(p.verdict is Verdict.REPRODUCED for p in parts)
    v = Verdict.NOT_REPRODUCED if down else Verdict.REPRODUCED if up else Verdict.INCONCLUSIVE
    summary = f"{up} of {len(parts)} steps clearly up, {down} clearly down"
    d = _decision(cid, v, _ours(summary, parts), paper_, rule, parts=parts)
    return _guard(d, ev, DEPTH, robustness=True)


@claim("ch-conclusion-complexity")
def _complexity(cid, ev):
    rule = (
        "the deepest ResNet (101) is more accurate than the shallowest (18), averaged over "
        "the 4 perturbations and k = 10, 40, 100, 200; the 'may hinder' clause states a "
        "possibility that no measurement refutes"
    )
    paper_ = "Fig. 8 only (no numbers)"
    if u := _untestable(cid, ev, (R18, R101), rule, paper_):
        return u
    d = _part(cid, "ResNet-101 − ResNet-18", diff(_resil(ev, R101), _resil(ev, R18)), above=0)
    d = replace(d, rule=rule, paper=paper_)
    return _guard(d, ev, (R18, R101), robustness=True)


@claim("ch-future-resnet101-hypothesis")
def _resnet101_hypothesis(cid, ev):
    return _decision(
        cid,
        Verdict.UNTESTABLE,
        "–",
        "a hypothesis for tasks harder than MNIST",
        "ResNet-101 and ResNet-50 would have to be compared on a harder dataset",
        "the chapter's depth study is on MNIST only; the hypothesis is about harder tasks",
    )


# --------------------------------------------------------------------------- entry point
def decisions(profile: str) -> list[Decision]:
    """One decision per claim of the paper in ``data/reference/claims.csv``."""
    cat = claim_catalogue()
    ids = list(cat.index[cat["paper"] == PAPER])
    if set(ids) != set(CLAIMS):
        raise ValueError(
            f"claims without a rule: {sorted(set(ids) - set(CLAIMS))}; rules without a "
            f"claim: {sorted(set(CLAIMS) - set(ids))}"
        )
    ev = evidence(profile)
    return [CLAIMS[cid](cid, ev) for cid in ids]
