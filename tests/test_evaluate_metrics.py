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
        }
        for i, a in enumerate(accs)
    ]


def test_boxplot_claims_read_family_medians_and_classes():
    from compression_robustness.studies.breakingbed import sweep

    weak, strong_attack = [0.8, 0.7, 0.6], [0.1, 0.05, 0.0]
    rows = (
        _sweep_rows("v", "vanilla", "deepfool", strong_attack)
        + _sweep_rows("p", "pruned", "deepfool", strong_attack)
        + _sweep_rows("b", "binary", "deepfool", weak)
        + _sweep_rows("v", "vanilla", "cw_l2", [0.5, 0.4, 0.3])
        + _sweep_rows("p", "pruned", "cw_l2", [0.9, 0.85, 0.85])  # strong: never loses half
        + _sweep_rows("b", "binary", "cw_l2", [0.1, 0.1, 0.1])
    )
    df = pd.DataFrame(rows)
    df.loc[df.attack == "cw_l2", "eps"] = 1.0
    classes = metrics.classify_all(metrics.stress_strain_curves(df))
    out = sweep.boxplot_claims(df, classes)
    assert list(out["verdict"]) == ["not supported", "not supported", "not testable here"]
    assert "1 of 2 attacks (deepfool)" in out.loc[0, "this study"]
    assert "p / cw_l2" in out.loc[1, "this study"]


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
