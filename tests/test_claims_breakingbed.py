"""BreakingBED's claims decided through the claims engine: on the committed cpu results,
on the smoke and paper profiles (no results: untestable, never an exception), and on
synthetic tables where the verdict must flip."""

import re

import numpy as np
import pandas as pd
import pytest

from compression_robustness.core import paths
from compression_robustness.evaluate import claims as CL
from compression_robustness.evaluate.claims import Verdict
from compression_robustness.studies import scoreboard
from compression_robustness.studies.breakingbed import claims as BB
from compression_robustness.studies.paper import BREAKINGBED_TABLE1

IDS = [c for c, p in CL.claim_catalogue()["paper"].items() if p == "breakingbed"]
CHAPTERS = {"zoo", "pgd", "stress_strain", "boxplots", "cam", "imagenet"}
INTERVAL = re.compile(r"\[-?[\d.]+, -?[\d.]+\] \(n = \d+\)")
#: claims decided on exact numbers (settings, sizes, counts, single predictions, timings)
EXACT = {c for c in IDS if "-setup-" in c} | {
    "bb-tab1-vary-memory-compute",
    "bb-cam-no-misclassification",
    "bb-imagenet-search-time",
}


@pytest.fixture(scope="module")
def cpu():
    return {d.claim_id: d for d in BB.decisions("cpu")}


def test_every_claim_is_decided_once_on_the_cpu_results(cpu):
    ds = BB.decisions("cpu")
    assert [d.claim_id for d in ds] == IDS and len(IDS) == 58
    assert {d.verdict for d in ds} <= set(Verdict)
    assert {d.chapter for d in ds} <= CHAPTERS
    frame = CL.decisions_frame(ds)  # refuses a claim decided twice
    assert set(frame["verdict"]) <= {str(v) for v in Verdict}


def test_every_accuracy_based_decision_shows_its_interval(cpu):
    for cid, d in cpu.items():
        assert d.rule, cid
        if d.verdict is Verdict.UNTESTABLE:
            assert d.why, cid  # says why
        elif cid not in EXACT:
            assert INTERVAL.search(d.ours), (cid, d.ours)


def test_the_cpu_verdicts_that_do_not_depend_on_the_sample(cpu):
    # the cpu profile runs 50 PGD iterations, not the paper's 1000 (the paper profile does)
    d = cpu["bb-setup-pgd-threat-model"]
    assert d.verdict is Verdict.UNTESTABLE
    assert "i = 50" in d.why and "paper profile follows it" in d.why
    for cid in ("bb-setup-pgd-five-reruns", "bb-setup-kd-temperature-30", "bb-setup-dsp48"):
        assert cpu[cid].verdict is Verdict.REPRODUCED, cid
    # the cpu zoo has ResNet56 vanilla only
    for cid in ("bb-pgd-r56-xnor-never-breaks", "bb-fgsm-r56-xnor-up-to-4", "bb-cam-q3-r56-xnor"):
        assert cpu[cid].verdict is Verdict.UNTESTABLE and "resnet56-xnor" in cpu[cid].why
    # ImageNet: EfficientNet-Lite0 stand-ins, shown as what they are
    d = cpu["bb-imagenet-fgsm-r50-best"]
    assert d.verdict is Verdict.UNTESTABLE and "stand-in" in d.ours and "stand-in" in d.why
    # a claim that a model resists an attack rests on the gradient-masking audit: ResNet20
    # KD and vanilla are audited with no check failed, XNOR is flagged
    flags = BB.audit_flags("cpu")
    assert flags["resnet20-kd"] == () and flags["resnet20-vanilla"] == ()
    assert "not audited" not in cpu["bb-pgd-kd-more-resilient"].why
    assert "adaptive steps do not help" in flags["resnet20-xnor"]


def test_paper_numbers_are_read_from_the_claim_sentences():
    assert BB.stated("bb-pgd-kd-break-15-40", r"i=(\d+)") == [15, 40]
    assert BB.stated("bb-pgd-vanilla-pruned-break-5-10", r"within (\w+) iterations") == [5, 10]
    assert BB.stated("bb-cam-q3-unattacked", r"is (\d+) and (\d+)") == [184, 162]
    assert BB.stated("bb-setup-pgd-threat-model", r"i = (\d+)") == [1000]
    with pytest.raises(ValueError, match="finds no number"):
        BB.stated("bb-cw-all-brittle", r"i=(\d+)")


@pytest.mark.parametrize("profile", ["smoke", "paper"])
def test_other_profiles_give_no_exception(profile):
    # smoke has results only after its chapters ran (make test); paper has none here
    ds = BB.decisions(profile)
    assert [d.claim_id for d in ds] == IDS
    for d in ds:
        assert d.verdict in set(Verdict) and d.rule, d.claim_id
        if d.verdict is Verdict.UNTESTABLE:
            assert d.why, d.claim_id
    if profile == "paper":
        by = {d.claim_id: d for d in ds}
        # the paper profile follows the paper's PGD setting; the cpu profile does not
        assert by["bb-setup-pgd-threat-model"].verdict is Verdict.REPRODUCED
        if not (paths.results_dir("paper") / "sweep.parquet").exists():
            assert by["bb-cw-all-brittle"].verdict is Verdict.UNTESTABLE


def test_each_chapter_has_its_slice_of_the_scoreboard(cpu):
    board = CL.decisions_frame(cpu.values())
    for chapter in CHAPTERS:
        s = scoreboard.chapter_slice(board, chapter)
        assert len(s) == sum(d.chapter == chapter for d in cpu.values()) > 0
        assert not s.isna().any().any()


# --------------------------------------------------------------------------- synthetic tables
def _zoo(models, gap=0.5):
    """A zoo table whose models are ``gap`` points below the paper's clean accuracy."""
    rows = []
    for m in models:
        arch, variant = m.split("-", 1)
        paper = BREAKINGBED_TABLE1.get((arch, variant), {}).get("accuracy", 90.0)
        rows.append(
            {
                "model": m,
                "accuracy": (paper - gap) / 100,
                "memory_mb": 1.0,
                "ncc": 40.0,
                "fp_macs": 40e6,
                "binary_macs": 0,
            }
        )
    return pd.DataFrame(rows)


def _pgd(curves: dict[str, float], n=500, seeds=5):
    """PGD tables: each model falls from 90 % to ``curves[m]`` (its converged accuracy)."""
    rows = []
    for m, level in curves.items():
        for s in range(seeds):
            for it in range(0, 51, 5):
                acc = level + (0.9 - level) * np.exp(-it)
                rows.append(
                    dict(model=m, attack="pgd", eps=2.0, alpha=0.5, iterations=it, seed=s,
                         accuracy=acc, loss=3 - 2 * level, clean_accuracy=0.9, n_examples=n)
                )  # fmt: skip
    return pd.DataFrame(rows)


def _sweep(curves: dict[tuple[str, str], list[float]], n=200):
    """Sweep rows: ``curves[(model, attack)]`` is its accuracy at each stress (clean 0.9)."""
    grid = {"deepfool": ("iterations", [1, 5, 10, 20]), "cw_l2": ("iterations", [1, 10, 20, 50])}
    rows = []
    for (m, attack), accs in curves.items():
        axis, stresses = grid[attack]
        for s, a in zip(stresses, accs, strict=True):
            rows.append(
                {
                    "model": m,
                    "family": BB._family(m),
                    "attack": attack,
                    "eps": 1.0 if attack == "cw_l2" else float("nan"),
                    "population": float("nan"),
                    "iterations": s,
                    "accuracy": a,
                    "clean_accuracy": 0.9,
                    "n_examples": n,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def tables(monkeypatch):
    """Replace the results tables the claims read (absent ones raise FileNotFoundError)."""
    held: dict[str, pd.DataFrame] = {}

    def fake(profile, chapter):
        if chapter not in held:
            raise FileNotFoundError(chapter)
        return held[chapter].copy()

    monkeypatch.setattr(BB, "load_table", fake)
    return held


@pytest.fixture
def audited(monkeypatch):
    """An audit that found no gradient masking on any model."""

    class NoFlags(dict):
        def __contains__(self, key):
            return True

        def get(self, key, default=None):
            return ()

    monkeypatch.setattr(BB, "audit_flags", lambda profile: NoFlags())


def _decide(claim_id):
    return {d.claim_id: d for d in BB.decisions("cpu")}[claim_id]


KD, VAN = "resnet20-kd", "resnet20-vanilla"


@pytest.mark.parametrize(
    ("kd", "vanilla", "n", "verdict"),
    [
        (0.40, 0.15, 500, Verdict.REPRODUCED),  # KD clearly above vanilla
        (0.05, 0.30, 500, Verdict.NOT_REPRODUCED),  # clearly below
        (0.30, 0.29, 20, Verdict.INCONCLUSIVE),  # 20 images, a 1-point gap
    ],
)
def test_kd_more_resilient_flips_with_the_converged_pgd_accuracy(
    tables, audited, kd, vanilla, n, verdict
):
    tables["zoo"] = _zoo([KD, VAN])
    tables["pgd"] = _pgd({KD: kd, VAN: vanilla}, n=n)
    d = _decide("bb-pgd-kd-more-resilient")
    assert d.verdict is verdict, d
    assert INTERVAL.search(d.ours)
    assert "resnet56-kd" in d.why  # the ResNet56 half of the claim is untestable here


def test_a_robustness_claim_waits_for_the_audit(tables, monkeypatch):
    monkeypatch.setattr(BB, "audit_flags", lambda profile: None)  # as before any audit
    tables["zoo"] = _zoo([KD, VAN])
    tables["pgd"] = _pgd({KD: 0.40, VAN: 0.15})
    d = _decide("bb-pgd-kd-more-resilient")  # no audit table: not audited
    assert d.verdict is Verdict.INCONCLUSIVE
    assert "not audited for gradient masking" in d.why and "alone say reproduced" in d.why


def test_a_model_far_below_its_paper_accuracy_cannot_decide(tables, audited):
    tables["zoo"] = _zoo([KD, VAN], gap=8)
    tables["pgd"] = _pgd({KD: 0.40, VAN: 0.15})
    d = _decide("bb-pgd-kd-more-resilient")
    assert d.verdict is Verdict.INCONCLUSIVE and "more than 5 points below" in d.why


def test_breaking_within_five_iterations_is_decided_without_the_audit(tables):
    models = [f"resnet20-{v}" for v in ("vanilla", "prune-channel", "prune-kernel", "prune-weight")]
    tables["zoo"] = _zoo(models)
    tables["pgd"] = _pgd({m: 0.01 for m in models})  # below 10 % by i = 5
    assert _decide("bb-pgd-vanilla-pruned-break-5-10").verdict is Verdict.REPRODUCED
    tables["pgd"] = _pgd({m: 0.60 for m in models})  # never breaks
    assert _decide("bb-pgd-vanilla-pruned-break-5-10").verdict is Verdict.NOT_REPRODUCED


FP = [f"resnet20-{v}" for v in ("vanilla", "kd", "prune-channel", "prune-kernel", "prune-weight")]


@pytest.mark.parametrize(
    ("accs", "verdict"),
    [
        ([0.05, 0.0, 0.0, 0.0], Verdict.REPRODUCED),  # strain 0.94 at the smallest stress
        # brittle where DeepFool has converged (20 iterations: strain 0.94), although not
        # after its first iteration (0.11): the class is read at the converged point
        ([0.80, 0.5, 0.3, 0.05], Verdict.REPRODUCED),
        ([0.80, 0.7, 0.7, 0.6], Verdict.NOT_REPRODUCED),  # strain 0.33 converged: not brittle
    ],
)
def test_deepfool_brittleness_flips_with_the_curve(tables, accs, verdict):
    tables["zoo"] = _zoo(FP)
    tables["sweep"] = _sweep({(m, "deepfool"): accs for m in FP})
    d = _decide("bb-deepfool-brittle-except-r56-xnor")
    assert d.verdict is verdict, d
    assert "resnet56-xnor" in d.why  # the exception itself is untestable here


def test_a_weak_attack_that_does_not_break_a_model_is_no_evidence(tables, monkeypatch):
    monkeypatch.setattr(BB, "WEAK_ATTACKS", ("cw_l2",))  # as C&W was before its version 2
    tables["zoo"] = _zoo(FP)
    tables["sweep"] = _sweep({(m, "cw_l2"): [0.05, 0.0, 0.0, 0.0] for m in FP})
    assert _decide("bb-cw-all-brittle").verdict is Verdict.REPRODUCED  # broken: an upper bound
    tables["sweep"] = _sweep({(m, "cw_l2"): [0.80, 0.7, 0.6, 0.5] for m in FP})
    d = _decide("bb-cw-all-brittle")  # not broken by a C&W known to be too weak
    assert d.verdict is Verdict.INCONCLUSIVE and "too weak" in d.why


def test_pooled_family_comparison_flips(tables, audited):
    models = ["resnet20-vanilla", "resnet20-prune-channel", "resnet20-prune-kernel"]
    tables["zoo"] = _zoo(models)

    def sweep(pruned):
        return _sweep({(m, "deepfool"): [pruned if "prune" in m else 0.6] * 4 for m in models})

    tables["sweep"] = sweep(0.2)  # pruned clearly less robust than vanilla under DeepFool
    d = _decide("bb-discussion-pruned-not-more-robust")
    assert d.verdict is Verdict.REPRODUCED
    tables["sweep"] = sweep(0.85)  # pruned clearly more robust
    assert _decide("bb-discussion-pruned-not-more-robust").verdict is Verdict.NOT_REPRODUCED


def test_absent_tables_give_untestable_with_a_reason(tables):
    for d in BB.decisions("cpu"):  # every table absent
        if "-setup-" not in d.claim_id:
            assert d.verdict is Verdict.UNTESTABLE and d.why, d.claim_id
