import numpy as np
import pandas as pd
import pytest

from compression_robustness.core.registry import ConfigError
from compression_robustness.evaluate import audit as AU
from compression_robustness.evaluate import claims as CL
from compression_robustness.studies import audit as S


def _row(attack, correct, **extra):
    c = np.asarray(correct, dtype=bool)
    return {
        "model": extra.pop("model", "m"),
        "attack": attack,
        "accuracy": c.mean(),
        "n_examples": len(c),
        "correct": AU._bits(c),
        "family": "binary",
        "dataset": "cifar10",
        **extra,
    }


def _masked(n=200, nb=100, pgd=0.30, square=0.02):
    """A model that looks robust to PGD and falls to Square Attack (gradient masking)."""
    rng = np.random.default_rng(0)

    def frac(p, k):
        return rng.permutation(np.arange(k) < round(p * k))

    return pd.DataFrame(
        [
            _row("clean", frac(0.8, n)),
            _row("fgsm", frac(0.45, n)),
            _row("pgd", frac(pgd, n)),
            _row("pgd_2x", frac(pgd, n)),
            _row("apgd_ce", frac(pgd, n)),
            _row("square", frac(square, nb)),
            _row("pgd_restarts", frac(pgd, nb)),
            _row("pgd_eps_4", frac(0.1, nb), eps_attack=4 / 255),
            _row("pgd_eps_64", frac(0.0, nb), eps_attack=64 / 255),
            _row("grad", np.ones(n)),
        ]
    )


def test_bits_round_trip():
    m = np.array([True, False, True, True])
    assert (AU._unbits(AU._bits(m)) == m).all()


def test_square_far_below_pgd_is_flagged_and_only_that():
    ch = AU.checks(_masked()).set_index("check")["failed"]
    assert ch["white-box beats gradient-free"] is True or ch["white-box beats gradient-free"]
    assert not ch["iterative beats single-step"]
    assert not ch["more iterations do not help"]
    assert not ch["large eps reaches 0"]
    assert pd.isna(ch["surrogate gradients do not help"])  # no BPDA/EoT row: not applicable
    fl = AU.flags(_masked())
    assert fl.loc[fl["failed"], "check"].tolist() == ["white-box beats gradient-free"]


def test_no_flag_when_pgd_is_the_strongest():
    ch = AU.checks(_masked(pgd=0.05, square=0.6))
    assert not ch["failed"].fillna(False).any()


def test_small_samples_do_not_flag_a_small_gap():
    ch = AU.checks(_masked(n=20, nb=10, pgd=0.3, square=0.2)).set_index("check")["failed"]
    assert not ch["white-box beats gradient-free"]


@pytest.mark.parametrize(
    ("apgd", "n", "flagged"), [(0.10, 200, True), (0.27, 200, False), (0.1, 10, False)]
)
def test_apgd_far_below_pgd_is_flagged(apgd, n, flagged):
    # PGD leaves 30 %; APGD-CE leaves `apgd`: flagged only when the gap is beyond the interval
    df = _masked(n=n, nb=min(n, 100), pgd=0.30, square=0.30)
    k = int(df.loc[df["attack"] == "apgd_ce", "n_examples"].iloc[0])
    df.loc[df["attack"] == "apgd_ce", "correct"] = AU._bits(np.arange(k) < round(apgd * k))
    ch = AU.checks(df).set_index("check")
    assert bool(ch.loc["adaptive steps do not help", "failed"]) is flagged
    assert "apgd_ce" in ch.loc["adaptive steps do not help", "evidence"]


def test_adaptive_check_does_not_apply_without_apgd():
    df = _masked()
    ch = AU.checks(df[df["attack"] != "apgd_ce"]).set_index("check")["failed"]
    assert pd.isna(ch["adaptive steps do not help"])


def test_accuracy_that_stays_up_at_a_huge_eps_is_flagged():
    df = _masked(pgd=0.05, square=0.6)
    df.loc[df["attack"] == "pgd_eps_64", "correct"] = AU._bits(np.arange(100) < 40)
    ch = AU.checks(df).set_index("check")["failed"]
    assert ch["large eps reaches 0"]
    assert ch["accuracy falls with eps"]  # 40 % at 64x after 10 % at 4x


def test_worst_case_is_per_image():
    n = 10
    a = np.arange(n) < 5  # images 0-4 survive PGD
    b = np.arange(n) >= 5  # images 5-9 survive Square
    df = pd.DataFrame(
        [
            _row("clean", np.ones(n)),
            _row("pgd", a),
            _row("square", b),
        ]
    )
    w = AU.worst_case(df).iloc[0]
    assert w["pgd"].value == 50 and w["worst case"].value == 0  # no image survives both


def test_flags_feed_the_claims_engine(tmp_path, monkeypatch):
    from compression_robustness.core import paths

    monkeypatch.setattr(paths, "results_dir", lambda p: tmp_path)
    assert CL.audit_flags("cpu") is None
    AU.flags(_masked()).to_parquet(tmp_path / CL.AUDIT_FLAGS_TABLE)
    assert CL.audit_flags("cpu") == {"m": ("white-box beats gradient-free",)}


BASE = dict(
    profile="cpu",
    models=["resnet20-vanilla"],
    eps_cifar10=2.0,
    eps_mnist=0.1,
    n_white=500,
    n_black=100,
    pgd_iter=20,
    apgd_iter=25,
    square_queries=1000,
    restarts=5,
    eps_multipliers=[4, 16, 64],
    eot_samples=8,
    eval_passes=5,
    seed=0,
    batch_size=250,
)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"n_black": 600}, "`n_black`"),
        ({"models": ["resnet20-vanila"]}, "resnet20-vanilla"),
        ({"eps_cifar10": 0.0}, "`eps_cifar10`"),
        ({"eps_mnist": 2.0}, "`eps_mnist`"),
        ({"pending": ["resnet20-vanilla"]}, "both list"),
        ({"profile": "laptop"}, "profile"),
        ({"n_black_imagenet": 60, "n_white_imagenet": 50}, "`n_black_imagenet`"),
        ({"eps_imagenet": 0.0}, "`eps_imagenet`"),
        ({"models": ["efficientnet_lite1"]}, "efficientnet_lite0"),
        ({"models": ["efficientnet_lite0"], "n_white_imagenet": 5000}, "`n_white_imagenet`"),
    ],
)
def test_bad_input_is_one_clear_error(change, match):
    with pytest.raises(ConfigError, match=match):
        S.validate_audit(**{**BASE, **change})


def test_baselines_of_each_family():
    assert AU.baseline_of("resnet20-xnor") == "resnet20-vanilla"
    assert AU.baseline_of("resnet20-vanilla") is None
    assert AU.baseline_of("galloway-b64") == "galloway-a64"
    assert AU.baseline_of("lenet5-q8") == "lenet5-base"
    assert AU.is_stochastic("galloway-s64") and not AU.is_stochastic("galloway-b64")


def test_imagenet_models_are_audited_with_their_own_budget():
    cfg = S.validate_audit(
        **{**BASE, "models": ["efficientnet_lite0-ptq8", "resnet20-vanilla"]},
        eps_imagenet=0.5,
        n_white_imagenet=48,
        n_black_imagenet=16,
    )
    im = cfg.settings[AU.IMAGENET_DATASET]
    assert (im.n_white, im.n_black, round(im.eps * 255, 6)) == (48, 16, 0.5)
    assert cfg.settings["cifar10"].n_white == BASE["n_white"]
    assert AU.baseline_of("efficientnet_lite0-ptq8") == "efficientnet_lite0"
    assert AU.baseline_of("efficientnet_lite0") is None
    assert not AU.is_stochastic("efficientnet_lite0")
    assert AU.model_family("efficientnet_lite0-ptq8") == "quantised"
    # keyed by the pretrained file and the compression: stable, and distinct per model
    sha = {m: AU.model_sha(m, "cpu") for m in ("efficientnet_lite0", "efficientnet_lite0-ptq8")}
    assert sha["efficientnet_lite0-ptq8"] == AU.model_sha("efficientnet_lite0-ptq8", "smoke")
    assert len(set(sha.values())) == 2 and all(len(v) == 64 for v in sha.values())
