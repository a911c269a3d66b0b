"""Galloway et al.'s claims decided by the claims engine: on the committed cpu results
(every claim once, verdicts from the fixed set, intervals), on synthetic tables where the
verdict must flip, and on profiles without results."""

from __future__ import annotations

import pandas as pd
import pytest

from compression_robustness.evaluate import claims as CL
from compression_robustness.evaluate.claims import Verdict
from compression_robustness.studies.galloway import bnn_mnist
from compression_robustness.studies.galloway import claims as G

IDS = list(CL.claim_catalogue().query("paper == 'galloway'")["claim_id"])
#: the claims whose ``ours`` rests on accuracies (each shown with its interval)
ACCURACY = {
    "gw-setup-stochastic-weights",
    "gw-surrogate-transfer",
    "gw-whitebox-robust",
    "gw-whitebox-iterative-single-step",
    "gw-advtraining-helps",
    "gw-blackbox-equal",
}


@pytest.fixture(scope="module")
def cpu():
    return {d.claim_id: d for d in G.decisions("cpu")}


def test_every_claim_is_decided_once_on_cpu(cpu):
    ds = G.decisions("cpu")
    assert sorted(d.claim_id for d in ds) == sorted(IDS) and len(ds) == len(IDS) == 12
    assert all(d.verdict in CL.VERDICTS for d in ds)
    assert {d.chapter for d in ds} == {"bnn_mnist"}
    CL.decisions_frame(ds)  # no claim twice, every id in the catalogue


def test_accuracy_claims_show_their_interval(cpu):
    for cid in ACCURACY:
        d = cpu[cid]
        assert d.verdict is not Verdict.UNTESTABLE, cid
        assert "[" in d.ours and "(n = " in d.ours, (cid, d.ours)
        assert d.rule, cid


def test_cpu_verdicts_respect_the_known_issues(cpu):
    # the black-box claim is judged against the paper's table (33 points between A64 and B64)
    bb = cpu["gw-blackbox-equal"]
    assert "gap 33 points" in bb.paper and "table" in bb.rule
    assert bb.verdict is Verdict.REPRODUCED
    # the cpu profile runs the paper profile's C&W budget (iterations x binary-search
    # steps), so the claims that rest on C&W are decided by the numbers, not held back
    cw = G._params("cpu")
    paper = G._params("paper")
    assert cw["cw_iter"] * cw["cw_binary_search_steps"] >= (
        paper["cw_iter"] * paper["cw_binary_search_steps"]
    )
    for cid in ("gw-setup-stochastic-weights", "gw-whitebox-iterative-single-step"):
        assert "C&W ran" not in cpu[cid].why, cid
        assert cpu[cid].verdict is not Verdict.UNTESTABLE, cid
    # the stochastic-weights claim is not decided on FGSM
    assert "FGSM is single-step and is not used" in cpu["gw-setup-stochastic-weights"].why
    assert "C&W" in cpu["gw-setup-stochastic-weights"].rule
    # robustness claims wait for the gradient-masking audit
    for cid in ("gw-whitebox-robust", "gw-advtraining-helps"):
        assert cpu[cid].verdict is Verdict.INCONCLUSIVE and "not audited" in cpu[cid].why
    # the cpu profile trains PGD with 10 steps: the 40-step setup is the paper profile's
    pgd = cpu["gw-setup-pgd-40-iterations"]
    assert pgd.verdict is Verdict.UNTESTABLE and "paper profile" in pgd.why
    assert cpu["gw-setup-mnist"].verdict is Verdict.REPRODUCED


@pytest.mark.parametrize("profile", ["smoke", "paper"])
def test_profiles_without_results_give_untestable_not_errors(profile, monkeypatch):
    ds = {d.claim_id: d for d in G.decisions(profile)}  # whatever this checkout holds
    assert sorted(ds) == sorted(IDS) and all(d.verdict in CL.VERDICTS for d in ds.values())

    def absent(profile, chapter):
        raise FileNotFoundError(f"data/results/{profile}/{chapter}.parquet")

    monkeypatch.setattr(G, "load_table", absent)  # as on a fresh clone
    ds = {d.claim_id: d for d in G.decisions(profile)}
    assert sorted(ds) == sorted(IDS)
    for cid in ACCURACY:
        assert ds[cid].verdict is Verdict.UNTESTABLE and ds[cid].why, cid
    pgd = ds["gw-setup-pgd-40-iterations"].verdict
    assert pgd is (Verdict.REPRODUCED if profile == "paper" else Verdict.UNTESTABLE)


def test_the_labels_match_the_chapters():
    for m in ("galloway-a64-pgdadv", "galloway-b32", "galloway-a64-fgsmadv", "galloway-s256"):
        assert G.label(m) == bnn_mnist.label(m)
    assert G.short("galloway-b128-seed1") == "B128 (seed 1)"


# --------------------------------------------------------------------------- synthetic
def _fgsm(model, kind, k, eps, acc, n=500, adv="none", seed=0, test=0.97):
    return {
        "model": model, "kind": kind, "k": k, "model_seed": seed, "adversarial_training": adv,
        "attack": "fgsm", "eps": eps, "accuracy": acc, "clean_accuracy": test,
        "test_accuracy": test, "n_examples": n, "target": None,
    }  # fmt: skip


def _bb(target, kind, eps, acc, clean, n=500):
    return {
        "model": target, "target": target, "kind": kind, "k": 64, "model_seed": 0,
        "adversarial_training": "none", "attack": None, "eps": eps, "accuracy": acc,
        "clean_accuracy": clean, "n_examples": n, "sub_rounds": 3,
    }  # fmt: skip


def _cw(model, kind, acc, max_iter, n=50, steps=1):
    return {
        "model": model, "kind": kind, "k": int(model.split("-")[1][1:]), "model_seed": 0,
        "adversarial_training": "none", "attack": "cw_l2", "accuracy": acc, "n_examples": n,
        "max_iter": max_iter, "binary_search_steps": steps, "target": None,
    }  # fmt: skip


def _patch(monkeypatch, rows, flags=None):
    df = pd.DataFrame(rows)
    monkeypatch.setattr(G, "load_table", lambda profile, chapter: df)
    monkeypatch.setattr(G.CL, "audit_flags", lambda profile: flags)


def _decide(cid: str):
    return {d.claim_id: d for d in G.decisions("cpu")}[cid]


@pytest.mark.parametrize(
    ("a", "b", "n", "verdict"),
    [
        (0.80, 0.47, 500, Verdict.REPRODUCED),  # a 33-point gap, as in the paper's table
        (0.60, 0.60, 500, Verdict.NOT_REPRODUCED),  # equally well: unlike the table
        (0.60, 0.58, 20, Verdict.REPRODUCED),  # 20 images cannot exclude 33 points
    ],
)
def test_blackbox_gap_is_compared_with_the_papers_table(monkeypatch, a, b, n, verdict):
    rows = [_bb("galloway-a64", "a", 0.3, a, 0.98, n), _bb("galloway-b64", "b", 0.3, b, 0.93, n)]
    _patch(monkeypatch, rows)
    assert _decide("gw-blackbox-equal").verdict is verdict


@pytest.mark.parametrize(
    ("bb", "clean", "n", "verdict"),
    [
        (0.40, 0.98, 500, Verdict.REPRODUCED),
        (0.97, 0.98, 500, Verdict.NOT_REPRODUCED),
        (0.85, 0.95, 20, Verdict.INCONCLUSIVE),
    ],
)
def test_surrogate_transfer_flips_with_the_drop(monkeypatch, bb, clean, n, verdict):
    _patch(monkeypatch, [_bb("galloway-a64", "a", 0.3, bb, clean, n)])
    assert _decide("gw-surrogate-transfer").verdict is verdict


def _ab_rows(b_acc, a_acc, n=500):
    return [_fgsm("galloway-a64", "a", 64, e, a_acc, n) for e in (0.1, 0.3)] + [
        _fgsm("galloway-b64", "b", 64, e, b_acc, n, test=0.93) for e in (0.1, 0.3)
    ]


def test_whitebox_robustness_waits_for_the_audit_then_follows_the_comparison(monkeypatch):
    # no audit table: inconclusive whatever the comparison says
    _patch(monkeypatch, _ab_rows(0.70, 0.20))
    d = _decide("gw-whitebox-robust")
    assert d.verdict is Verdict.INCONCLUSIVE and "not audited" in d.why
    assert "the comparison alone says reproduced" in d.why
    # audited, nothing flagged: B clearly above A reproduces, clearly below does not
    clean = {"galloway-a64": (), "galloway-b64": ()}
    _patch(monkeypatch, _ab_rows(0.70, 0.20), clean)
    assert _decide("gw-whitebox-robust").verdict is Verdict.REPRODUCED
    _patch(monkeypatch, _ab_rows(0.20, 0.70), clean)
    assert _decide("gw-whitebox-robust").verdict is Verdict.NOT_REPRODUCED
    # 20 images and a one-point gap decide nothing
    _patch(monkeypatch, _ab_rows(0.51, 0.50, n=20), clean)
    assert _decide("gw-whitebox-robust").verdict is Verdict.INCONCLUSIVE
    # the audit flags B64: inconclusive again, naming the check
    _patch(
        monkeypatch, _ab_rows(0.70, 0.20), {"galloway-a64": (), "galloway-b64": ("zero_gradient",)}
    )
    d = _decide("gw-whitebox-robust")
    assert d.verdict is Verdict.INCONCLUSIVE and "zero_gradient" in d.why


def test_cw_claims_stay_inconclusive_until_cw_runs_the_paper_profiles_budget(monkeypatch):
    """The budget is iterations per constant times constants: the paper profile's."""
    audited = {"galloway-s64": (), "galloway-b64": ()}
    rows = [_cw("galloway-s64", "s", 0.70, 50), _cw("galloway-b64", "b", 0.07, 50)]
    _patch(monkeypatch, rows, audited)
    d = _decide("gw-setup-stochastic-weights")
    assert d.verdict is Verdict.INCONCLUSIVE and "C&W ran 50 Adam iterations for each of 1" in d.why
    need = G._params("paper")["cw_iter"]
    steps = G._params("paper")["cw_binary_search_steps"]
    assert steps > 1  # the paper profile searches the constant
    rows = [_cw("galloway-s64", "s", 0.70, need, 500), _cw("galloway-b64", "b", 0.07, need, 500)]
    _patch(monkeypatch, rows, audited)  # the paper's iterations, but one constant
    assert _decide("gw-setup-stochastic-weights").verdict is Verdict.INCONCLUSIVE
    rows = [
        _cw("galloway-s64", "s", 0.70, need, 500, steps),
        _cw("galloway-b64", "b", 0.07, need, 500, steps),
    ]
    _patch(monkeypatch, rows, audited)
    assert _decide("gw-setup-stochastic-weights").verdict is Verdict.REPRODUCED
    rows = [
        _cw("galloway-s64", "s", 0.07, need, 500, steps),
        _cw("galloway-b64", "b", 0.70, need, 500, steps),
    ]
    _patch(monkeypatch, rows, audited)
    assert _decide("gw-setup-stochastic-weights").verdict is Verdict.NOT_REPRODUCED


def test_seed_estimate_carries_the_spread_over_seeds():
    one = G.seed_estimate([0.5], 500)
    three = G.seed_estimate([0.3, 0.5, 0.7], 500)
    assert one == CL.Estimate.accuracy(0.5, 500)
    assert three.value == pytest.approx(50.0) and three.n == 500
    assert three.lo < one.lo and three.hi > one.hi  # wider than Wilson alone
