import math

import pandas as pd
import pytest

from compression_robustness.evaluate import metrics


def test_breaking_iteration_is_first_recorded_iteration_below_chance():
    its = [0, 5, 10, 15]
    assert metrics.breaking_iteration(its, [0.9, 0.12, 0.05, 0.01], 0.1) == 10
    assert metrics.breaking_iteration(its, [0.9, 0.10, 0.10, 0.10], 0.1) != 5  # not "at" chance
    assert math.isnan(metrics.breaking_iteration(its, [0.9, 0.5, 0.4, 0.3], 0.1))
    # order of the input does not matter
    assert metrics.breaking_iteration([10, 0, 5], [0.01, 0.9, 0.05], 0.1) == 5


def test_converged_level_averages_the_tail():
    its = list(range(0, 101, 10))
    vals = [1.0] * 8 + [0.2, 0.4, 0.6]  # iterations 80, 90, 100 form the last 20%
    assert metrics.converged_level(its, vals, 0.2) == pytest.approx(0.4)


def test_curve_summary_uses_the_mean_curve_and_reports_rerun_range():
    rows = []
    for seed, accs in enumerate([[0.9, 0.08, 0.02], [0.9, 0.15, 0.03]]):
        for it, a in zip([0, 5, 10], accs, strict=True):
            rows.append(
                dict(
                    model="m",
                    seed=seed,
                    iterations=it,
                    accuracy=a,
                    loss=1 + it / 10,
                    clean_accuracy=0.92,
                    n_examples=100,
                )
            )
    s = metrics.curve_summary(pd.DataFrame(rows), chance=0.1).iloc[0]
    assert s.breaking_iteration == 10  # mean at 5 is 0.115, above chance
    assert (s.breaking_iteration_min, s.breaking_iteration_max) == (5, 10)
    assert s.reruns == 2 and s.clean_accuracy == 0.92


def test_strain_is_the_relative_accuracy_drop():
    assert metrics.strain(0.8, 0.2) == pytest.approx(0.75)
    assert metrics.strain(0.5, 0.5) == 0
    assert math.isnan(float(metrics.strain(0.0, 0.0)))


@pytest.mark.parametrize(
    "strains, expected",
    [
        ([0.85, 0.95, 1.0], "brittle"),  # breaks at the smallest stress
        ([0.05, 0.2, 0.45], "strong"),  # never loses half
        ([0.1, 0.5, 0.9], "ductile"),  # gives way gradually
        ([0.79, 0.9, 1.0], "ductile"),
    ],
)
def test_stress_strain_classification_rule(strains, expected):
    assert metrics.classify_curve([1, 2, 3], strains) == expected
    # the rule sorts by stress first
    assert metrics.classify_curve([3, 1, 2], [strains[2], strains[0], strains[1]]) == expected


@pytest.mark.parametrize(
    "axis, reading, n, expected",
    [
        ("iterations", "first", 4, 0),
        ("iterations", "second", 4, 1),
        ("iterations", "converged", 4, 3),  # the longest run
        ("eps", "converged", 4, 0),  # a budget axis breaks "at once": the smallest eps
        ("eps", "second", 1, 0),  # a one-point grid has no second point
    ],
)
def test_readings_pick_the_grid_point(axis, reading, n, expected):
    assert metrics.reading_position(axis, reading, n) == expected


def test_a_bad_reading_or_grid_point_is_refused():
    with pytest.raises(ValueError, match="'last'"):
        metrics.reading_position("iterations", "last", 3)
    with pytest.raises(ValueError, match="outside a curve of 3 points"):
        metrics.classify_curve([1, 2, 3], [0.1, 0.5, 0.9], at=3)


def test_the_reading_decides_a_slow_starting_attack():
    # C&W-like: barely started at sigma = 1, converged by 50 (strain 0.64 -> 0.97)
    strains = [0.64, 0.95, 0.97, 0.97]
    assert metrics.classify_curve([1, 10, 20, 50], strains, at=0) == "ductile"
    assert metrics.classify_curve([1, 10, 20, 50], strains, at=-1) == "brittle"


def _curves(attack, points):
    return pd.DataFrame(
        [
            {"model": m, "attack": attack, "stress": x, "strain": y}
            for m, pts in points.items()
            for x, y in pts
        ]
    )


def test_classify_all_reads_at_the_converged_point_and_readings_count_the_changes():
    pts = {
        "slow": [(1, 0.6), (10, 0.9), (50, 0.95)],  # ductile first, brittle converged
        "fast": [(1, 0.9), (10, 0.95), (50, 1.0)],  # brittle under every reading
        "tough": [(1, 0.1), (10, 0.2), (50, 0.3)],  # strong under every reading
    }
    curves = _curves("cw_l2", pts)
    assert metrics.classify_all(curves)["cw_l2"].to_dict() == {
        "fast": "brittle",
        "slow": "brittle",
        "tough": "strong",
    }
    assert metrics.classify_all(curves, "first")["cw_l2"]["slow"] == "ductile"
    r = metrics.classify_readings(curves).set_index("reading")
    assert list(r.index) == ["first", "second", "converged"]
    assert r.loc["first", ["brittle", "ductile", "strong", "models_changed"]].tolist() == [
        1,
        1,
        1,
        1,
    ]
    assert r.loc["converged", ["brittle", "strong", "models_changed"]].tolist() == [2, 1, 0]
    assert r.loc["first", "read at"] == "1" and r.loc["converged", "read at"] == "50"
    # on an eps axis the converged reading is the smallest budget
    eps = metrics.classify_readings(_curves("fgsm", pts)).set_index("reading")
    assert eps.loc["converged", "read at"] == "1" and eps.loc["converged", "brittle"] == 1


def test_stress_strain_curves_fix_the_other_axes_as_in_the_paper():
    rows = []
    for it in (2, 3):
        for eps in (0.5, 2.0):
            rows.append(
                dict(
                    model="m",
                    arch="a",
                    variant="v",
                    family="f",
                    attack="pgd",
                    eps=eps,
                    iterations=it,
                    population=None,
                    clean_accuracy=0.8,
                    accuracy=0.4 if it == 3 else 0.0,
                )
            )
    curves = metrics.stress_strain_curves(pd.DataFrame(rows))
    assert list(curves["stress"]) == [0.5, 2.0]  # PGD: stress = eps at i = 3
    assert list(curves["strain"]) == pytest.approx([0.5, 0.5])


def _sweep_rows(model: str, family: str, attack: str, accs: list[float]) -> list[dict]:
    """Sweep rows of one model under one attack (stress = iterations), clean accuracy 0.9."""
    return [
        {
            "model": model,
            "arch": "resnet20",
            "variant": model,
            "family": family,
            "attack": attack,
            "eps": float("nan"),
            "population": float("nan"),
            "iterations": i + 1,
            "clean_accuracy": 0.9,
            "accuracy": a,
            "n_examples": 200,
        }
        for i, a in enumerate(accs)
    ]


V, P, B = "resnet20-vanilla", "resnet20-prune-channel", "resnet20-xnor"


def _box_sweep() -> pd.DataFrame:
    weak, strong_attack = [0.8, 0.7, 0.6], [0.1, 0.05, 0.0]
    rows = (
        _sweep_rows(V, "vanilla", "deepfool", strong_attack)
        + _sweep_rows(P, "pruned", "deepfool", strong_attack)
        + _sweep_rows(B, "binary", "deepfool", weak)
        + _sweep_rows(V, "vanilla", "cw_l2", [0.5, 0.4, 0.3])
        + _sweep_rows(P, "pruned", "cw_l2", [0.9, 0.85, 0.85])  # strong: never loses half
        + _sweep_rows(B, "binary", "cw_l2", [0.1, 0.1, 0.1])
    )
    df = pd.DataFrame(rows)
    df.loc[df.attack == "cw_l2", "eps"] = 1.0
    return df


def test_box_plot_evidence_family_medians_pooled_estimates_and_curve_points():
    from compression_robustness.studies.breakingbed import sweep

    df = _box_sweep()
    med = sweep.family_medians(df)
    assert med.loc["deepfool", "binary"] == pytest.approx(1 - 0.7 / 0.9)
    assert med.loc["cw_l2", "pruned"] == pytest.approx(1 - 0.85 / 0.9)
    # pooled over models (weighted by images), each model first averaged over its grid
    rows = df[(df.attack == "deepfool") & df.model.isin([V, P])]
    e = sweep.pooled_estimate(rows, retained=False)
    assert e.value == pytest.approx(100 * 0.05) and e.n == 400 and e.lo < e.value < e.hi
    r = sweep.pooled_estimate(df[(df.attack == "deepfool") & (df.model == B)], retained=True)
    assert r.value == pytest.approx(100 * 0.7 / 0.9) and r.unit == "% of clean"
    # C&W's curve is taken at c = 1, one point per stress
    pts = sweep.stress_points(df, "cw_l2")
    assert list(pts[pts.model == P]["stress"]) == [1.0, 2.0, 3.0]


def test_box_plot_claims_are_decided_on_family_medians_and_classes(monkeypatch):
    from compression_robustness.evaluate.claims import Verdict
    from compression_robustness.studies.breakingbed import claims as BB
    from compression_robustness.studies.paper import BREAKINGBED_TABLE1

    zoo = pd.DataFrame(
        [
            {
                "model": m,
                "accuracy": BREAKINGBED_TABLE1[tuple(m.split("-", 1))]["accuracy"] / 100,
                "memory_mb": 1.0,
                "ncc": 40.0,
                "fp_macs": 40e6,
                "binary_macs": 0,
            }
            for m in (V, P, B)
        ]
    )
    tables = {"sweep": _box_sweep(), "zoo": zoo}

    def fake(profile, chapter):
        if chapter not in tables:
            raise FileNotFoundError(chapter)
        return tables[chapter].copy()

    class NoFlags(dict):  # an audit that found no gradient masking
        def __contains__(self, key):
            return True

    monkeypatch.setattr(BB, "load_table", fake)
    monkeypatch.setattr(BB, "audit_flags", lambda profile: NoFlags())
    monkeypatch.setattr(BB, "WEAK_ATTACKS", ("cw_l2",))  # as C&W was before its version 2
    out = {d.claim_id: d for d in BB.decisions("cpu")}
    # binary retains more than vanilla and pruned under DeepFool, not under C&W (too weak)
    d = out["bb-abstract-bnn-resilient"]
    assert d.verdict is Verdict.INCONCLUSIVE  # reproduced parts beside undecided ones
    assert "2 of 4 parts reproduced" in d.ours and "too weak" in d.why
    # the pruned model's C&W curve is strong, but C&W is known to be too weak to show it
    d = out["bb-abstract-vanilla-pruned-susceptible"]
    assert d.verdict is Verdict.INCONCLUSIVE and "resnet20-prune-channel / C&W: strong" in d.ours
    # no distilled model in this sweep
    assert out["bb-abstract-kd-strong-except-cw"].verdict is Verdict.UNTESTABLE


def test_stress_strain_figure_puts_every_architecture_in_the_same_panels():
    from compression_robustness.studies.breakingbed import figures as plots

    rows = [
        {
            "model": f"{a}-{v}",
            "arch": a,
            "variant": v,
            "family": v,
            "attack": atk,
            "stress": s,
            "strain": 0.1 * s,
            "accuracy": 0.5,
        }
        for a, variants in (("resnet20", ["vanilla", "xnor"]), ("resnet56", ["vanilla"]))
        for v in variants
        for atk in ("fgsm", "deepfool")
        for s in (1, 2, 4)
    ]
    fig = plots.stress_strain(pd.DataFrame(rows))
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("resnet")]
    assert sorted(ln.get_label() for ln in lines) == [
        "resnet20 vanilla",
        "resnet20 xnor",
        "resnet56 vanilla",
    ]
    styles = {ln.get_label(): ln.get_linestyle() for ln in lines}
    assert styles["resnet20 vanilla"] == styles["resnet20 xnor"] != styles["resnet56 vanilla"]
    single = plots.stress_strain(pd.DataFrame(rows), "resnet20")
    assert {ln.get_label() for ln in single.axes[0].get_lines()} >= {"vanilla", "xnor"}
