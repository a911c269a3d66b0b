"""Cheng & Hu's claims decided by the claims engine (studies/cheng/claims.py)."""

import re

import numpy as np
import pandas as pd
import pytest

from compression_robustness.evaluate.claims import VERDICTS, Verdict, claim_catalogue
from compression_robustness.studies.cheng import claims as C

R50, V2, VGG, EFF, FC = C.MAIN
R18, R34, R101 = C.R18, C.R34, C.R101
INTERVAL = re.compile(r"\[-?\d+(\.\d+)?, -?\d+(\.\d+)?\]")


@pytest.fixture(scope="module")
def cpu():
    return {d.claim_id: d for d in C.decisions("cpu")}


def _leaves(d):
    if not d.parts:
        return [d]
    return [leaf for p in d.parts for leaf in _leaves(p)]


# --------------------------------------------------------------------------- committed cpu
def test_every_claim_is_decided_exactly_once_with_a_fixed_verdict(cpu):
    ds = C.decisions("cpu")
    cat = claim_catalogue()
    ids = list(cat.index[cat["paper"] == "cheng"])
    assert len(ids) == 29
    assert [d.claim_id for d in ds] == ids  # once each, in the catalogue's order
    assert {d.verdict for d in ds} <= set(VERDICTS)
    assert all(d.chapter == "pixel_noise" for d in ds)
    assert all(d.rule for d in ds)


def test_every_accuracy_shown_carries_its_interval(cpu):
    for d in cpu.values():
        if d.verdict is Verdict.UNTESTABLE or "-setup-" in d.claim_id:
            continue
        for leaf in _leaves(d):
            for piece in leaf.ours.split(": ")[1:] or [leaf.ours]:
                if " %" in piece or "points" in piece:
                    assert INTERVAL.search(piece), (d.claim_id, piece)
        if "%" in d.ours or "points" in d.ours:
            assert INTERVAL.search(d.ours), d.claim_id


def test_committed_cpu_verdicts(cpu):
    # the setting: 56x56 inputs and a 3136-unit FC; the cpu schedule is not the paper's
    assert cpu["ch-setup-resize-56"].verdict is Verdict.REPRODUCED
    assert cpu["ch-setup-fc-3136"].verdict is Verdict.REPRODUCED
    for cid in ("ch-setup-repeats", "ch-fig7-sample-size-5", "ch-setup-training-rule"):
        assert cpu[cid].verdict is Verdict.UNTESTABLE
        assert "paper profile follows" in cpu[cid].why
    # claims about models that are not in the study
    for cid in ("ch-fc-pooling-fails", "ch-table2-reference-cnn", "ch-gray-outline-misclassified"):
        assert cpu[cid].verdict is Verdict.UNTESTABLE and cpu[cid].why
    # no audit table yet: every claim that ranks architectures is inconclusive, "not audited"
    for cid in ("ch-vgg19-best", "ch-resnet50v2-5-10-higher", "ch-conclusion-nonresidual-better"):
        assert cpu[cid].verdict is Verdict.INCONCLUSIVE and "not audited" in cpu[cid].why
    # ResNet-101 (80 % clean) is far below the 99.0 % the paper trained to
    assert "m56_resnet101-vanilla is 18.3 points below the paper's 99.00 %" in (
        cpu["ch-depth-eta-monotone"].why
    )
    # claims about one model's curves are decided (no robustness guard)
    assert cpu["ch-conclusion-btw-worse-vgg-eff"].verdict is Verdict.REPRODUCED
    assert cpu["ch-table1-similar-clean"].verdict is Verdict.REPRODUCED
    # the Table 2 comparison cannot be read like the paper's
    assert cpu["ch-resemble-pointwise"].verdict is Verdict.INCONCLUSIVE
    assert "budget" in cpu["ch-resemble-pointwise"].why


@pytest.mark.parametrize("profile", ["smoke", "paper"])
def test_profiles_without_results_give_untestable_not_errors(profile, isolated_data):
    # an empty data folder: a smoke run of the chapters (CI runs them first) leaves none
    ds = C.decisions(profile)
    assert len(ds) == 29
    for d in ds:
        if "-setup-" in d.claim_id or d.claim_id == "ch-fig7-sample-size-5":
            continue
        assert d.verdict is Verdict.UNTESTABLE, d.claim_id
        assert d.why
    setup = {d.claim_id: d.verdict for d in ds if "-setup-" in d.claim_id}
    if profile == "paper":  # the paper profile follows the paper's setting
        assert set(setup.values()) == {Verdict.REPRODUCED}


# --------------------------------------------------------------------------- synthetic tables
K = (0, 10, 40, 100, 200)


def _table(curves, n=10_000, repeats=2, spread=0.002):
    """A noise table: ``curves[model](perturbation, k) -> accuracy`` (fraction)."""
    rows = []
    for model, f in curves.items():
        for pert in C.PERTS:
            for k in K:
                for r in range(repeats):
                    acc = f(pert, k) + (spread * r if k else 0.0)
                    rows.append(
                        {
                            "model": model,
                            "perturbation": pert,
                            "k": k,
                            "repeat": r,
                            "accuracy": float(np.clip(acc, 0, 1)),
                            "n_examples": n,
                            "attack": "pixel_noise",
                            "dataset": "mnist56",
                        }
                    )
    return pd.DataFrame(rows)


def linear(at200, clean=0.99, per=None):
    """A straight curve from ``clean`` at k = 0 to ``at200`` (``per``: per perturbation)."""
    per = per or {}
    return lambda p, k: clean + (per.get(p, at200) - clean) * k / 200


def _base(**over):
    curves = {m: linear(0.5) for m in C.MAIN + (R18, R34, R101)}
    curves.update(over)
    return curves


@pytest.fixture
def synthetic(monkeypatch):
    """Decide from a synthetic table, every model audited and clean (no masking)."""

    def use(curves, audited=True, compare=None, **kw):
        table = _table(curves, **kw)
        if compare is not None:
            table = pd.concat([table, compare], ignore_index=True)
        monkeypatch.setattr(C, "load_table", lambda profile, chapter: table)
        flags = {m: () for m in curves} if audited else None
        monkeypatch.setattr(C, "audit_flags", lambda profile: flags)
        return {d.claim_id: d for d in C.decisions("cpu")}

    return use


def test_vgg_best_flips_with_the_gap_and_the_sample_size(synthetic):
    up = synthetic(_base(**{VGG: linear(0.8)}))["ch-vgg19-best"]
    assert up.verdict is Verdict.REPRODUCED
    down = synthetic(_base(**{VGG: linear(0.2)}))["ch-vgg19-best"]
    assert down.verdict is Verdict.NOT_REPRODUCED
    # 20 images and a 1-point gap decide nothing
    small = synthetic(_base(**{VGG: linear(0.52)}), n=20, spread=0.0)["ch-vgg19-best"]
    assert small.verdict is Verdict.INCONCLUSIVE


def test_robustness_claims_wait_for_the_audit_and_respect_its_flags(synthetic):
    curves = _base(**{VGG: linear(0.8)})
    d = synthetic(curves, audited=False)["ch-vgg19-best"]
    assert d.verdict is Verdict.INCONCLUSIVE and "not audited" in d.why
    assert "the comparison alone says reproduced" in d.why


def test_resnet50v2_margin_of_5_to_10_points(synthetic):
    # averaged over k = 10, 40, 100, 200 a straight curve loses 0.4375 of its drop
    def v2(delta_points):
        return linear(0.5 + delta_points / 100 / 0.4375)

    assert synthetic(_base(**{V2: v2(7)}))["ch-resnet50v2-5-10-higher"].verdict is (
        Verdict.REPRODUCED
    )
    for delta in (0, 20):
        d = synthetic(_base(**{V2: v2(delta)}))["ch-resnet50v2-5-10-higher"]
        assert d.verdict is Verdict.NOT_REPRODUCED, delta


def test_foreground_background_equal_and_unequal(synthetic):
    eq = synthetic(_base())
    assert eq["ch-conclusion-fg-bg-equal"].verdict is Verdict.REPRODUCED
    # equal is no evidence that Black->White hurts more: the interval covers 0
    assert eq["ch-conclusion-btw-worse-vgg-eff"].verdict is Verdict.INCONCLUSIVE
    fg = linear(0.5, per={C.WTB: 0.1})  # White->Black hurts far more
    d = synthetic(_base(**{VGG: fg, EFF: fg}))
    assert d["ch-conclusion-btw-worse-vgg-eff"].verdict is Verdict.NOT_REPRODUCED
    bg = linear(0.5, per={C.BTW: 0.1})  # Black->White hurts far more
    d = synthetic(_base(**{R50: bg, V2: bg, FC: bg, VGG: bg, EFF: bg}))
    assert d["ch-conclusion-fg-bg-equal"].verdict is Verdict.NOT_REPRODUCED
    assert d["ch-conclusion-btw-worse-vgg-eff"].verdict is Verdict.REPRODUCED


def test_a_model_far_below_its_paper_accuracy_makes_the_claim_inconclusive(synthetic):
    rising = {
        R18: linear(0.2),
        R34: linear(0.5),
        R50: linear(0.65),
        R101: linear(0.72),
    }
    d = synthetic(_base(**rising))["ch-abstract-depth-improves"]
    assert d.verdict is Verdict.REPRODUCED
    weak = {**rising, R101: linear(0.72, clean=0.80)}  # 19 points below 99.0 %
    d = synthetic(_base(**weak))["ch-abstract-depth-improves"]
    assert d.verdict is Verdict.INCONCLUSIVE and "below the paper's 99.00 %" in d.why
    # a model the claim needs is missing: untestable here
    curves = _base(**rising)
    del curves[R101]
    d = synthetic(curves)["ch-abstract-depth-improves"]
    assert d.verdict is Verdict.UNTESTABLE and "ResNet-101" in d.why


def _sigmoid(p, k):  # flat, steep, flat again
    return {0: 0.99, 10: 0.98, 40: 0.95, 100: 0.45, 200: 0.35}[k]


def _inverted(p, k):  # steep, flat, steep
    return {0: 0.99, 10: 0.90, 40: 0.70, 100: 0.62, 200: 0.30}[k]


def test_curve_shapes_and_linearity(synthetic):
    d = synthetic(_base(**{EFF: _sigmoid, R50: _inverted}))
    assert d["ch-curve-shapes"].verdict is Verdict.REPRODUCED
    assert d["ch-fc-linear"].verdict is Verdict.REPRODUCED  # FC is a straight line
    d = synthetic(_base(**{EFF: _inverted, R50: _sigmoid, FC: _sigmoid}))
    assert d["ch-curve-shapes"].verdict is Verdict.NOT_REPRODUCED
    assert d["ch-fc-linear"].verdict is Verdict.NOT_REPRODUCED


def test_similar_clean_accuracies(synthetic):
    d = synthetic(_base(**{FC: linear(0.5, clean=0.97)}))["ch-table1-similar-clean"]
    assert d.verdict is Verdict.REPRODUCED
    d = synthetic(_base(**{FC: linear(0.5, clean=0.93), VGG: linear(0.5, clean=0.995)}))
    assert d["ch-table1-similar-clean"].verdict is Verdict.NOT_REPRODUCED


def _compare(pixels):
    """Table 2 rows: ``pixels[attack]`` changed by every (successful) adversarial."""
    rows = []
    for m in (FC, R50):
        for atk, px in pixels.items():
            for i in range(8):
                rows.append(
                    {
                        "model": m,
                        "attack": atk,
                        "image": i,
                        "success": True,
                        "changed_pixels": px + (i % 3),
                        "n_attacked": 8,
                        "n_examples": 8,
                    }
                )
    return pd.DataFrame(rows)


def test_table2_pixel_counts(synthetic, monkeypatch):
    monkeypatch.setattr(C, "chapter_parameters", lambda p, c: {"boundary_max_iter": 5000})
    good = _compare({"deepfool": 500, "boundary": 700, "pointwise": 40})
    d = synthetic(_base(), compare=good)["ch-table2-pixels-altered"]
    assert d.verdict is Verdict.REPRODUCED
    bad = _compare({"deepfool": 50, "boundary": 60, "pointwise": 5})
    d = synthetic(_base(), compare=bad)["ch-table2-pixels-altered"]
    assert d.verdict is Verdict.NOT_REPRODUCED
    # a Boundary attack stopped after a few iterations decides nothing
    monkeypatch.setattr(C, "chapter_parameters", lambda p, c: {"boundary_max_iter": 10})
    d = synthetic(_base(), compare=good)["ch-table2-pixels-altered"]
    assert d.verdict is Verdict.INCONCLUSIVE and "10 of ART's default 5000" in d.why
