"""Class activation maps: the formula by hand, the 0-255 scaling of Q3, the chapter's checks."""

import numpy as np
import pytest
import torch
from torch import nn

from compression_robustness import models, zoo
from compression_robustness.compression import binarize
from compression_robustness.core.registry import ConfigError
from compression_robustness.studies.breakingbed import cam


class Tiny(nn.Module):
    """features = 2x2 average pooling of the 4x4 input (2 channels), then GAP + fc."""

    def __init__(self, w: torch.Tensor, b: torch.Tensor):
        super().__init__()
        self.down = nn.AvgPool2d(2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2, 3)
        with torch.no_grad():
            self.fc.weight.copy_(w)
            self.fc.bias.copy_(b)

    def features(self, x):
        return self.down(x)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def _hand_cam(x: np.ndarray, w: np.ndarray, b: np.ndarray, cls: int | None):
    f = x.reshape(2, 2, 2, 2, 2).mean(axis=(2, 4))  # (K, 2, 2): 2x2 average pooling
    logits = w @ f.mean(axis=(1, 2)) + b
    c = int(np.argmax(logits)) if cls is None else cls
    m = np.tensordot(w[c], f, axes=1)  # sum_k w_ck f_k
    m = 255 * (m - m.min()) / (m.max() - m.min())
    # bilinear 2 -> 4 with align_corners=False: rows/cols 0..3 mix v0, v1 as 1, .75/.25, .25/.75, 0
    up = np.array([[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    return up @ m @ up.T, int(np.argmax(logits))


@pytest.mark.parametrize("cls", [None, 2])
def test_cam_equals_a_hand_computation(cls):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, 2, 4, 4, generator=g)
    w, b = torch.randn(3, 2, generator=g), torch.randn(3, generator=g)
    heat, pred, _ = cam.class_activation_map(Tiny(w, b), x, class_idx=cls)
    expected, expected_pred = _hand_cam(
        x[0].double().numpy(), w.double().numpy(), b.double().numpy(), cls
    )
    assert int(pred[0]) == expected_pred
    np.testing.assert_allclose(heat[0].numpy(), expected, rtol=1e-5, atol=1e-3)


def test_q3_is_the_75th_percentile_of_the_0_255_map():
    heat = torch.linspace(0, 255, 101).view(1, 1, 101)
    assert float(cam.q3(heat)[0]) == pytest.approx(np.percentile(heat.numpy(), 75))
    # the map is scaled to 0-255 whatever the scale of the fc weights
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 2, 4, 4, generator=g)
    w, b = torch.randn(3, 2, generator=g), torch.zeros(3)
    h1, _, raw = cam.class_activation_map(Tiny(w, b), x)
    h2, _, _ = cam.class_activation_map(Tiny(7.5 * w, b), x)
    torch.testing.assert_close(h1, h2, rtol=1e-5, atol=1e-3)
    assert float(h1.min()) >= 0 and float(h1.max()) <= 255
    # the maximum and minimum of the feature-resolution map land on 255 and 0
    m = raw.flatten(1)
    norm = (
        255
        * (m - m.min(1, keepdim=True).values)
        / (m.max(1, keepdim=True).values - m.min(1, keepdim=True).values)
    )
    assert torch.allclose(norm.amax(1), torch.full((3,), 255.0))
    q = cam.q3(h1)
    assert ((q >= 0) & (q <= 255)).all()
    assert cam.to_uint8(h1).dtype == np.uint8


@pytest.mark.parametrize("binary", [False, True])
def test_cam_uses_the_models_real_forward(binary):
    torch.manual_seed(0)
    model = models.build_arch("resnet20")
    if binary:
        binarize(model, kind="xnor")
    model.eval()
    x = torch.rand(4, 3, 32, 32)
    heat, pred, raw = cam.class_activation_map(model, x)
    assert heat.shape == (4, 32, 32) and raw.shape == (4, 8, 8)
    with torch.no_grad():
        assert torch.equal(pred, model(x).argmax(1))


def test_validate_cam_refuses_bad_input_and_never_trains_in_cpu(monkeypatch):
    def no_training(*a, **k):
        raise AssertionError("validate_cam must not train or load a model")

    monkeypatch.setattr(zoo, "get", no_training)
    with pytest.raises(ConfigError, match="zoo model"):
        cam.validate_cam("cpu", ["resnet20-nope"], "automobile", 0, [1, 5], 10, 0, 10)
    with pytest.raises(ConfigError, match="`image_class`"):
        cam.validate_cam("smoke", ["resnet20-vanilla"], "zebra", 0, [1], 10, 0, 10)
    with pytest.raises(ConfigError, match="`deepfool_iters`"):
        cam.validate_cam("smoke", ["resnet20-vanilla"], "automobile", 0, [0], 10, 0, 10)


def test_validate_cam_refuses_a_cpu_model_without_checkpoint(monkeypatch, tmp_path):
    """The cpu profile never trains in the cam chapter: a model whose checkpoint is absent
    (here: every model, in an empty data folder) is refused before anything is loaded."""
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path))
    assert not cam.has_checkpoint("resnet20-vanilla", "cpu")
    with pytest.raises(ConfigError, match="never trains"):
        cam.validate_cam("cpu", ["resnet20-vanilla"], "automobile", 0, [1, 5], 10, 0, 10)
