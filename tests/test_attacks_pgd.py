import numpy as np
import pytest
import torch

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import models as M
from compression_robustness.core.registry import ConfigError, UnknownNameError
from compression_robustness.runtime import estimator as E


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    model = M.build_arch("resnet20").eval()
    spec = D.spec("cifar10")
    s = D.load("cifar10_samples20")
    return model, spec, s.x.numpy(), s.y.numpy()


def _pgd(est, **kw):
    params = dict(eps=8.0, alpha=2.0, max_iter=15, seed=3, batch_size=7)
    params.update(kw)
    return A.create("pgd", est, **params)


def test_recording_every_5th_equals_separate_runs_with_the_same_start(setup):
    model, spec, x, y = setup
    est = E.make_classifier(model, spec)
    one = _pgd(est, record_at=[0, 5, 10, 15])
    x15 = one.generate(x, y)
    rec = one.record.set_index("iterations")
    for k in (5, 10, 15):
        sep = _pgd(est, max_iter=k, record_at=[k])
        xk = sep.generate(x, y)
        assert sep.record["accuracy"].iloc[0] == rec.loc[k, "accuracy"]
        assert sep.record["loss"].iloc[0] == pytest.approx(rec.loc[k, "loss"], rel=1e-6)
        if k == 15:
            np.testing.assert_array_equal(xk, x15)


def test_pgd_stays_in_the_eps_ball_and_pixel_range(setup):
    model, spec, x, y = setup
    est = E.make_classifier(model, spec)
    adv = _pgd(est, eps=4.0, alpha=1.0).generate(x, y)
    assert np.abs(adv - x).max() <= 4.0 / 255 + 1e-6
    assert adv.min() >= 0.0 and adv.max() <= 1.0
    assert np.abs(adv - x).max() > 3.0 / 255  # it actually moved


def test_pgd_raises_the_loss_over_iterations(setup):
    model, spec, x, y = setup
    est = E.make_classifier(model, spec)
    atk = _pgd(est, record_at=[0, 5, 15])
    atk.generate(x, y)
    loss = atk.record["loss"].to_numpy()
    assert loss[1] > loss[0] and loss[2] > loss[0]


def test_fast_path_matches_arts_generic_path(setup):
    model, spec, x, y = setup
    fast = E.make_classifier(model, spec)
    generic = E.stock_classifier(model, spec)
    a, b = _pgd(fast, record_at=[0, 5, 15]), _pgd(generic, record_at=[0, 5, 15])
    xa, xb = a.generate(x, y), b.generate(x, y)
    # the same arithmetic up to float rounding of near-zero gradient signs
    assert np.mean(np.isclose(xa, xb, atol=1e-6)) > 0.99
    np.testing.assert_allclose(a.record["accuracy"], b.record["accuracy"], atol=0.051)


def test_units_and_bad_parameters(setup):
    model, spec, x, y = setup
    est = E.make_classifier(model, spec)
    atk = _pgd(est, eps=2.0, alpha=0.5)
    assert atk.eps == pytest.approx(2 / 255) and atk.eps_step == pytest.approx(0.5 / 255)
    assert A.pixels_to_unit(255) == 1.0
    with pytest.raises(ConfigError, match="`eps`"):
        _pgd(est, eps=-1.0)
    with pytest.raises(ConfigError, match="`alpha`"):
        _pgd(est, alpha=0.0)
    with pytest.raises(ConfigError, match="`record_at`"):
        _pgd(est, max_iter=5, record_at=[10])
    with pytest.raises(UnknownNameError, match="pgd"):
        A.create("pgdd", est)
