"""Contract tests driven by the attack registry: every entry describes itself completely,
builds on a small model and runs on real images, and the sweep reads everything it needs
from the entries (so that a new attack is one file plus its profile values)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness.core.registry import UnknownNameError
from compression_robustness.core.units import Norm, Unit
from compression_robustness.evaluate import metrics
from compression_robustness.runtime import estimator as E

#: a small grid point: every sweep attack runs from what its entry maps this to
POINT = A.SweepPoint(8.0, [1, 2], 6, 0, {"ls_candidates": 8})

#: small, fast parameters (paper units) of the attacks outside the sweep; a new attack
#: outside the sweep needs a row here (a sweep attack runs from :data:`POINT`)
PARAMS = {
    "bim": {"eps": 8, "alpha": 2, "max_iter": 2},
    "ifgsm": {"step": 0.02, "max_iter": 2},
    "ifgm": {"eps": 0.5, "max_iter": 2},
    "pixel_invert": {"k": 5},
    "white_to_black": {"k": 5},
    "black_to_white": {"k": 5},
    "edge_to_altered": {"k": 5},
    "pointwise": {"max_queries": 50},
    "art_pgd": {"eps": 8, "alpha": 2, "max_iter": 2},
    "art_deepfool": {"max_iter": 2},
    "boundary": {"max_iter": 1, "num_trial": 2, "sample_size": 2, "init_size": 10},
}


def params_of(name: str) -> dict:
    spec = A.ATTACKS.get(name)
    return spec.sweep_params(POINT) if spec.in_sweep else PARAMS[name]


@pytest.fixture(scope="module")
def mnist20():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    s = D.load("mnist_samples20")
    est = E.make_classifier(net.eval(), s.spec, batch_size=20)
    return est, s.x[:6].numpy(), s.y[:6].numpy()


def test_every_attack_has_contract_parameters():
    assert sorted(PARAMS) == sorted(A.list_attacks(sweep=False))


@pytest.mark.parametrize("name", A.ATTACKS.names())
def test_every_entry_describes_itself(name):
    spec = A.ATTACKS.get(name)
    assert isinstance(spec.unit, Unit) and isinstance(spec.norm, Norm)
    assert spec.title and spec.description
    if spec.in_sweep:
        axis, fixed = spec.stress
        assert axis in spec.sweep_axes and set(fixed) <= spec.sweep_axes
        assert spec.stress_label
        params = spec.sweep_params(POINT)
        assert isinstance(params, dict) and params
        if "iterations" in spec.sweep_axes:
            assert params["max_iter"] == 2 and params["record_at"] == [1, 2]


@pytest.fixture(scope="module")
def cifar20():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    s = D.load("cifar10_samples20")
    net(s.x[:1])  # materialise the lazy layer
    est = E.make_classifier(net.eval(), s.spec, batch_size=20)
    return est, s.x[:4].numpy(), s.y[:4].numpy()


def _forbid_gradients(monkeypatch, est, name):
    """Any gradient request (ART's API, the fast path, or autograd on the input) fails."""

    def no_gradients(*a, **k):
        raise AssertionError(f"black-box attack {name} asked for a gradient")

    for meth in ("loss_gradient", "class_gradient", "torch_loss_grad"):
        monkeypatch.setattr(est, meth, no_gradients)

    def no_input_grad(module, args):
        if any(isinstance(t, torch.Tensor) and t.requires_grad for t in args):
            no_gradients()

    return est.model.register_forward_pre_hook(no_input_grad)


def _run(name, est, x, y, params, monkeypatch):
    spec = A.ATTACKS.get(name)
    hook = _forbid_gradients(monkeypatch, est, name) if spec.black_box else None
    try:
        atk = A.create(name, est, **params)
        adv = spec.generate(atk, x, y, 10)
    finally:
        if hook is not None:
            hook.remove()
    assert adv.shape == x.shape and adv.dtype == np.float32
    assert 0.0 <= adv.min() and adv.max() <= 1.0
    return adv


@pytest.mark.parametrize("name", A.ATTACKS.names())
def test_every_attack_builds_and_runs_on_real_images(name, mnist20, monkeypatch):
    """On 6 of the 20 real MNIST test images shipped with foolbox; a black-box attack never
    asks the model for a gradient."""
    est, x, y = mnist20
    _run(name, est, x, y, params_of(name), monkeypatch)


@pytest.mark.parametrize("name", A.list_attacks(sweep=True))
def test_every_sweep_attack_runs_a_grid_point_on_cifar10(name, cifar20, monkeypatch):
    """What a sweep cell does: the entry maps a grid point to its builder's parameters."""
    est, x, y = cifar20
    _run(name, est, x, y, params_of(name), monkeypatch)


@pytest.mark.parametrize("white_box", ["pgd", "deepfool"])  # loss gradient; autograd
def test_the_black_box_check_catches_a_gradient(white_box, mnist20, monkeypatch):
    est, x, y = mnist20
    hook = _forbid_gradients(monkeypatch, est, white_box)
    try:
        with pytest.raises(AssertionError, match="asked for a gradient"):
            A.create(white_box, est, **params_of(white_box)).generate(x, y)
    finally:
        hook.remove()


def test_unknown_attacks_are_refused_with_the_valid_names(mnist20):
    with pytest.raises(UnknownNameError) as err:
        A.create("pgdd", mnist20[0])
    assert "`attack`" in str(err.value) and "pgd" in str(err.value)


def test_the_sweep_and_its_figures_read_the_registry():
    sweep = A.list_attacks(sweep=True)
    paper = ["fgsm", "pgd", "cw_l2", "deepfool", "local_search", "genattack"]
    assert sweep[:6] == paper  # BreakingBED's Table 2 order first, any new ones after
    assert {"local_search", "genattack"} <= set(A.list_attacks(sweep=True, black_box=True))
    assert not set(paper[:4]) & set(A.list_attacks(black_box=True))
    assert set(metrics.stress_axes()) == set(sweep)
    assert metrics.stress_axes()["genattack"] == ("iterations", {"eps": 8.0, "population": 16})


def test_bad_specs_are_refused_at_registration():
    with pytest.raises(ValueError, match="unknown sweep axes"):
        A.AttackSpec(lambda e: e, "0-255", "linf", "t", "d", sweep_axes=frozenset({"sigma"}))
    with pytest.raises(ValueError, match="stress axis"):
        A.AttackSpec(lambda e: e, "0-255", "linf", "t", "d", sweep_axes=frozenset({"eps"}))
    with pytest.raises(ValueError):
        A.AttackSpec(lambda e: e, "furlongs", "linf", "t", "d")


def test_a_new_sweep_attack_needs_only_its_entry(monkeypatch):
    """Registering an entry is all the sweep, its metrics and its figures need."""
    from compression_robustness.studies import style
    from compression_robustness.studies.breakingbed import sweep as S

    monkeypatch.setattr(A.ATTACKS, "_items", dict(A.ATTACKS._items))
    monkeypatch.setattr(S.Z, "checkpoint_sha", lambda name, profile: "0" * 64)
    A.register(
        "noise_demo",
        A.AttackSpec(
            A.ATTACKS.get("fgsm").builder,
            unit=Unit.PIXEL_255,
            norm=Norm.LINF,
            title="Noise demo",
            description="a test entry",
            black_box=True,
            sweep_axes=frozenset({"eps"}),
            stress=("eps", {}),
            stress_label="ε (0-255)",
            sweep_params=lambda p: {"eps": p.eps},
        ),
    )
    grid = {"fgsm": {"eps": [2]}, "noise_demo": {"eps": [4, 8]}}
    cfg = S.validate_sweep("smoke", "cifar10", ["resnet20-vanilla"], grid, 8, 2, 0, 8)
    cells = [c for c in S.sweep_cell_configs(cfg) if c["attack"] == "noise_demo"]
    assert [c["params"] for c in cells] == [{"eps": 4.0}, {"eps": 8.0}]
    assert {c["eps_unit"] for c in cells} == {"0-255"}
    assert {c["n_examples"] for c in cells} == {2}  # black-box: the sweep's n_blackbox
    assert A.list_attacks(sweep=True).index("noise_demo") > A.list_attacks(sweep=True).index(
        "genattack"
    )
    assert "noise_demo" in S.black_box_attacks()
    assert metrics.stress_axes()["noise_demo"] == ("eps", {})
    assert style.attack_title("noise_demo") == ("Noise demo", "ε (0-255)")
    with pytest.raises(Exception, match="valid axes"):
        S.validate_sweep(
            "smoke",
            "cifar10",
            ["resnet20-vanilla"],
            {"noise_demo": {"iterations": [1]}},
            8,
            2,
            0,
            8,
        )


def test_the_sweeps_cw_keeps_c_fixed_and_local_search_moves_within_the_ball(mnist20):
    """The sweep's C&W point: ``c`` is its ε axis, so one search step (no binary search) and
    the anytime-exact record; LocalSearch's: moves to a bound of the ε-ball (``p=None``),
    scoring the sweep's ``ls_candidates``."""
    est = mnist20[0]
    cw = A.create("cw_l2", est, **params_of("cw_l2"))
    assert cw.c == POINT.eps and cw.binary_search_steps == 1 and cw.abort_early == 0
    ls = A.create("local_search", est, **params_of("local_search"))
    assert ls.p is None and ls.max_candidates == POINT.options["ls_candidates"]
    assert ls.eps == pytest.approx(POINT.eps / 255)
