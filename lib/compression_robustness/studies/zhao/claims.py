"""The claims of Zhao et al. ("To compress or not to compress"), decided from this
profile's committed ``transferability`` results by the claims engine
(:mod:`compression_robustness.evaluate.claims`).

The paper's results are figures without numbers, so every claim is decided on the
direction or size it states, with our intervals. Reading rules that are this module's,
stated once:

- Scenarios (Sec. 3.1): S1 compressed → compressed, S2 baseline → compressed, S3
  compressed → baseline. "Less effective" means a higher accuracy under attack (the
  paper's figures plot accuracies).
- "Transferable": the transferred examples lower the target's accuracy by more than
  :data:`TRANSFERS` points below its clean accuracy on the same images. "Effective" on the
  baseline: they remove at least half of what the baseline's own white-box attack removes.
- A trend over density compares the sparsest with the densest DNS model; over bitwidth,
  the narrowest with the widest fixed-point model. "Similar" / "nearly constant": the
  difference's interval lies within ± :data:`SIMILAR` points. "Marginally": an increase
  whose interval lies below :data:`MARGINAL` points (a claim of a marginal effect gets
  two parts where its direction holds: the direction and the size). "Highly sensitive": more than
  :data:`HIGHLY` points.
- Integer bits per bitwidth come from the paper (``zhao_text.csv``: 1 at 4 bits, 2 at 8,
  else 4); the fractional bits are the rest.
- Cannot decide: a part whose two accuracies are both 0 % (saturated); IFGM on an
  architecture where the baseline's own IFGM removes under :data:`INERT` points (inert:
  LeNet5 here); a compressed model that lost more than half of its baseline's accuracy
  above chance (collapsed: CifarNet at 2 % density here). Baselines more than 5 points
  below the paper's accuracy are caught by the engine's guard.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pandas as pd

from compression_robustness.core.params import chapter_parameters
from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate import claims as CL
from compression_robustness.evaluate.claims import Decision, Estimate, Verdict
from compression_robustness.evaluate.store import load_table
from compression_robustness.models import build_arch, count_params
from compression_robustness.studies.paper import reference_table, reference_values

CHAPTER = "transferability"
S1, S2, S3 = "compressed->compressed", "baseline->compressed", "compressed->baseline"
WHITE = "baseline"
SC = {S1: "S1", S2: "S2", S3: "S3"}
ATTACKS = ("ifgsm", "ifgm", "deepfool")
FAST = ("ifgsm", "ifgm")  # the paper's fast-gradient (clipped) attacks
ALABEL = {"ifgsm": "IFGSM", "ifgm": "IFGM", "deepfool": "DeepFool"}
ARCHS = ("lenet5", "cifarnet")
NAME = {"lenet5": "LeNet5", "cifarnet": "CifarNet"}

#: "transferable": points of accuracy the transferred examples remove, at least
TRANSFERS = 10.0
#: "similar", "nearly constant", "not affected": the difference within ± this (points)
SIMILAR = 5.0
#: "marginally": an increase below this (points)
MARGINAL = 10.0
#: "highly sensitive": a difference above this (points)
HIGHLY = 10.0
#: "heavily pruned": densities at or below this
HEAVY_DENSITY = 0.10
#: IFGM is inert on an architecture when the baseline's own IFGM removes less than this
INERT = 5.0
#: chance accuracy of both datasets (%)
CHANCE = 10.0
#: the reason a part gets when both its accuracies are 0 % (followed by the part's group)
SATURATED = "both accuracies are 0 % (saturated), which cannot order them: "


# --------------------------------------------------------------------------- evidence
def _table(profile: str) -> pd.DataFrame | None:
    try:
        df = load_table(profile, CHAPTER)
    except (FileNotFoundError, OSError, ConfigError):
        return None
    return df if len(df) else None


def _params(profile: str) -> dict | None:
    try:
        return chapter_parameters(profile, CHAPTER)
    except (ConfigError, FileNotFoundError):
        return None


@functools.cache
def _text_value(quantity: str, row_contains: str = "") -> float | None:
    t = reference_table("zhao_text")
    where = t["row"] + " " + t["column"]
    t = t[(t["quantity"] == quantity) & where.str.contains(row_contains, regex=False)]
    return float(t["value"].iloc[0]) if len(t) else None


@functools.cache
def integer_bits(bits: int) -> int:
    """The paper's integer bits of a fixed-point bitwidth (``zhao_text.csv``)."""
    t = reference_table("zhao_text")
    t = t[t["quantity"] == "integer_bits"]
    for r in t.itertuples():
        if r.row.endswith(f"bitwidth {bits}"):
            return int(r.value)
    return int(t[t["row"].str.contains("other")]["value"].iloc[0])


class Evidence:
    """The profile's transferability rows (transfer, grid, stats) and model facts."""

    def __init__(self, profile: str):
        self.profile = profile
        self.params = _params(profile)
        df = _table(profile)
        empty = pd.DataFrame(columns=["kind", "arch", "attack", "scenario", "compressed_model"])
        kind = df["kind"] if df is not None and "kind" in df else None
        self.transfer = df[kind == "transfer"] if kind is not None else empty
        self.grid = df[kind == "grid"] if kind is not None else empty
        self.stats = df[kind.isin(["weights", "activations"])] if kind is not None else empty
        self.paper_acc = reference_values("zhao_text", "accuracy")
        self.flags = CL.audit_flags(profile)
        t = self.transfer
        self._rows = {}
        for r in t.to_dict("records") if len(t) else []:
            cm = r["compressed_model"] if r["scenario"] != WHITE else None
            self._rows.setdefault((r["arch"], r["attack"], r["scenario"], cm), r)
        self._info = (
            t.drop_duplicates("compressed_model").set_index("compressed_model")
            if len(t)
            else pd.DataFrame()
        )
        self._test = {}
        s = self.stats
        if len(s) and "test_accuracy" in s:
            for m, v in s.dropna(subset=["test_accuracy"]).groupby("model")["test_accuracy"]:
                self._test[m] = 100 * float(v.iloc[0])
        for r in self._rows.values():
            self._test.setdefault(r["target"], 100 * float(r["clean_accuracy"]))
        self._quant = {
            (m, k): g.sort_values("p") for (m, k), g in s.groupby(["model", "kind"])
        } if len(s) else {}  # fmt: skip

    # -- models
    def archs(self) -> list[str]:
        have = set(self.transfer["arch"]) if len(self.transfer) else set()
        return [a for a in ARCHS if a in have]

    @functools.cache  # noqa: B019 (one Evidence per decisions() call)
    def compressed(self, arch: str, compression: str) -> list[str]:
        """The arch's DNS models, densest first, or fixed-point models, widest first."""
        t = self.transfer
        t = t[(t["arch"] == arch) & (t["compression"] == compression)]
        key = "density" if compression == "dns" else "bits"
        t = t.drop_duplicates("compressed_model").sort_values(key, ascending=False)
        return tuple(t["compressed_model"])

    def info(self, model: str, key: str):
        return self._info.loc[model, key] if model in self._info.index else None

    def bits(self, model: str) -> int:
        return int(self.info(model, "bits"))

    def test_acc(self, model: str) -> float | None:
        """Clean test accuracy (%, full test set) from the stats cells, else the clean
        accuracy of the transfer rows (the attacked subset)."""
        return self._test.get(model)

    def collapsed(self, model: str) -> str | None:
        """A compressed model that lost more than half of its baseline's accuracy above
        chance cannot stand for its compression setting."""
        if model.endswith("-base"):
            return None
        arch = model.split("-")[0]
        acc, base = self.test_acc(model), self.test_acc(f"{arch}-base")
        if acc is None or base is None or acc - CHANCE >= 0.5 * (base - CHANCE):
            return None
        return (
            f"{model} collapsed ({acc:.1f} % clean against its baseline's {base:.1f} %; "
            f"chance {CHANCE:g} %)"
        )

    def statuses(self, models) -> list[CL.ModelStatus]:
        out = []
        for m in dict.fromkeys(models):
            acc = self.test_acc(m)
            if acc is None:
                continue
            paper = self.paper_acc.get(m.split("-")[0]) if m.endswith("-base") else None
            out.append(CL.model_status(m, acc, paper, self.flags, chance=CHANCE))
        return out

    # -- rows
    def row(self, arch: str, attack: str, scenario: str, model: str | None = None):
        return self._rows.get((arch, attack, scenario, None if scenario == WHITE else model))

    def acc(self, arch, attack, scenario, model=None) -> Estimate | None:
        r = self.row(arch, attack, scenario, model)
        return None if r is None else Estimate.accuracy(float(r["accuracy"]), int(r["n_examples"]))

    def drop(self, arch, attack, scenario, model=None) -> Estimate | None:
        """The target's clean accuracy minus its accuracy under the examples (points)."""
        r = self.row(arch, attack, scenario, model)
        if r is None:
            return None
        n = int(r["n_examples"])
        return Estimate.difference(
            Estimate.accuracy(float(r["clean_accuracy"]), n),
            Estimate.accuracy(float(r["accuracy"]), n),
        )

    def inert(self, arch: str, attack: str) -> str | None:
        if attack != "ifgm":
            return None
        r = self.row(arch, attack, WHITE)
        if r is None:
            return None
        clean, adv = 100 * float(r["clean_accuracy"]), 100 * float(r["accuracy"])
        if clean - adv >= INERT:
            return None
        return (
            f"IFGM is inert on {NAME[arch]} in this study (the baseline keeps {adv:.1f} % under "
            f"its own IFGM, {clean:.1f} % clean)"
        )

    # -- weight statistics
    def quantiles(self, model: str, kind: str = "weights") -> pd.DataFrame | None:
        return self._quant.get((model, kind))

    def cdf_at_zero(self, model: str) -> Estimate | None:
        """The weights' cumulative share at value 0, bracketed by the stored quantiles."""
        q = self.quantiles(model)
        if q is None:
            return None
        p, v = q["p"].to_numpy(), q["value"].to_numpy()
        k = int(np.searchsorted(v, 0.0, side="right"))  # quantiles <= 0
        lo = p[k - 1] if k > 0 else 0.0
        hi = p[k] if k < len(p) else 1.0
        return Estimate(100 * (lo + hi) / 2, 100 * lo, 100 * hi, None, "%")

    def zero_share(self, model: str) -> Estimate | None:
        """The share of weights exactly 0 (%), bracketed by the stored quantiles."""
        q = self.quantiles(model)
        if q is None:
            return None
        p, v = q["p"].to_numpy(), q["value"].to_numpy()
        z = p[v == 0]
        if not len(z):
            step = float(np.diff(p).max())
            return Estimate(50 * step, 0.0, 100 * step, None, "%")
        step = float(np.diff(p).max())
        lo = float(z.max() - z.min())
        return Estimate(100 * (lo + step), 100 * lo, 100 * min(1.0, lo + 2 * step), None, "%")


# --------------------------------------------------------------------------- parts
def _untestable(cid: str, name: str, why: str) -> Decision:
    return Decision(cid, Verdict.UNTESTABLE, f"{name}: –", "–", "", CHAPTER, why)


def _inconclusive(cid: str, name: str, ours: str, why: str) -> Decision:
    return Decision(cid, Verdict.INCONCLUSIVE, f"{name}: {ours}", "–", "", CHAPTER, why)


def _within(cid: str, name: str, est: Estimate, band: float) -> Decision:
    """Reproduced when the interval lies within ± band, not when it lies outside, else
    inconclusive."""
    if -band < est.lo and est.hi < band:
        v, why = Verdict.REPRODUCED, ""
    elif est.lo >= band or est.hi <= -band:
        v, why = Verdict.NOT_REPRODUCED, ""
    else:
        v, why = Verdict.INCONCLUSIVE, "the interval covers both outcomes"
    return Decision(cid, v, f"{name}: {est.text()}", "–", "", CHAPTER, why)


def _differs(cid: str, name: str, est: Estimate, band: float) -> Decision:
    """Reproduced when the interval excludes 0, not when it lies within ± band."""
    if est.lo > 0 or est.hi < 0:
        v, why = Verdict.REPRODUCED, ""
    elif -band < est.lo and est.hi < band:
        v, why = Verdict.NOT_REPRODUCED, ""
    else:
        v, why = Verdict.INCONCLUSIVE, "the interval covers both outcomes"
    return Decision(cid, v, f"{name}: {est.text()}", "–", "", CHAPTER, why)


def _bool(cid: str, name: str, holds: bool, ours: str) -> Decision:
    v = Verdict.REPRODUCED if holds else Verdict.NOT_REPRODUCED
    return Decision(cid, v, f"{name}: {ours}", "–", "", CHAPTER)


def part(
    ev: Evidence,
    cid: str,
    name: str,
    est: Estimate | None,
    *,
    models=(),
    arch: str | None = None,
    attacks=(),
    pair: tuple[Estimate | None, Estimate | None] | None = None,
    above: float | None = None,
    below: float | None = None,
    within: float | None = None,
    differs: float | None = None,
    group: str | None = None,
) -> Decision:
    """One comparison, or the reason it cannot decide: a missing result (untestable), a
    collapsed model, an inert attack, two saturated accuracies (inconclusive), or the
    engine's guard on the baselines."""
    if est is None or (pair is not None and any(p is None for p in pair)):
        return _untestable(cid, name, f"this profile has no result for {name}")
    reasons = [r for m in models if (r := ev.collapsed(m))]
    reasons += [r for a in attacks if arch and (r := ev.inert(arch, a))]
    if pair is not None and all(p.value == 0 for p in pair):
        group = group or (f"{NAME[arch]} {'/'.join(ALABEL[a] for a in attacks)}" if arch else name)
        reasons.append(f"{SATURATED}{group}")
    if reasons:
        return _inconclusive(cid, name, est.text(), "; ".join(reasons))
    if within is not None:
        d = _within(cid, name, est, within)
    elif differs is not None:
        d = _differs(cid, name, est, differs)
    else:
        d = CL.decide(cid, est, paper="–", above=above, below=below, chapter=CHAPTER)
        d = replace(d, ours=f"{name}: {d.ours}")
    return CL.guarded(d, ev.statuses(models))


def _diff(a: Estimate | None, b: Estimate | None) -> Estimate | None:
    return None if a is None or b is None else Estimate.difference(a, b)


def _combine(cid: str, parts: list[Decision], *, rule: str, paper: str, notes=()) -> Decision:
    """:func:`CL.combine`, with one part of each verdict in ``ours`` and the reasons of
    the parts that could not decide in ``why``."""
    d = CL.combine(cid, parts, rule=rule, chapter=CHAPTER, paper=paper)
    shown = []
    for v in (Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE, Verdict.REPRODUCED):
        first = next((p for p in parts if p.verdict is v), None)
        if first is not None:
            shown.append(f"{v}: {first.ours}")
    ours = "; ".join([d.ours, *shown]) if d.verdict is not Verdict.UNTESTABLE else d.ours
    generic = "the interval covers both outcomes"
    reasons, saturated = [], []
    for p in parts:
        if p.verdict is not Verdict.INCONCLUSIVE:
            continue
        for r in p.why.split("; "):
            if r.startswith(SATURATED):
                saturated.append(r.removeprefix(SATURATED))
            elif r and r != generic and not r.startswith("the comparison alone says"):
                reasons.append(r)
    if saturated:
        reasons.append(SATURATED + ", ".join(dict.fromkeys(saturated)))
    if d.verdict is Verdict.UNTESTABLE:
        reasons += [p.why for p in parts if p.why]
    if any(p.why == generic for p in parts if p.verdict is Verdict.INCONCLUSIVE):
        reasons.append("some intervals cover both outcomes")
    why = "; ".join(dict.fromkeys([*reasons, *notes]))
    return replace(d, why=why or d.why, ours=ours)


def _none(ev: Evidence, cid: str, rule: str, paper: str) -> Decision | None:
    if not ev.archs():
        why = f"the {ev.profile} profile has no {CHAPTER} results"
        return Decision(cid, Verdict.UNTESTABLE, "–", paper, rule, CHAPTER, why)
    return None


def _ends(ev: Evidence, arch: str, compression: str) -> tuple[str, str] | None:
    """(densest, sparsest) DNS models or (widest, narrowest) fixed-point models."""
    ms = ev.compressed(arch, compression)
    return (ms[0], ms[-1]) if len(ms) >= 2 else None


def _trend(
    ev, cid, arch, attack, scenario, compression, *, above=None, below=None, differs=None
) -> Decision:
    """Accuracy at the sparsest (narrowest) minus at the densest (widest) model."""
    ends = _ends(ev, arch, compression)
    what = "density" if compression == "dns" else "bitwidth"
    name = f"{NAME[arch]} {ALABEL[attack]} {SC[scenario]}"
    if ends is None:
        return _untestable(cid, name, f"{NAME[arch]} has fewer than two values of {what}")
    far, near = ends[0], ends[1]
    a, b = ev.acc(arch, attack, scenario, near), ev.acc(arch, attack, scenario, far)
    lab = f"{name} {_short(near)} − {_short(far)}"
    return part(
        ev, cid, lab, _diff(a, b), models=[near, far, f"{arch}-base"], arch=arch,
        attacks=[attack], pair=(a, b), above=above, below=below, differs=differs,
    )  # fmt: skip


def _short(model: str | None) -> str:
    return model.split("-", 1)[1] if model else "–"


def _grid(ev, archs, attacks, scenarios, fn) -> list[Decision]:
    return [fn(a, k, s) for a in archs for k in attacks for s in scenarios]


# --------------------------------------------------------------------------- claims
def _transferable(ev: Evidence) -> Decision:
    cid = "zh-abstract-transferable"
    rule = (
        f"IFGSM examples (the paper's best transfer attack) lower the target's accuracy by "
        f"more than {TRANSFERS:g} points in S2 and S3, for every DNS and fixed-point model"
    )
    paper = "transferable (Figs. 2 and 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = [
        part(ev, cid, f"{NAME[a]} IFGSM {SC[s]} {_short(m)} drop", ev.drop(a, "ifgsm", s, m),
             models=[m, f"{a}-base"], above=TRANSFERS)
        for a in ev.archs() for c in ("dns", "fixed_point") for m in ev.compressed(a, c)
        for s in (S2, S3)
    ]  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _effective_parts(ev: Evidence, cid: str) -> list[Decision]:
    parts = []
    for a in ev.archs():
        w = ev.row(a, "ifgsm", WHITE)
        if w is None:
            continue
        clean, white = 100 * float(w["clean_accuracy"]), 100 * float(w["accuracy"])
        t = clean - 0.5 * (clean - white)
        for m in ev.compressed(a, "dns"):
            if ev.info(m, "density") > HEAVY_DENSITY:
                continue
            parts.append(
                part(ev, cid, f"{NAME[a]} IFGSM S3 {_short(m)} (threshold {t:.1f} %)",
                     ev.acc(a, "ifgsm", S3, m), models=[m, f"{a}-base"], below=t)
            )  # fmt: skip
    return parts


def _pruned_effective(ev: Evidence) -> Decision:
    cid = "zh-abstract-pruned-effective-on-baseline"
    rule = (
        f"IFGSM examples of each DNS model at ≤ {100 * HEAVY_DENSITY:g} % density leave the "
        "baseline below the midpoint of its clean and own-white-box accuracy (S3)"
    )
    paper = "effective (Fig. 2, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    return _combine(cid, _effective_parts(ev, cid), rule=rule, paper=paper)


def _int_ends(ev: Evidence, arch: str) -> tuple[str, str] | None:
    """(the widest model, the model with the fewest integer bits)."""
    q = ev.compressed(arch, "fixed_point")
    if len(q) < 2:
        return None
    few = min(q, key=lambda m: (integer_bits(ev.bits(m)), ev.bits(m)))
    return (q[0], few) if few != q[0] else None


def _frac_model(ev: Evidence, arch: str) -> str | None:
    """The model with the widest model's integer bits and the fewest fractional bits."""
    q = ev.compressed(arch, "fixed_point")
    if len(q) < 2:
        return None
    ib = integer_bits(ev.bits(q[0]))
    same = [m for m in q[1:] if integer_bits(ev.bits(m)) == ib]
    return min(same, key=ev.bits) if same else None


def _pair(ev, cid, arch, attack, scenario, low, high, **rule) -> Decision:
    name = f"{NAME[arch]} {ALABEL[attack]} {SC[scenario]} {_short(low)} − {_short(high)}"
    if low is None or high is None:
        return _untestable(cid, name, f"{NAME[arch]} lacks the fixed-point models it compares")
    a, b = ev.acc(arch, attack, scenario, low), ev.acc(arch, attack, scenario, high)
    return part(
        ev, cid, name, _diff(a, b), models=[low, high, f"{arch}-base"], arch=arch,
        attacks=[attack], pair=(a, b), **rule,
    )  # fmt: skip


def _int_pair(ev, cid, arch, attack, scenario, **rule) -> Decision:
    ends = _int_ends(ev, arch)
    high, low = ends if ends else (None, None)
    return _pair(ev, cid, arch, attack, scenario, low, high, **rule)


def _marginal(ev, cid, arch, attack, scenario, ends) -> list[Decision]:
    """A 'marginal increase': its direction, and, where the direction holds, its size."""
    high, low = ends if ends else (None, None)
    up = _pair(ev, cid, arch, attack, scenario, low, high, above=0)
    if up.verdict is not Verdict.REPRODUCED:
        return [up]
    small = _pair(ev, cid, arch, attack, scenario, low, high, below=MARGINAL)
    small = replace(small, ours=small.ours.replace(": ", f" (below {MARGINAL:g}): ", 1))
    return [up, small]


def _integer_precision(ev: Evidence) -> Decision:
    cid = "zh-abstract-integer-precision"
    rule = (
        "in S2 and S3, IFGSM leaves the model with the fewest integer bits more than "
        f"{HIGHLY:g} points more accurate than the widest fixed-point model"
    )
    paper = "highly sensitive (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = _grid(ev, ev.archs(), ["ifgsm"], [S2, S3],
                  lambda a, k, s: _int_pair(ev, cid, a, k, s, above=HIGHLY))  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _contrib_pruning(ev: Evidence) -> Decision:
    cid = "zh-contrib-pruning-fast-gradient"
    rule = (
        "IFGSM and IFGM examples of the baseline leave every DNS model (S2) more accurate "
        "than the baseline under its own attack"
    )
    paper = "less effective (Fig. 2, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        for k in FAST:
            w = ev.acc(a, k, WHITE)
            for m in ev.compressed(a, "dns"):
                s2 = ev.acc(a, k, S2, m)
                parts.append(
                    part(ev, cid, f"{NAME[a]} {ALABEL[k]} S2 {_short(m)} − white-box",
                         _diff(s2, w), models=[m, f"{a}-base"], arch=a, attacks=[k],
                         pair=(s2, w), above=0)
                )  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _quant_marginal_claim(ev, cid, rule, paper, attacks, scenarios, ends_fn) -> Decision:
    if d := _none(ev, cid, rule, paper):
        return d
    parts = [
        p
        for a in ev.archs()
        for k in attacks
        for s in scenarios
        for p in _marginal(ev, cid, a, k, s, ends_fn(ev, a))
    ]
    return _combine(cid, parts, rule=rule, paper=paper)


def _contrib_clipping(ev: Evidence) -> Decision:
    return _quant_marginal_claim(
        ev,
        "zh-contrib-quant-clipping",
        "in S2 and S3, IFGSM and IFGM leave the model with the fewest integer bits more "
        f"accurate than the widest one (limits), by less than {MARGINAL:g} points (marginally)",
        "marginal (Fig. 4, no numbers)",
        FAST,
        (S2, S3),
        _int_ends,
    )


def _setup_baselines(ev: Evidence) -> Decision:
    cid = "zh-setup-baselines"
    params = _text_value("n_params", "LeNet5")
    acc = ev.paper_acc.get("lenet5")
    paper = f"{params:g}K parameters, {acc:g} %"
    rule = (
        "our LeNet5 has the paper's parameter count (±1 %) and its MNIST test accuracy is "
        "within 2 points of the paper's (the zoo's target for full-precision models)"
    )
    n = count_params(build_arch("lenet5", 10, 1))
    ok_params = abs(n - 1000 * params) <= 0.01 * 1000 * params
    ours_acc = ev.test_acc("lenet5-base") if ev.archs() else None
    if ours_acc is None:
        why = f"the {ev.profile} profile has no {CHAPTER} results (LeNet5 has {n:,} parameters)"
        return Decision(cid, Verdict.UNTESTABLE, f"{n:,} parameters", paper, rule, CHAPTER, why)
    e = Estimate.accuracy(ours_acc, 10_000)
    d = CL.decide(cid, e, paper=paper, near=acc, tolerance=2.0, chapter=CHAPTER, rule=rule)
    ours = f"{n:,} parameters, {e.text()}"
    if not ok_params:
        return replace(d, verdict=Verdict.NOT_REPRODUCED, ours=ours)
    return replace(d, ours=ours)


def _setup_attacks(ev: Evidence) -> Decision:
    cid = "zh-setup-attacks"
    eps, it = _text_value("eps"), _text_value("attack_epochs")
    lo, hi = _text_value("clip_min"), _text_value("clip_max")
    paper = f"ε = {eps:g}, {it:g} epochs, Clip [{lo:g}, {hi:g}]"
    rule = (
        "IFGSM and IFGM take steps of ε for the paper's number of iterations, clipped to "
        "[0, 1] (our estimators' clip values)"
    )
    p = ev.params
    if p is None:
        why = f"the {ev.profile} profile has no {CHAPTER} section"
        return Decision(cid, Verdict.UNTESTABLE, "–", paper, rule, CHAPTER, why)
    ours = f"ε = {p['step']:g}, {p['iterations']} iterations, clip [0, 1]"
    t = ev.transfer[ev.transfer["attack"].isin(FAST)] if len(ev.transfer) else ev.transfer
    if len(t):  # the committed cells must have run with them
        steps, iters = set(t["step"].round(6)), set(t["iterations"].astype(int))
        ours += f" (cells: ε {sorted(steps)}, iterations {sorted(iters)})"
        follows = steps == {round(eps, 6)} and iters == {int(it)}
    else:
        follows = np.isclose(p["step"], eps) and int(p["iterations"]) == int(it)
    if follows:
        return Decision(cid, Verdict.REPRODUCED, ours, paper, rule, CHAPTER)
    why = f"the {ev.profile} profile uses {ours}"
    return Decision(cid, Verdict.UNTESTABLE, ours, paper, rule, CHAPTER, why)


def _compressed_to_baseline(ev: Evidence) -> Decision:
    cid = "zh-pruning-compressed-to-baseline"
    rule = (
        f"every attack's examples of every DNS model lower the baseline's accuracy by more "
        f"than {TRANSFERS:g} points (S3)"
    )
    paper = "transferable (Fig. 2, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = [
        part(ev, cid, f"{NAME[a]} {ALABEL[k]} S3 {_short(m)} drop", ev.drop(a, k, S3, m),
             models=[m, f"{a}-base"], arch=a, attacks=[k], above=TRANSFERS)
        for a in ev.archs() for k in ATTACKS for m in ev.compressed(a, "dns")
    ]  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _density_claim(ev, cid, rule, paper, attacks, scenarios, **cmp) -> Decision:
    if d := _none(ev, cid, rule, paper):
        return d
    parts = _grid(ev, ev.archs(), attacks, scenarios,
                  lambda a, k, s: _trend(ev, cid, a, k, s, "dns", **cmp))  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _worse_small_density(ev: Evidence) -> Decision:
    return _density_claim(
        ev,
        "zh-pruning-worse-at-small-density",
        "IFGSM and IFGM examples of the sparsest DNS model leave the baseline more accurate "
        "than those of the densest (S3)",
        "worse at smaller densities (Fig. 2, no numbers)",
        FAST,
        [S3],
        above=0,
    )


def _smaller_perturbations(ev: Evidence) -> Decision:
    cid = "zh-pruning-smaller-perturbations"
    rule = (
        "IFGSM examples crafted on the sparsest DNS model have a smaller mean |δ| per pixel "
        "and a smaller mean L2 than those crafted on the densest"
    )
    paper = "smaller (no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        ends = _ends(ev, a, "dns")
        if ends is None:
            continue
        far, near = ends
        rows = [ev.row(a, "ifgsm", S1, m) for m in (near, far)]
        if any(r is None for r in rows):
            continue
        for col, what in (("mean_abs_perturbation", "mean |δ|"), ("mean_l2", "mean L2")):
            x, y = float(rows[0][col]), float(rows[1][col])
            name = f"{NAME[a]} {what} {_short(near)} vs {_short(far)}"
            r = ev.collapsed(near) or ev.collapsed(far)
            ours = f"{x:.3f} vs {y:.3f} ([0, 1] units; means over images, no spread stored)"
            parts.append(_inconclusive(cid, name, ours, r) if r else _bool(cid, name, x < y, ours))
    return _combine(cid, parts, rule=rule, paper=paper)


def _s1_s3_less_effective(ev: Evidence) -> Decision:
    return _density_claim(
        ev,
        "zh-pruning-s1-s3-less-effective",
        "in S1 and S3, IFGSM and IFGM leave the sparsest DNS model's targets more accurate "
        "than the densest's",
        "less effective as density decreases (Fig. 2, no numbers)",
        FAST,
        [S1, S3],
        above=0,
    )


def _small_eps(ev: Evidence) -> Decision:
    cid = "zh-pruning-small-eps"
    rule = (
        "on a pruned LeNet5, IFGSM's accuracy is higher at the smallest step than at the "
        "largest (our grid, most iterations); IFGSM beats IFGM at the paper's ε (S1)"
    )
    paper = "Fig. 3 (no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    g = ev.grid
    if len(g):
        it = g["iterations"].max()
        gg = g[g["iterations"] == it]
        lo, hi = gg["step"].min(), gg["step"].max()
        for t in sorted(gg["target"].unique()):
            if "-dns" not in t:
                continue
            rows = [gg[(gg["target"] == t) & (gg["step"] == s)].iloc[0] for s in (lo, hi)]
            e = [Estimate.accuracy(float(r["accuracy"]), int(r["n_examples"])) for r in rows]
            name = f"grid {t} IFGSM {int(it)} it., ε {lo:g} − {hi:g}"
            parts.append(part(ev, cid, name, _diff(*e), models=[t], pair=tuple(e), above=0))
    for a in ev.archs():
        for m in ev.compressed(a, "dns"):
            x, y = ev.acc(a, "ifgsm", S1, m), ev.acc(a, "ifgm", S1, m)
            parts.append(
                part(ev, cid, f"{NAME[a]} S1 {_short(m)} IFGSM − IFGM", _diff(x, y),
                     models=[m, f"{a}-base"], arch=a, attacks=["ifgm"], pair=(x, y), below=0,
                     group=f"{NAME[a]} IFGSM and IFGM")
            )  # fmt: skip
    notes = [
        "our grid crafts IFGSM on the baseline (scenario 2), the paper's Fig. 3 attacks "
        "the pruned model; there is no IFGM grid, so IFGM's rise at small ε and whether "
        "IFGSM suffers more are not tested"
    ]
    return _combine(cid, parts, rule=rule, paper=paper, notes=notes)


def _deepfool_high_density(ev: Evidence) -> Decision:
    cid = "zh-pruning-deepfool-high-density"
    rule = (
        f"at the densest DNS model, DeepFool's S2 and S3 accuracies differ by less than "
        f"{SIMILAR:g} points"
    )
    paper = "similar (Fig. 2, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        ms = ev.compressed(a, "dns")
        if not ms:
            continue
        x, y = ev.acc(a, "deepfool", S2, ms[0]), ev.acc(a, "deepfool", S3, ms[0])
        parts.append(
            part(ev, cid, f"{NAME[a]} DeepFool {_short(ms[0])} S2 − S3", _diff(x, y),
                 models=[ms[0], f"{a}-base"], pair=(x, y), within=SIMILAR)
        )  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _deepfool_more_efficient(ev: Evidence) -> Decision:
    return _density_claim(
        ev,
        "zh-pruning-deepfool-more-efficient",
        "DeepFool leaves the sparsest DNS model's targets less accurate than the densest's, "
        "in every scenario",
        "more efficient as density decreases (Fig. 2, no numbers)",
        ["deepfool"],
        [S1, S2, S3],
        below=0,
    )


def _summary_density(ev: Evidence) -> Decision:
    return _density_claim(
        ev,
        "zh-summary-pruning-density",
        "IFGSM's and IFGM's S2 and S3 accuracies differ between the sparsest and the densest "
        f"DNS model (interval excludes 0; not reproduced when within ± {SIMILAR:g} points)",
        "affected (Fig. 2, no numbers)",
        FAST,
        [S2, S3],
        differs=SIMILAR,
    )


def _summary_easier_baseline(ev: Evidence) -> Decision:
    return _density_claim(
        ev,
        "zh-summary-pruning-easier-baseline",
        "IFGSM and IFGM examples of the sparsest DNS model leave the baseline less accurate "
        "than those of the densest (S3)",
        "easier at low density (Fig. 2, no numbers)",
        FAST,
        [S3],
        below=0,
    )


def _summary_harder_compressed(ev: Evidence) -> Decision:
    return _density_claim(
        ev,
        "zh-summary-pruning-harder-compressed",
        "the baseline's IFGSM and IFGM examples leave the sparsest DNS model more accurate "
        "than the densest (S2)",
        "harder at low density (Fig. 2, no numbers)",
        FAST,
        [S2],
        above=0,
    )


def _summary_deepfool(ev: Evidence) -> Decision:
    return _density_claim(
        ev,
        "zh-summary-pruning-deepfool",
        "in S1 and S3, DeepFool leaves the sparsest DNS model's targets less accurate than "
        "the densest's",
        "better at low density (Fig. 2, no numbers)",
        ["deepfool"],
        [S1, S3],
        below=0,
    )


def _summary_clipped(ev: Evidence) -> Decision:
    return _density_claim(
        ev,
        "zh-summary-pruning-clipped",
        "in S1 and S3, IFGSM and IFGM leave the sparsest DNS model's targets more accurate "
        "than the densest's",
        "worse at low density (Fig. 2, no numbers)",
        FAST,
        [S1, S3],
        above=0,
    )


def _above_eight() -> int:
    return int(_text_value("bitwidth", "constant above"))


def _stable_parts(ev: Evidence, cid: str, scenarios) -> tuple[list[Decision], list[str]]:
    """Each attack's accuracy at bitwidths above 8 against the reference: S1 against the
    32-bit baseline's white-box attack; S2, S3 against the widest fixed-point model
    (needs two bitwidths above 8)."""
    limit = _above_eight()
    parts, missing = [], []
    for a in ev.archs():
        high = [m for m in ev.compressed(a, "fixed_point") if ev.bits(m) > limit]
        for k in ATTACKS:
            for s in scenarios:
                if s == S1:
                    pairs = [(m, None) for m in high]
                else:
                    pairs = [(m, high[0]) for m in high[1:]]
                if not pairs:
                    missing.append(f"{NAME[a]} {SC[s]}")
                for m, ref in pairs:
                    x = ev.acc(a, k, s, m)
                    y = ev.acc(a, k, WHITE) if ref is None else ev.acc(a, k, s, ref)
                    name = (
                        f"{NAME[a]} {ALABEL[k]} {SC[s]} {_short(m)} − {_short(ref or 'x-32-bit')}"
                    )
                    parts.append(
                        part(ev, cid, name, _diff(x, y), models=[m, f"{a}-base"], arch=a,
                             attacks=[k], pair=(x, y), within=SIMILAR)
                    )  # fmt: skip
    return parts, sorted(set(missing))


def _constant_above_8(ev: Evidence) -> Decision:
    cid = "zh-quant-constant-above-8"
    limit = _above_eight()
    rule = (
        f"each attack's white-box (S1) accuracy at every bitwidth above {limit} stays within "
        f"± {SIMILAR:g} points of the 32-bit baseline's"
    )
    paper = f"nearly constant above {limit} bits (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts, _ = _stable_parts(ev, cid, [S1])
    return _combine(cid, parts, rule=rule, paper=paper)


def _stable_above_8(ev: Evidence) -> Decision:
    cid = "zh-quant-stable-above-8"
    limit = _above_eight()
    rule = (
        f"in all three scenarios each attack's accuracy stays within ± {SIMILAR:g} points "
        f"across the bitwidths above {limit} (S1 against the 32-bit baseline)"
    )
    paper = f"stable above {limit} bits (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts, missing = _stable_parts(ev, cid, [S1, S2, S3])
    d = _combine(cid, parts, rule=rule, paper=paper)
    if missing:
        bits = (_params("paper") or {}).get("lenet_bits", [])
        why = (
            f"{', '.join(missing)} need two fixed-point bitwidths above {limit}; this profile "
            f"has one; the paper profile has {', '.join(str(b) for b in bits if b > limit)}"
        )
        return replace(d, verdict=Verdict.UNTESTABLE, why=why)
    return d


def _defensive_integer(ev: Evidence) -> Decision:
    cid = "zh-quant-defensive-integer"
    rule = (
        "IFGSM and IFGM leave the model with the fewest integer bits more accurate than the "
        "widest (defensive), and than the model that lost only fractional bits (mainly "
        "integer precision), in every scenario"
    )
    paper = "defensive at low bitwidth (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        ends = _int_ends(ev, a)
        frac = _frac_model(ev, a)
        for k in FAST:
            for s in (S1, S2, S3):
                parts.append(_int_pair(ev, cid, a, k, s, above=0))
                low = ends[1] if ends else None
                parts.append(_pair(ev, cid, a, k, s, low, frac, above=0))
    return _combine(cid, parts, rule=rule, paper=paper)


def _cdf_4bit(ev: Evidence) -> Decision:
    cid = "zh-quant-cdf-4bit"
    cdf = _text_value("cdf")
    paper = f"CDF(0) ≈ {cdf:g}"
    rule = (
        f"the narrowest CifarNet's weight CDF at 0 is within {cdf:g} ± 0.05, and it has more "
        "zero weights than every wider fixed-point CifarNet"
    )
    if d := _none(ev, cid, rule, paper):
        return d
    q = ev.compressed("cifarnet", "fixed_point")
    if not q:
        why = f"the {ev.profile} profile has no fixed-point CifarNet"
        return Decision(cid, Verdict.UNTESTABLE, "–", paper, rule, CHAPTER, why)
    low = q[-1]
    c = ev.cdf_at_zero(low)
    parts = []
    if c is None:
        parts.append(_untestable(cid, f"{low} CDF(0)", "no weight statistics"))
    else:
        e = Estimate(c.value / 100, c.lo / 100, c.hi / 100, None, "")
        d = CL.decide(cid, e, paper=paper, near=cdf, tolerance=0.05, chapter=CHAPTER)
        parts.append(replace(d, ours=f"{low} CDF(0): {e.text()}"))
    z = ev.zero_share(low)
    for m in q[:-1]:
        y = ev.zero_share(m)
        if z is None or y is None:
            continue
        parts.append(
            _bool(
                cid, f"zeros {_short(low)} vs {_short(m)}", z.lo > y.hi, f"{z.text()} vs {y.text()}"
            )
        )
    notes = [
        "CifarNet is rescaled to fill the fixed-point range before quantisation "
        "(calibrate_fixed_point), which changes its weight distribution"
    ]
    return _combine(cid, parts, rule=rule, paper=paper, notes=notes)


def _zero_parts(ev: Evidence, cid: str, pick) -> list[Decision]:
    parts = []
    for a in ev.archs():
        m = pick(a)
        if m is None:
            continue
        z = ev.zero_share(m)
        name = f"{NAME[a]} {_short(m)} zero weights"
        if z is None:
            parts.append(_untestable(cid, name, "no weight statistics"))
            continue
        d = CL.decide(cid, z, paper="–", above=50.0, chapter=CHAPTER)
        r = ev.collapsed(m)
        parts.append(
            _inconclusive(cid, name, z.text(), r) if r else replace(d, ours=f"{name}: {d.ours}")
        )
    return parts


def _4bit_like_pruning(ev: Evidence) -> Decision:
    cid = "zh-quant-4bit-like-pruning"
    rule = "more than half of the narrowest fixed-point model's weights are exactly zero"
    paper = "a large part zeroed out (no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    pick = lambda a: (ev.compressed(a, "fixed_point") or [None])[-1]  # noqa: E731
    return _combine(cid, _zero_parts(ev, cid, pick), rule=rule, paper=paper)


def _fractional_pruning(ev: Evidence) -> Decision:
    cid = "zh-summary-quant-fractional-pruning"
    rule = (
        "more than half of the weights of the model with the fewest fractional bits are "
        "exactly zero, as in a DNS model"
    )
    paper = "the same effect as pruning (zeros; no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d

    def pick(a):
        q = ev.compressed(a, "fixed_point")
        return min(q, key=lambda m: ev.bits(m) - integer_bits(ev.bits(m))) if q else None

    return _combine(cid, _zero_parts(ev, cid, pick), rule=rule, paper=paper)


def _bit_ends(ev: Evidence, arch: str) -> tuple[str, str] | None:
    return _ends(ev, arch, "fixed_point")


def _less_effective_s1_s2(ev: Evidence) -> Decision:
    cid = "zh-quant-less-effective-s1-s2"
    rule = (
        "IFGSM and IFGM leave the narrowest fixed-point model's targets more accurate than "
        "the widest's in S3 (the sentence's 'Scenario 1': compressed → baseline, by "
        "Sec. 3.1) and in S2"
    )
    paper = "less effective (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = _grid(ev, ev.archs(), FAST, [S3, S2],
                  lambda a, k, s: _trend(ev, cid, a, k, s, "fixed_point", above=0))  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _accuracy_up_small_bits(ev: Evidence) -> Decision:
    cid = "zh-quant-accuracy-up-small-bits"
    rule = (
        "in all three scenarios, IFGSM and IFGM leave the narrowest fixed-point model's "
        "targets more accurate than the widest's"
    )
    paper = "accuracy rises (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = _grid(ev, ev.archs(), FAST, [S1, S2, S3],
                  lambda a, k, s: _trend(ev, cid, a, k, s, "fixed_point", above=0))  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _integer_bits_transfer(ev: Evidence) -> Decision:
    cid = "zh-quant-integer-bits-transfer"
    rule = (
        f"in S2 and S3, IFGSM and IFGM examples still remove more than {TRANSFERS:g} points "
        "on the model that lost only fractional bits, and leave the model with the fewest "
        "integer bits more accurate than the widest"
    )
    paper = "transferable, then worse (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        frac = _frac_model(ev, a)
        for k in FAST:
            for s in (S2, S3):
                name = f"{NAME[a]} {ALABEL[k]} {SC[s]} {_short(frac) if frac else '–'} drop"
                parts.append(
                    part(ev, cid, name, ev.drop(a, k, s, frac) if frac else None,
                         models=[frac or "", f"{a}-base"], arch=a, attacks=[k], above=TRANSFERS)
                )  # fmt: skip
                parts.append(_int_pair(ev, cid, a, k, s, above=0))
    return _combine(cid, parts, rule=rule, paper=paper)


def _quant_smaller_perturbations(ev: Evidence) -> Decision:
    cid = "zh-quant-smaller-perturbations"
    limit = _above_eight()
    rule = (
        f"IFGSM examples crafted on each fixed-point model of at most {limit} bits have a "
        "smaller mean |δ| per pixel than the baseline's own"
    )
    paper = "smaller (Fig. 6, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        w = ev.row(a, "ifgsm", WHITE)
        for m in ev.compressed(a, "fixed_point"):
            r = ev.row(a, "ifgsm", S3, m)
            if ev.bits(m) > limit or r is None or w is None:
                continue
            x, y = float(r["mean_abs_perturbation"]), float(w["mean_abs_perturbation"])
            name = f"{NAME[a]} mean |δ| {_short(m)} vs base"
            ours = f"{x:.4f} vs {y:.4f} ([0, 1] units; means over images, no spread stored)"
            c = ev.collapsed(m)
            parts.append(_inconclusive(cid, name, ours, c) if c else _bool(cid, name, x < y, ours))
    return _combine(cid, parts, rule=rule, paper=paper)


def _deepfool_transferable(ev: Evidence) -> Decision:
    cid = "zh-quant-deepfool-transferable"
    rule = (
        f"on every fixed-point model, DeepFool's examples remove more than {TRANSFERS:g} "
        "points in S2 and S3 while IFGM's do not, and on LeNet5 DeepFool beats IFGM in S2"
    )
    paper = "transferable, unlike IFGM (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        for m in ev.compressed(a, "fixed_point"):
            ms = [m, f"{a}-base"]
            for s in (S2, S3):
                parts.append(
                    part(ev, cid, f"{NAME[a]} DeepFool {SC[s]} {_short(m)} drop",
                         ev.drop(a, "deepfool", s, m), models=ms, above=TRANSFERS)
                )  # fmt: skip
                parts.append(
                    part(ev, cid, f"{NAME[a]} IFGM {SC[s]} {_short(m)} drop",
                         ev.drop(a, "ifgm", s, m), models=ms, arch=a, attacks=["ifgm"],
                         below=TRANSFERS)
                )  # fmt: skip
            if a == "lenet5":
                x, y = ev.acc(a, "deepfool", S2, m), ev.acc(a, "ifgm", S2, m)
                parts.append(
                    part(ev, cid, f"LeNet5 S2 {_short(m)} DeepFool − IFGM", _diff(x, y),
                         models=ms, arch=a, attacks=["ifgm"], pair=(x, y), below=0)
                )  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _ifgsm_marginal(ev: Evidence) -> Decision:
    return _quant_marginal_claim(
        ev,
        "zh-quant-ifgsm-marginal",
        "in every scenario, IFGSM leaves the narrowest fixed-point model's targets more "
        f"accurate than the widest's, by less than {MARGINAL:g} points",
        "slightly higher, marginal (Fig. 4, no numbers)",
        ["ifgsm"],
        (S1, S2, S3),
        _bit_ends,
    )


def _summary_fractional(ev: Evidence) -> Decision:
    cid = "zh-summary-quant-fractional"
    limit = _above_eight()
    rule = (
        f"in S2 and S3, IFGSM's and IFGM's accuracy on the fixed-point models above {limit} "
        f"bits stays within ± {SIMILAR:g} points of the baseline's own white-box accuracy"
    )
    paper = "not affected (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        for m in [m for m in ev.compressed(a, "fixed_point") if ev.bits(m) > limit]:
            for k in FAST:
                for s in (S2, S3):
                    x, y = ev.acc(a, k, s, m), ev.acc(a, k, WHITE)
                    parts.append(
                        part(ev, cid, f"{NAME[a]} {ALABEL[k]} {SC[s]} {_short(m)} − white-box",
                             _diff(x, y), models=[m, f"{a}-base"], arch=a, attacks=[k],
                             pair=(x, y), within=SIMILAR)
                    )  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _summary_integer(ev: Evidence) -> Decision:
    return _quant_marginal_claim(
        ev,
        "zh-summary-quant-integer",
        "every attack's examples of the model with the fewest integer bits leave the "
        "baseline more accurate than the widest model's (S3), by less than "
        f"{MARGINAL:g} points",
        "marginally harder (Fig. 4, no numbers)",
        ATTACKS,
        (S3,),
        _int_ends,
    )


def _ifgsm_best(ev: Evidence) -> Decision:
    cid = "zh-summary-quant-ifgsm-best"
    rule = "in S2 and S3, IFGSM leaves every fixed-point model's target less accurate than IFGM and DeepFool do"
    paper = "best with IFGSM (Fig. 4, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        for m in ev.compressed(a, "fixed_point"):
            for s in (S2, S3):
                x = ev.acc(a, "ifgsm", s, m)
                for k in ("ifgm", "deepfool"):
                    y = ev.acc(a, k, s, m)
                    parts.append(
                        part(ev, cid, f"{NAME[a]} {SC[s]} {_short(m)} IFGSM − {ALABEL[k]}",
                             _diff(x, y), models=[m, f"{a}-base"], arch=a, attacks=[k],
                             pair=(x, y), below=0, group=f"{NAME[a]} IFGSM and {ALABEL[k]}")
                    )  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _conclusion_pruned(ev: Evidence) -> Decision:
    cid = "zh-conclusion-pruned-to-baseline"
    rule = (
        f"IFGSM examples of each DNS model at ≤ {100 * HEAVY_DENSITY:g} % density remove at "
        "least half of what the baseline's own attack removes (S3); the baseline's IFGSM "
        "and IFGM examples leave those models more accurate than the baseline's white-box "
        "accuracy (S2)"
    )
    paper = "effective; somewhat defensive (Fig. 2, no numbers)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = _effective_parts(ev, cid)
    for a in ev.archs():
        for k in FAST:
            w = ev.acc(a, k, WHITE)
            for m in ev.compressed(a, "dns"):
                if ev.info(m, "density") > HEAVY_DENSITY:
                    continue
                s2 = ev.acc(a, k, S2, m)
                parts.append(
                    part(ev, cid, f"{NAME[a]} {ALABEL[k]} S2 {_short(m)} − white-box",
                         _diff(s2, w), models=[m, f"{a}-base"], arch=a, attacks=[k],
                         pair=(s2, w), above=0)
                )  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


def _conclusion_quant(ev: Evidence) -> Decision:
    return _quant_marginal_claim(
        ev,
        "zh-conclusion-quant-harder",
        "in S2 and S3, IFGSM and IFGM leave the narrowest fixed-point model's targets more "
        f"accurate than the widest's, by less than {MARGINAL:g} points",
        "marginally harder (Fig. 4, no numbers)",
        FAST,
        (S2, S3),
        _bit_ends,
    )


def _security(ev: Evidence) -> Decision:
    cid = "zh-conclusion-security"
    rule = (
        "no compressed model gains more than 10 points over the baseline's accuracy under "
        "the same white-box attack (S1 against the baseline's own)"
    )
    paper = "not much additional security (Sec. 5)"
    if d := _none(ev, cid, rule, paper):
        return d
    parts = []
    for a in ev.archs():
        for k in ATTACKS:
            w = ev.acc(a, k, WHITE)
            for c in ("dns", "fixed_point"):
                for m in ev.compressed(a, c):
                    x = ev.acc(a, k, S1, m)
                    parts.append(
                        part(ev, cid, f"{NAME[a]} {ALABEL[k]} S1 {_short(m)} − white-box",
                             _diff(x, w), models=[m, f"{a}-base"], arch=a, attacks=[k],
                             pair=(x, w), below=10.0)
                    )  # fmt: skip
    return _combine(cid, parts, rule=rule, paper=paper)


#: claim id -> the function that decides it
RULES = {
    "zh-abstract-transferable": _transferable,
    "zh-abstract-pruned-effective-on-baseline": _pruned_effective,
    "zh-abstract-integer-precision": _integer_precision,
    "zh-contrib-pruning-fast-gradient": _contrib_pruning,
    "zh-contrib-quant-clipping": _contrib_clipping,
    "zh-setup-baselines": _setup_baselines,
    "zh-setup-attacks": _setup_attacks,
    "zh-pruning-compressed-to-baseline": _compressed_to_baseline,
    "zh-pruning-worse-at-small-density": _worse_small_density,
    "zh-pruning-smaller-perturbations": _smaller_perturbations,
    "zh-pruning-s1-s3-less-effective": _s1_s3_less_effective,
    "zh-pruning-small-eps": _small_eps,
    "zh-pruning-deepfool-high-density": _deepfool_high_density,
    "zh-pruning-deepfool-more-efficient": _deepfool_more_efficient,
    "zh-summary-pruning-density": _summary_density,
    "zh-summary-pruning-easier-baseline": _summary_easier_baseline,
    "zh-summary-pruning-harder-compressed": _summary_harder_compressed,
    "zh-summary-pruning-deepfool": _summary_deepfool,
    "zh-summary-pruning-clipped": _summary_clipped,
    "zh-quant-constant-above-8": _constant_above_8,
    "zh-quant-defensive-integer": _defensive_integer,
    "zh-quant-cdf-4bit": _cdf_4bit,
    "zh-quant-less-effective-s1-s2": _less_effective_s1_s2,
    "zh-quant-stable-above-8": _stable_above_8,
    "zh-quant-4bit-like-pruning": _4bit_like_pruning,
    "zh-quant-accuracy-up-small-bits": _accuracy_up_small_bits,
    "zh-quant-integer-bits-transfer": _integer_bits_transfer,
    "zh-quant-smaller-perturbations": _quant_smaller_perturbations,
    "zh-quant-deepfool-transferable": _deepfool_transferable,
    "zh-quant-ifgsm-marginal": _ifgsm_marginal,
    "zh-summary-quant-fractional": _summary_fractional,
    "zh-summary-quant-fractional-pruning": _fractional_pruning,
    "zh-summary-quant-integer": _summary_integer,
    "zh-summary-quant-ifgsm-best": _ifgsm_best,
    "zh-conclusion-pruned-to-baseline": _conclusion_pruned,
    "zh-conclusion-quant-harder": _conclusion_quant,
    "zh-conclusion-security": _security,
}


def decisions(profile: str) -> list[Decision]:
    """One decision per claim of the paper in ``data/reference/claims.csv``."""
    ev = Evidence(profile)
    return [replace(fn(ev), chapter=CHAPTER) for fn in RULES.values()]
