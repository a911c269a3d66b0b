"""``torch.compile`` in the estimator: the option, the eager fallback, and unchanged results.

Fast tests use Dynamo with the ``eager`` backend (traced, not compiled by Inductor) or a
backend that always fails; the real Inductor compile is ``@pytest.mark.slow`` (a minute or
more on a busy CPU).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from torch import nn

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness.runtime import estimator as E


@pytest.fixture(autouse=True)
def fresh_dynamo():
    """One thread, and no compiled code or counters left over between tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()
    torch.set_num_threads(before)


def small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    ).eval()


@pytest.fixture
def samples():
    s = D.load("mnist_samples20")
    return s.spec, s.x.numpy(), s.y.numpy()


def _pgd(est, x, y, **kw):
    atk = A.create("pgd", est, eps=64, alpha=16, max_iter=4, record_at=[0, 1, 2, 3, 4], **kw)
    adv = atk.generate(x, y)
    return adv, atk.record


def test_compile_is_off_by_default_and_the_env_var_switches_it_on(samples, monkeypatch):
    spec, _, _ = samples
    monkeypatch.delenv(E.COMPILE_ENV, raising=False)
    assert E.make_classifier(small_cnn(), spec).compile_status == "off"
    monkeypatch.setenv(E.COMPILE_ENV, "1")
    assert E.make_classifier(small_cnn(), spec, compile_backend="eager").compile_status == (
        "pending"
    )
    assert E.make_classifier(small_cnn(), spec, compile=False).compile_status == "off"


def test_failing_compile_falls_back_to_eager_with_one_log_line(samples, caplog):
    spec, x, y = samples

    def broken_backend(gm, example_inputs):
        raise RuntimeError("forced compile failure")

    model = small_cnn()
    eager = E.make_classifier(model, spec, batch_size=8, compile=False)
    est = E.make_classifier(model, spec, batch_size=8, compile=True, compile_backend=broken_backend)
    with caplog.at_level(logging.WARNING, logger=E.log.name):
        adv, rec = _pgd(est, x, y)
    assert est.compile_status.startswith("eager fallback:")
    assert "forced compile failure" in est.compile_status
    assert len([r for r in caplog.records if "torch.compile failed" in r.getMessage()]) == 1
    adv_ref, rec_ref = _pgd(eager, x, y)
    np.testing.assert_array_equal(adv, adv_ref)
    assert rec.equals(rec_ref)
    # a later estimator of the same model and backend does not try again
    again = E.make_classifier(model, spec, compile=True, compile_backend=broken_backend)
    assert again.compile_status.startswith("eager fallback:")


def test_traced_path_gives_identical_attacks_and_caps_the_compiled_sizes(samples):
    """Dynamo's ``eager`` backend runs the traced graph without Inductor: results must be
    bit-identical; 20 images in batches of 8 compile sizes 8 and 4 and nothing else."""
    spec, x, y = samples
    model = small_cnn()
    eager = E.make_classifier(model, spec, batch_size=8, compile=False)
    est = E.make_classifier(model, spec, batch_size=8, compile=True, compile_backend="eager")
    adv, rec = _pgd(est, x, y)
    assert est.compile_status == "compiled"
    adv_ref, rec_ref = _pgd(eager, x, y)
    np.testing.assert_array_equal(adv, adv_ref)
    assert rec.equals(rec_ref)
    assert est._compiled.sizes == {8, 4}
    assert not est._compiled.accepts(3) and est._compiled.accepts(8)
    for name, params in [("cw_l2", dict(c=1.0, max_iter=3)), ("deepfool", dict(max_iter=3))]:
        a = A.create(name, est, **params)
        b = A.create(name, eager, **params)
        np.testing.assert_array_equal(a.generate(x, y), b.generate(x, y))
        assert a.record.equals(b.record), name


@pytest.mark.slow
def test_inductor_compiled_attacks_record_the_same_accuracy_as_eager(samples):
    """A real Inductor compile (PGD and C&W share the compiled graph; DeepFool stays eager).

    Tolerance: accuracies within one example (1/20) at every recorded iteration, PGD's mean
    losses within 1e-3 relative, C&W's success rate within one example: compiled kernels
    reorder float sums, which can flip the sign of a near-zero gradient component."""
    spec, x, y = samples
    model = small_cnn()
    eager = E.make_classifier(model, spec, batch_size=20, compile=False)
    est = E.make_classifier(model, spec, batch_size=20, compile=True)
    _, rec = _pgd(est, x, y)
    assert est.compile_status == "compiled"
    _, rec_ref = _pgd(eager, x, y)
    np.testing.assert_allclose(rec["accuracy"], rec_ref["accuracy"], atol=1 / 20 + 1e-9)
    np.testing.assert_allclose(rec["loss"], rec_ref["loss"], rtol=1e-3)
    for name, params in [("cw_l2", dict(c=10.0, max_iter=5)), ("deepfool", dict(max_iter=3))]:
        a = A.create(name, est, record_at=[0, 1, 3], **params)
        b = A.create(name, eager, record_at=[0, 1, 3], **params)
        xa, xb = a.generate(x, y), b.generate(x, y)
        assert np.mean(np.isclose(xa, xb, atol=1e-4)) > 0.99, name
        for col in ("accuracy", "success_rate"):
            np.testing.assert_allclose(a.record[col], b.record[col], atol=1 / 20 + 1e-9)
    assert est.compile_status == "compiled"


def test_binarised_models_stay_eager(samples, caplog):
    from compression_robustness.compression.binary import XNORConv2d

    spec, _, _ = samples
    model = small_cnn()
    model[4] = XNORConv2d.from_conv(model[4])
    with caplog.at_level(logging.WARNING, logger=E.log.name):
        est = E.make_classifier(model, spec, compile=True, compile_backend="eager")
    assert est.compile_status.startswith("eager: binarised")
    assert est._compiled is None
    assert any("not compiling" in r.getMessage() for r in caplog.records)
