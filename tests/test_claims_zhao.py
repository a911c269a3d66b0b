"""Zhao et al.'s claims decided by the claims engine: on the committed cpu results (every
claim once, verdicts from the fixed set, intervals, the known limits of this build), on
synthetic tables where the verdict must flip, and on profiles without results."""

from __future__ import annotations

import pandas as pd
import pytest

from compression_robustness.evaluate import claims as CL
from compression_robustness.evaluate.claims import Verdict
from compression_robustness.studies.zhao import claims as Z

IDS = list(CL.claim_catalogue().query("paper == 'zhao'")["claim_id"])
#: claims whose ``ours`` is not an accuracy (settings, perturbation sizes, weight statistics)
NOT_ACCURACY = {
    "zh-setup-attacks",
    "zh-pruning-smaller-perturbations",
    "zh-quant-smaller-perturbations",
    "zh-quant-cdf-4bit",
    "zh-quant-4bit-like-pruning",
    "zh-summary-quant-fractional-pruning",
}


@pytest.fixture(scope="module")
def cpu():
    return {d.claim_id: d for d in Z.decisions("cpu")}


def test_every_claim_is_decided_once_on_cpu(cpu):
    assert sorted(cpu) == sorted(IDS) and len(IDS) == 37
    assert all(d.verdict in CL.VERDICTS for d in cpu.values())
    assert {d.chapter for d in cpu.values()} == {"transferability"}
    assert all(d.rule and d.paper for d in cpu.values())
    CL.decisions_frame(cpu.values())  # no claim twice, every id in the catalogue


def test_accuracy_claims_show_their_interval(cpu):
    for cid, d in cpu.items():
        if cid in NOT_ACCURACY or d.verdict is Verdict.UNTESTABLE:
            continue
        assert "[" in d.ours and "(n = " in d.ours, (cid, d.ours)


def test_cpu_verdicts_respect_the_known_limits(cpu):
    # the collapsed CifarNet (28.6 % clean) decides nothing
    d = cpu["zh-abstract-transferable"]
    dns2 = [p for p in d.parts if "CifarNet" in p.ours and "dns2 " in p.ours]
    assert dns2 and all(p.verdict is Verdict.INCONCLUSIVE for p in dns2)
    assert "cifarnet-dns2 collapsed (28.6 % clean" in d.why
    # IFGM is inert on LeNet5: its parts are inconclusive, with the reason
    d = cpu["zh-pruning-worse-at-small-density"]
    ifgm = [p for p in d.parts if p.ours.startswith("LeNet5 IFGM")]
    assert ifgm and all(p.verdict is Verdict.INCONCLUSIVE for p in ifgm)
    assert "IFGM is inert on LeNet5" in d.why and "97.8 %" in d.why
    # IFGSM drives CifarNet to 0 % everywhere: two zeros cannot be ordered
    d = cpu["zh-quant-less-effective-s1-s2"]
    sat = [p for p in d.parts if p.ours.startswith("CifarNet IFGSM")]
    assert sat and all(p.verdict is Verdict.INCONCLUSIVE for p in sat)
    assert "saturated" in d.why
    # setups: the cpu profile follows the paper's attack settings and baseline
    assert cpu["zh-setup-attacks"].verdict is Verdict.REPRODUCED
    assert cpu["zh-setup-baselines"].verdict is Verdict.REPRODUCED
    assert "431,080 parameters" in cpu["zh-setup-baselines"].ours
    # one bitwidth above 8 cannot show scenarios 2 and 3 stable above 8 bits
    d = cpu["zh-quant-stable-above-8"]
    assert d.verdict is Verdict.UNTESTABLE and "paper profile" in d.why


@pytest.mark.parametrize("profile", ["smoke", "paper"])
def test_profiles_without_results_give_untestable_not_errors(profile, monkeypatch):
    ds = {d.claim_id: d for d in Z.decisions(profile)}  # whatever this checkout holds
    assert sorted(ds) == sorted(IDS) and all(d.verdict in CL.VERDICTS for d in ds.values())

    def absent(profile, chapter):
        raise FileNotFoundError(f"data/results/{profile}/{chapter}.parquet")

    monkeypatch.setattr(Z, "load_table", absent)  # as on a fresh clone
    ds = {d.claim_id: d for d in Z.decisions(profile)}
    assert sorted(ds) == sorted(IDS)
    for cid, d in ds.items():
        if cid == "zh-setup-attacks":  # every profile uses eps 0.02 for 12 iterations
            assert d.verdict is Verdict.REPRODUCED
        else:
            assert d.verdict is Verdict.UNTESTABLE and d.why, cid


def test_integer_bits_follow_the_paper():
    assert [Z.integer_bits(b) for b in (4, 6, 8, 16)] == [1, 4, 2, 4]


# --------------------------------------------------------------------------- synthetic
def _row(attack, scenario, model, acc, clean=0.98, n=500, arch="lenet5"):
    base = f"{arch}-base"
    src, tgt = {
        "baseline": (base, base),
        Z.S1: (model, model),
        Z.S2: (base, model),
        Z.S3: (model, base),
    }[scenario]
    v = model.split("-")[1]
    dns = v.startswith("dns")
    return {
        "kind": "transfer", "arch": arch, "attack": attack, "scenario": scenario,
        "source": src, "target": tgt, "compressed_model": model,
        "compression": "dns" if dns else ("fixed_point" if v.startswith("q") else "none"),
        "density": int(v[3:]) / 100 if dns else 1.0,
        "bits": int(v[1:]) if v.startswith("q") else 32, "clean_accuracy": clean,
        "accuracy": acc, "n_examples": n, "step": 0.02, "iterations": 12,
        "mean_abs_perturbation": 0.1, "mean_l2": 4.0,
    }  # fmt: skip


def _patch(monkeypatch, rows):
    df = pd.DataFrame(rows)
    monkeypatch.setattr(Z, "load_table", lambda profile, chapter: df)


def _decide(cid):
    return {d.claim_id: d for d in Z.decisions("cpu")}[cid]


def _harder(sparse, dense, n=500, attack="ifgsm", sparse_clean=0.95):
    return [
        _row(attack, "baseline", "lenet5-base", 0.01, n=n),
        _row(attack, Z.S2, "lenet5-dns20", dense, n=n),
        _row(attack, Z.S2, "lenet5-dns2", sparse, clean=sparse_clean, n=n),
    ]


@pytest.mark.parametrize(
    ("sparse", "dense", "n", "verdict"),
    [
        (0.60, 0.20, 500, Verdict.REPRODUCED),  # the sparsest clearly harder to attack
        (0.20, 0.60, 500, Verdict.NOT_REPRODUCED),  # clearly easier
        (0.50, 0.49, 20, Verdict.INCONCLUSIVE),  # 20 images, one point
        (0.0, 0.0, 500, Verdict.INCONCLUSIVE),  # two saturated zeros
    ],
)
def test_density_trend_flips_with_the_data(monkeypatch, sparse, dense, n, verdict):
    _patch(monkeypatch, _harder(sparse, dense, n))
    d = _decide("zh-summary-pruning-harder-compressed")
    assert d.verdict is verdict
    if sparse == dense == 0.0:
        assert "saturated" in d.why


def test_a_collapsed_model_decides_nothing(monkeypatch):
    # DNS-2 % keeps 28.6 % clean against its baseline's 98 %: more than half of the
    # baseline's accuracy above chance is gone
    _patch(monkeypatch, _harder(0.60, 0.20, sparse_clean=0.286))
    d = _decide("zh-summary-pruning-harder-compressed")
    assert d.verdict is Verdict.INCONCLUSIVE and "lenet5-dns2 collapsed" in d.why


def test_an_inert_ifgm_decides_nothing(monkeypatch):
    rows = _harder(0.60, 0.20, attack="ifgm")
    rows[0] = _row("ifgm", "baseline", "lenet5-base", 0.978, clean=0.986)  # removes 0.8 points
    _patch(monkeypatch, rows)
    d = _decide("zh-summary-pruning-harder-compressed")
    assert d.verdict is Verdict.INCONCLUSIVE and "IFGM is inert on LeNet5" in d.why
    rows[0] = _row("ifgm", "baseline", "lenet5-base", 0.30, clean=0.986)  # an active IFGM
    _patch(monkeypatch, rows)
    assert _decide("zh-summary-pruning-harder-compressed").verdict is Verdict.REPRODUCED


@pytest.mark.parametrize(
    ("q4", "verdict"),
    [
        (0.05, Verdict.REPRODUCED),  # 4 points more accurate: a marginal limit
        (0.50, Verdict.PARTLY),  # 49 points: it limits, but not marginally
        (0.01, Verdict.INCONCLUSIVE),  # equal: the interval covers both outcomes
        (0.00, Verdict.INCONCLUSIVE),  # both at 0 %: saturated
    ],
)
def test_a_marginal_effect_is_decided_on_direction_and_size(monkeypatch, q4, verdict):
    q16 = 0.0 if q4 == 0.0 else 0.01
    rows = [_row("ifgsm", "baseline", "lenet5-base", 0.01)]
    for s in (Z.S2, Z.S3):
        rows += [_row("ifgsm", s, "lenet5-q16", q16), _row("ifgsm", s, "lenet5-q4", q4)]
    _patch(monkeypatch, rows)
    assert _decide("zh-conclusion-quant-harder").verdict is verdict


def test_a_marginal_effect_in_the_wrong_direction_is_not_reproduced(monkeypatch):
    rows = [_row("ifgsm", "baseline", "lenet5-base", 0.01)]
    for s in (Z.S2, Z.S3):
        rows += [_row("ifgsm", s, "lenet5-q16", 0.30), _row("ifgsm", s, "lenet5-q4", 0.05)]
    _patch(monkeypatch, rows)
    d = _decide("zh-conclusion-quant-harder")
    tested = [p for p in d.parts if p.verdict is not Verdict.UNTESTABLE]
    assert d.verdict is Verdict.NOT_REPRODUCED and len(tested) == 2  # no size parts
