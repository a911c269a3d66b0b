"""The pixel_noise chapter: MNIST at 56×56, its architectures, zoo entries and tables."""

import numpy as np
import pandas as pd
import pytest
import torch

from compression_robustness import data as D
from compression_robustness import models as M
from compression_robustness import zoo as Z
from compression_robustness.attacks import pixel_noise as P
from compression_robustness.core.registry import ConfigError
from compression_robustness.models import m56 as MM
from compression_robustness.studies import paper
from compression_robustness.studies.cheng import claims as CL
from compression_robustness.studies.cheng import pixel_noise as S


@pytest.fixture(scope="module", autouse=True)
def _light(one_thread):
    """Every test of this module runs on one thread (see conftest.one_thread)."""


def test_mnist56_is_mnist_with_each_pixel_a_2x2_block():
    try:
        x28, y28 = D.spec("mnist").loader("test")
    except D.DataUnavailableError:
        pytest.skip("MNIST is not available here")
    x56, y56 = D.spec("mnist56").loader("test")
    assert x56.shape == (len(x28), 1, 56, 56) and x56.dtype == np.uint8
    np.testing.assert_array_equal(y56, y28)
    for di in (0, 1):
        for dj in (0, 1):
            np.testing.assert_array_equal(x56[:, :, di::2, dj::2], x28)
    spec = D.spec("mnist56")
    assert spec.shape == (1, 56, 56) and spec.num_classes == 10
    # the perturbations read the 28x28 grid back exactly
    xf = x56[:5].astype(np.float32) / 255
    np.testing.assert_array_equal(P.read_grid(xf), x28[:5, 0])


@pytest.mark.parametrize("arch", sorted(MM.DISPLAY))
def test_architectures_take_one_channel_56x56_and_give_10_logits(arch):
    torch.manual_seed(0)
    m = M.build_arch(arch, 10, 1).eval()
    with torch.no_grad():
        out = m(torch.rand(2, 1, 56, 56))
    assert out.shape == (2, 10) and torch.isfinite(out).all()
    assert arch in MM.ADAPTATIONS


def test_fc_has_one_3136_unit_hidden_layer_and_vgg_a_1x1_head():
    fc = M.build_arch("m56_fc", 10, 1)
    linears = [m for m in fc.modules() if isinstance(m, torch.nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(3136, 3136), (3136, 10)]
    vgg = M.build_arch("m56_vgg19", 10, 1)
    convs = [m for m in vgg.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 16 and convs[0].in_channels == 1  # 16 conv + 3 linear = VGG-19
    assert vgg.classifier[0].in_features == 512


def test_zoo_entries_follow_the_paper_schedule_and_are_not_trained_by_default():
    names = Z.names("mnist56")
    assert {f"{a}-vanilla" for a in MM.DISPLAY} == set(names)
    for n in names:
        entry = Z.ZOO.get(n)
        assert entry.profiles == ()  # trained when the chapter asks, not by `make models`
        for profile in ("smoke", "cpu", "paper"):
            r = entry.schedule(profile)
            assert (r["lr"], r["momentum"], r["schedule"]) == (0.01, 0.9, "step")
            # x0.1 after every epoch: a milestone at the end of each epoch but the last
            assert r["milestones"] == list(range(1, r["epochs"]))
            # "until 99.0% validation accuracy", on images held out of training
            assert r["target_accuracy"] == 0.99 and r["val_subset"] > 0 and r["val_every"] > 0
        cpu = entry.schedule("cpu")
        # the cpu epoch fits in MNIST's 60,000 training images minus the held-out ones
        assert 0 < cpu["train_subset"] <= 60_000 - cpu["val_subset"]
    for profile in ("smoke", "cpu", "paper"):
        assert not [n for n in Z.default_models(profile) if n in names]


def _args(**over):
    base = dict(
        profile="smoke",
        models=["m56_fc-vanilla"],
        depth_models=[],
        perturbations=list(S.PERTURBATIONS),
        attacks=[0, 10],
        repeats=1,
        n_examples=8,
        seed=0,
        batch_size=8,
        compare_models=[],
        compare_attacks=["pointwise"],
        compare_n_examples=2,
        deepfool_max_iter=1,
        boundary_max_iter=1,
        boundary_num_trial=1,
        boundary_sample_size=1,
        pointwise_max_queries=10,
    )
    base.update(over)
    return base


def test_validate_accepts_good_parameters():
    cfg = S.validate_pixel_noise(**_args(attacks=[10, 0, 10], depth_models=["m56_fc-vanilla"]))
    assert cfg.attacks == [0, 10] and cfg.all_models == ["m56_fc-vanilla"]


@pytest.mark.parametrize(
    "over, param",
    [
        ({"models": ["resnet20-vanilla"]}, "models"),
        ({"models": []}, "models"),
        ({"depth_models": ["nope"]}, "depth_models"),
        ({"perturbations": ["salt"]}, "perturbations"),
        ({"edge_reading": "twice"}, "edge_reading"),
        ({"attacks": [10]}, "attacks"),
        ({"attacks": [0, -1]}, "attacks"),
        ({"attacks": [0, 1.5]}, "attacks"),
        ({"repeats": 0}, "repeats"),
        ({"n_examples": 0}, "n_examples"),
        ({"compare_attacks": ["cw"]}, "compare_attacks"),
        ({"compare_n_examples": 9}, "compare_n_examples"),
        ({"boundary_max_iter": 0}, "boundary_max_iter"),
        ({"pointwise_max_queries": -3}, "pointwise_max_queries"),
        ({"profile": "laptop"}, "profile"),
    ],
)
def test_validate_names_the_bad_parameter(over, param):
    name = param
    with pytest.raises(ConfigError, match=f"`{name}`"):
        S.validate_pixel_noise(**_args(**over))


def _curves(
    acc_at_200: dict[str, dict[str, float]], clean: float = 0.98, n: int = 100
) -> pd.DataFrame:
    """A synthetic noise table: linear curves from ``clean`` at k=0 to the given value."""
    rows = []
    for model, per in acc_at_200.items():
        for pert, a in per.items():
            for k in (0, 10, 40, 100, 200):
                for rep in (0, 1):
                    rows.append(
                        {
                            "model": model,
                            "label": S.model_label(model),
                            "perturbation": pert,
                            "k": k,
                            "repeat": rep,
                            "accuracy": clean + (a - clean) * k / 200 + 0.01 * rep,
                            "mean_changed": float(k),
                            "n_examples": n,
                        }
                    )
    return pd.DataFrame(rows)


PERTS = list(S.PERTURBATIONS)


def test_table1_and_resilience_average_repeats_and_quote_the_paper():
    df = _curves({"m56_resnet50-vanilla": dict.fromkeys(PERTS, 0.5)})
    t = S.table1(df, paper.CHENG_HU_TABLE1)
    row = t[(t["model"] == "ResNet-50") & (t["perturbation"] == "WtB")].iloc[0]
    assert row["k=200"] == pytest.approx(50.5) and row["k=0"] == pytest.approx(98.5)
    assert row["paper k=200"] == paper.CHENG_HU_TABLE1[("ResNet-50", "WtB", 200)]
    assert row["paper k=40"] == 87.93  # Table 1, ResNet-50, 40 attacks, WtB
    no_paper = S.table1(df, {})  # without paper values, no paper columns
    assert not [c for c in no_paper.columns if c.startswith("paper")]
    r = S.resilience(df)
    assert (r["kmax"] == 200).all()
    assert r["rel_at_kmax"].iloc[0] == pytest.approx(0.505 / 0.985)


def test_claims_hold_and_fail_as_the_curves_say(monkeypatch):
    """The paper's claims on ranking and depth, decided by the claims engine
    (studies/cheng/claims.py) from synthetic curves, every model audited."""
    good = {
        "m56_vgg19-vanilla": dict.fromkeys(PERTS, 0.8),
        "m56_resnet50-vanilla": dict.fromkeys(PERTS, 0.6),
        "m56_resnet50v2-vanilla": dict.fromkeys(PERTS, 0.6),
        "m56_fc-vanilla": dict.fromkeys(PERTS, 0.6),
        "m56_efficientnet_b1-vanilla": dict.fromkeys(PERTS, 0.3),
        "m56_resnet18-vanilla": dict.fromkeys(PERTS, 0.2),
        "m56_resnet34-vanilla": dict.fromkeys(PERTS, 0.45),
        "m56_resnet101-vanilla": dict.fromkeys(PERTS, 0.7),
    }
    ids = ("ch-vgg19-best", "ch-efficientnet-bottom", "ch-abstract-depth-improves")

    def verdicts(curves):
        table = _curves(curves, n=10_000)
        monkeypatch.setattr(CL, "load_table", lambda profile, chapter: table)
        monkeypatch.setattr(CL, "audit_flags", lambda profile: {m: () for m in curves})
        return {d.claim_id: str(d.verdict) for d in CL.decisions("cpu") if d.claim_id in ids}

    assert verdicts(good) == dict.fromkeys(ids, "reproduced")
    bad = {
        **good,
        "m56_vgg19-vanilla": dict.fromkeys(PERTS, 0.1),
        "m56_efficientnet_b1-vanilla": dict.fromkeys(PERTS, 0.9),  # now the best
        "m56_resnet34-vanilla": dict.fromkeys(PERTS, 0.7),  # 34 beats 50: not monotone
    }
    assert verdicts(bad) == {
        "ch-vgg19-best": "not reproduced",
        "ch-efficientnet-bottom": "not reproduced",
        "ch-abstract-depth-improves": "partly reproduced",  # 18->34 and 50->101 still rise
    }
    # without the models a claim needs, it is not tested
    del good["m56_resnet101-vanilla"], good["m56_fc-vanilla"]
    assert set(verdicts(good).values()) == {"untestable here"}


def test_table2_reports_changed_pixels_of_attacks_and_perturbations():
    noise = _curves({"m56_fc-vanilla": dict.fromkeys(PERTS, 0.49)})
    cmp = pd.DataFrame(
        [
            {
                "model": "m56_fc-vanilla",
                "label": "FC",
                "attack": "pointwise",
                "success": s,
                "changed_pixels": px,
                "l2": 1.0,
                "n_attacked": 3,
                "queries_per_image": 100.0,
            }
            for s, px in ((True, 10), (True, 20), (False, 0))
        ]
    )
    t = S.table2(cmp, noise).set_index("attack")
    assert t.loc["Pointwise", "median changed pixels"] == 15
    assert t.loc["Pointwise", "success (%)"] == pytest.approx(66.7)
    wtb = t.loc["WtB, k=200 (model-agnostic)"]
    assert wtb["mean changed pixels"] == 200 and wtb["predictions per image"] == 0
    assert wtb["success (%)"] == pytest.approx(100 * (1 - 0.495 / 0.985), abs=0.1)
