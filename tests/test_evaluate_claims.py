import pandas as pd
import pytest

from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate import claims as CL
from compression_robustness.evaluate.claims import Estimate, ModelStatus, Verdict

ID = "bb-pgd-kd-more-resilient"  # any claim id of data/reference/claims.csv


def test_wilson_matches_published_values():
    # Newcombe (1998), Table I: 0/20 -> [0, 0.1611]; 10/20 -> [0.2993, 0.7007]; 81/263 -> [0.2553, 0.3662]
    assert CL.wilson(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)
    assert CL.wilson(10, 20) == pytest.approx((0.2993, 0.7007), abs=1e-4)
    assert CL.wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)


def test_newcombe_difference_matches_the_published_example():
    # Newcombe (1998b), example (a): 56/70 - 48/80 = 0.200, method 10: [0.0524, 0.3339]
    d = Estimate.difference(Estimate.accuracy(56 / 70, 70), Estimate.accuracy(48 / 80, 80))
    assert d.value == pytest.approx(20.0)
    assert (d.lo, d.hi) == pytest.approx((5.24, 33.39), abs=0.01)
    assert d.unit == "points"


def test_accuracy_in_percent_or_fraction_is_the_same_estimate():
    assert Estimate.accuracy(0.62, 200) == Estimate.accuracy(62.0, 200)


def test_text_rounds_to_the_interval_and_states_n():
    assert Estimate.accuracy(0.5, 20).text() == "50 % [30, 70] (n = 20)"
    assert Estimate.accuracy(0.5, 10_000).text() == "50.0 % [49.0, 51.0] (n = 10000)"
    assert Estimate.exact(3, "iterations").text() == "3 iterations"


def test_bootstrap_interval_covers_the_mean_and_is_seeded():
    e = CL.bootstrap([10, 12, 14, 16])
    assert e.lo < e.value == 13 < e.hi
    assert e == CL.bootstrap([10, 12, 14, 16])


@pytest.mark.parametrize(
    ("acc", "n", "verdict"),
    [
        (0.30, 500, Verdict.REPRODUCED),
        (0.05, 500, Verdict.NOT_REPRODUCED),
        (0.12, 20, Verdict.INCONCLUSIVE),
    ],
)
def test_decide_above_threshold_uses_the_whole_interval(acc, n, verdict):
    d = CL.decide(ID, Estimate.accuracy(acc, n), paper="above 10 %", above=10)
    assert d.verdict is verdict
    assert (d.why != "") == (verdict is Verdict.INCONCLUSIVE)


def test_decide_near_a_paper_value_with_tolerance():
    e = Estimate.accuracy(0.80, 500)  # [76.3, 83.3]
    assert CL.decide(ID, e, paper=82.7, near=82.7).verdict is Verdict.REPRODUCED
    assert CL.decide(ID, e, paper=86.0, near=86.0).verdict is Verdict.NOT_REPRODUCED
    assert CL.decide(ID, e, paper=86.0, near=86.0, tolerance=3).verdict is Verdict.REPRODUCED


def test_decide_without_a_number_is_untestable():
    d = CL.decide(ID, Estimate(float("nan"), float("nan"), float("nan")), paper=1.0, below=10)
    assert d.verdict is Verdict.UNTESTABLE


def test_unknown_claim_id_is_refused_with_the_valid_ones():
    with pytest.raises(
        ConfigError, match="unknown claim_id 'bb-pgd-kd-more-resilent'.*bb-pgd-kd-more-resilient"
    ):
        CL.decide("bb-pgd-kd-more-resilent", Estimate.accuracy(0.5, 20), paper=1, above=0)


def _d(v):
    return CL.Decision(ID, v, "", "", "")


@pytest.mark.parametrize(
    ("parts", "verdict"),
    [
        ([Verdict.REPRODUCED, Verdict.REPRODUCED], Verdict.REPRODUCED),
        ([Verdict.REPRODUCED, Verdict.NOT_REPRODUCED], Verdict.PARTLY),
        ([Verdict.REPRODUCED, Verdict.INCONCLUSIVE], Verdict.INCONCLUSIVE),
        ([Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE], Verdict.PARTLY),
        ([Verdict.PARTLY, Verdict.REPRODUCED], Verdict.PARTLY),
        ([Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE], Verdict.NOT_REPRODUCED),
        ([Verdict.INCONCLUSIVE, Verdict.UNTESTABLE], Verdict.INCONCLUSIVE),
        ([Verdict.REPRODUCED, Verdict.UNTESTABLE], Verdict.REPRODUCED),
        ([Verdict.UNTESTABLE], Verdict.UNTESTABLE),
        ([], Verdict.UNTESTABLE),
    ],
)
def test_combine(parts, verdict):
    d = CL.combine(ID, [_d(v) for v in parts], rule="every model")
    assert d.verdict is verdict


def test_guards_override_with_their_reason():
    d = _d(Verdict.REPRODUCED)
    far = ModelStatus("resnet20-xnor", 62.8, 82.71, audited=True)
    near = ModelStatus("resnet20-vanilla", 91.0, 92.46, audited=True)
    g = CL.guarded(d, [far, near])
    assert g.verdict is Verdict.INCONCLUSIVE and "19.9 points below" in g.why
    assert "the comparison alone says reproduced" in g.why
    assert CL.guarded(d, [near]).verdict is Verdict.REPRODUCED
    collapsed = ModelStatus("cifarnet-dns-2", 11.0)
    assert "collapsed" in CL.guarded(d, [collapsed]).why
    masked = ModelStatus(
        "resnet20-xnor", 82.0, 82.71, masking=("white-box beats gradient-free",), audited=True
    )
    assert CL.guarded(d, [masked]).verdict is Verdict.REPRODUCED  # not a robustness claim
    g = CL.guarded(d, [masked], robustness=True)
    assert g.verdict is Verdict.INCONCLUSIVE and "gradient masking suspected" in g.why
    g = CL.guarded(d, [ModelStatus("m", 91.0, 92.0)], robustness=True)
    assert "not audited" in g.why
    g = CL.guarded(d, [near], missing=["resnet56-xnor"])
    assert g.verdict is Verdict.UNTESTABLE and "resnet56-xnor" in g.why


def test_catalogue_holds_every_claim_once():
    cat = CL.claim_catalogue()
    assert len(cat) == 136 and cat.index.is_unique
    assert set(cat["paper"]) == {"breakingbed", "galloway", "cheng", "zhao"}


def test_decisions_frame_and_counts():
    ds = [
        CL.decide(ID, Estimate.accuracy(0.3, 500), paper="x", above=10),
        CL.decide("gw-advtraining-helps", Estimate.accuracy(0.3, 20), paper="x", above=25),
    ]
    df = CL.decisions_frame(ds)
    assert list(df.columns) == CL.SCOREBOARD_COLUMNS
    assert df["statement"].str.len().min() > 10  # from the catalogue, not retyped
    counts = CL.verdict_counts(df)
    assert list(counts.columns) == ["paper", *[str(v) for v in Verdict], "claims"]
    assert counts.set_index("paper").loc["all", "claims"] == 2
    with pytest.raises(ValueError, match="decided twice"):
        CL.decisions_frame(ds + ds[:1])
    assert isinstance(df, pd.DataFrame)
