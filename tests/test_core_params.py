import re

import pytest

from compression_robustness import book
from compression_robustness.core import params as config
from compression_robustness.core.registry import ConfigError
from compression_robustness.studies.breakingbed import pgd, sweep
from compression_robustness.zoo import entry as zoo_entry


def test_every_profile_loads_and_names_itself():
    for p in config.PROFILES:
        assert config.load_profile(p)["profile"] == p


def test_paper_profile_holds_the_papers_pgd_settings():
    p = config.load_profile("paper")["pgd"]
    assert p["archs"] == ["resnet20", "resnet56"]
    assert (p["eps"], p["alpha"]) == (2.0, 0.5)  # 0-255 pixel units
    assert p["max_iter"] == 1000 and p["reruns"] == 5 and p["record_every"] == 5
    assert p["n_examples"] is None  # the full CIFAR-10 test set


def test_unknown_profile_is_refused():
    with pytest.raises(ConfigError, match="valid profiles: smoke, cpu, gpu, paper"):
        config.check_profile("laptop")


GOOD = dict(
    profile="smoke",
    dataset="cifar10",
    archs=["resnet20"],
    variants=["vanilla"],
    eps=2.0,
    alpha=0.5,
    max_iter=10,
    record_every=5,
    reruns=2,
    n_examples=64,
    seed=0,
    batch_size=64,
)


def test_validate_pgd_derives_the_record_points():
    cfg = pgd.validate_pgd(**GOOD)
    assert cfg.record_at == [0, 5, 10] and cfg.models == ["resnet20-vanilla"]
    assert cfg.chance == pytest.approx(0.1)
    assert pgd.validate_pgd(**{**GOOD, "max_iter": 12}).record_at == [0, 5, 10, 12]


@pytest.mark.parametrize(
    "override, param",
    [
        ({"eps": -1.0}, "`eps`"),
        ({"eps": float("nan")}, "`eps`"),
        ({"alpha": 0}, "`alpha`"),
        ({"max_iter": 0}, "`max_iter`"),
        ({"max_iter": 2.5}, "`max_iter`"),
        ({"record_every": 20}, "`record_every`"),
        ({"reruns": 0}, "`reruns`"),
        ({"n_examples": -5}, "`n_examples`"),
        ({"n_examples": 20000}, "`n_examples`"),
        ({"extra_eps": [-4.0]}, "`extra_eps`"),
        ({"extra_eps": "4"}, "`extra_eps`"),
        ({"archs": ["resnet99"]}, "`archs`"),
        ({"variants": ["xnorr"]}, "`variants`"),
        ({"profile": "laptop"}, "`profile`"),
        ({"dataset": "cifar100"}, "`dataset`"),
    ],
)
def test_bad_pgd_parameters_fail_before_compute_naming_the_parameter(override, param):
    with pytest.raises(ConfigError) as e:
        pgd.validate_pgd(**{**GOOD, **override})
    assert param in str(e.value)


def test_profiles_table_lists_every_profile_parameter():
    text = book.profiles_markdown()
    for section, params in config.load_profile("cpu").items():
        if section != "profile":
            for key in params:
                assert f"| {section}: `{key}` |" in text
    assert "training of `resnet20-vanilla`" in text


def test_describing_the_profiles_never_trains_anything(isolated_data, monkeypatch):

    def refuse(*a, **k):
        raise AssertionError("profiles_markdown started a training run")

    monkeypatch.setattr(zoo_entry, "train", refuse)
    assert "training of `resnet20-prune-kernel`" in book.profiles_markdown()


def test_paper_profile_holds_breakingbeds_table2_grid_exactly():
    g = config.load_profile("paper")["sweep"]["grid"]
    assert g == {
        "fgsm": {"eps": [2, 4, 8, 16]},
        "pgd": {"eps": [0.1, 0.5, 1.0, 2.0], "iterations": [2, 3, 4, 5]},
        "cw_l2": {"eps": [0.01, 0.1, 1.0, 5.0, 10.0], "iterations": [1, 10, 20, 50]},
        "deepfool": {"iterations": [1, 5, 10, 20]},
        "local_search": {"eps": [8, 16, 32], "iterations": [50, 100, 150, 200]},
        "genattack": {"eps": [8, 12], "iterations": [50, 100, 150, 200], "population": [6, 16]},
    }
    assert config.load_profile("cpu")["sweep"]["grid"] == g  # cpu: same grid, fewer images


@pytest.mark.parametrize(
    "grid, param",
    [
        ({"pgdd": {"eps": [1]}}, "`attack`"),
        ({"fgsm": {"iterations": [1]}}, "`grid.fgsm`"),
        ({"pgd": {"eps": [-1], "iterations": [2]}}, "`grid.pgd.eps`"),
        ({"deepfool": {"iterations": [0]}}, "`grid.deepfool.iterations`"),
        ({}, "`grid`"),
    ],
)
def test_bad_sweep_grids_are_refused_naming_the_parameter(grid, param):
    with pytest.raises(ConfigError) as e:
        sweep.validate_sweep("smoke", "cifar10", ["resnet20-vanilla"], grid, 8, 4, 0, 8)
    assert param in str(e.value)


def test_sweep_local_search_candidates_reach_the_cells_and_are_validated(monkeypatch):
    monkeypatch.setattr(sweep.Z, "checkpoint_sha", lambda name, profile: "0" * 64)
    grid = {"local_search": {"eps": [16], "iterations": [2]}, "fgsm": {"eps": [2]}}
    cfg = sweep.validate_sweep(
        "smoke", "cifar10", ["resnet20-vanilla"], grid, 8, 4, 0, 8, ls_candidates=7
    )
    params = {c["attack"]: c["params"] for c in sweep.sweep_cell_configs(cfg)}
    assert params["local_search"]["max_candidates"] == 7
    assert "max_candidates" not in params["fgsm"]
    with pytest.raises(ConfigError, match="`ls_candidates`"):
        sweep.validate_sweep(
            "smoke", "cifar10", ["resnet20-vanilla"], grid, 8, 4, 0, 8, ls_candidates=0
        )


def test_pgd_without_the_reference_model_is_refused_before_compute():
    with pytest.raises(ConfigError, match="`variants` must include 'resnet20-vanilla'"):
        pgd.validate_pgd(**{**GOOD, "variants": ["prune-filter"]})


def test_each_chapter_gets_its_own_section_and_the_shared_keys():
    flat = config.chapter_parameters("smoke", "stress_strain")
    assert flat["profile"] == "smoke"
    assert "grid" in flat and "anytime_model" in flat  # the sweep and anytime sections
    assert "archs" not in flat  # pgd's
    assert set(config.chapter_parameters("smoke", "boxplots")) == {"profile"} | set(
        config.load_profile("smoke")["sweep"]
    )
    with pytest.raises(ConfigError, match="no section 'nope'"):
        config.chapter_parameters("smoke", "nope")


@pytest.mark.parametrize(
    "value, message",
    [
        (-1.0, "parameter `eps` must be > 0, got -1.0"),
        ("2", "parameter `eps` must be a finite number, got '2'"),
        (None, "parameter `eps` must not be None"),
    ],
)
def test_a_declared_parameter_is_checked_by_its_declaration(value, message):
    specs = {"eps": config.Param(float, "L-inf radius", "0-255", min=0, strict_min=True)}
    with pytest.raises(ConfigError) as e:
        config.check_params(specs, {"eps": value})
    assert message in str(e.value)
    config.check_params(specs, {"eps": 2.0})  # a good value passes
    lst = {"k": config.Param(list, "widths", each=int, choices=(32, 64), nonempty=True)}
    for bad, msg in (([], "non-empty"), ([48], "unknown value(s) [48]"), ("[32]", "a list")):
        with pytest.raises(ConfigError, match=re.escape(msg)):
            config.check_params(lst, {"k": bad})
