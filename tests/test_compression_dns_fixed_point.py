import pytest
import torch

from compression_robustness.compression.dns import dns_thresholds, dns_update
from compression_robustness.core.registry import ConfigError
from compression_robustness.models.quant import (
    ActivationQuantizer,
    fake_quantize,
    paper_int_bits,
    quantize,
)


def test_fixed_point_rounding_and_clipping_on_hand_cases():
    # 4 bits, 1 integer bit: 3 fractional bits, steps of 1/8, range [-1, 7/8]
    x = torch.tensor([0.0, 0.06, 0.07, 0.1875, 0.5, 0.9, 1.5, -1.0, -2.0, -0.0625])
    q = quantize(x, 4, 1)
    expected = [0.0, 0.0, 0.125, 0.25, 0.5, 0.875, 0.875, -1.0, -1.0, -0.0]
    assert q.tolist() == expected  # 0.1875*8 = 1.5 -> 2 (ties to even); -0.0625*8 = -0.5 -> -0
    # 8 bits, 2 integer bits: steps of 1/64, range [-2, 2 - 1/64]
    assert quantize(torch.tensor([1.99, 3.0, -3.0, 0.01]), 8, 2).tolist() == [
        127 / 64,
        127 / 64,
        -2.0,
        1 / 64,
    ]
    # every output lies on the grid
    r = quantize(torch.randn(1000) * 3, 6, 4)
    assert torch.equal(r * 4, torch.round(r * 4)) and r.min() >= -8 and r.max() <= 8 - 0.25


def test_paper_integer_bits():
    assert [paper_int_bits(b) for b in (4, 8, 6, 12, 16)] == [1, 2, 4, 4, 4]


def test_fake_quantize_is_straight_through_inside_the_range():
    x = torch.tensor([0.3, 0.9, -1.5], requires_grad=True)
    fake_quantize(x, 4, 1).sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0]  # 0.9 and -1.5 lie outside [-1, 7/8]
    assert "bits=4" in repr(ActivationQuantizer(4, 1))


def test_bad_bitwidths_name_the_parameter():
    with pytest.raises(ConfigError, match="`bits`"):
        quantize(torch.zeros(1), 1, 1)
    with pytest.raises(ConfigError, match="`int_bits`"):
        quantize(torch.zeros(1), 4, 5)


def test_dns_masks_follow_the_two_threshold_rule():
    w = torch.tensor([0.05, 0.15, 0.25, 0.35, 0.15, 0.25])
    old = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    new = dns_update(w, old, a=0.1, b=0.3)
    # |w| < a -> 0; a <= |w| < b -> unchanged; |w| >= b -> 1 (spliced back)
    assert new.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    assert old.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]  # not modified in place
    with pytest.raises(ValueError, match="a < b"):
        dns_update(w, old, 0.3, 0.3)


def test_dns_thresholds_bracket_the_density_quantile():
    w = torch.linspace(-1, 1, 1001)
    a, b = dns_thresholds(w, density=0.2, margin=0.1)
    t = (a + b) / 2
    assert a < t < b and t == pytest.approx(0.8, abs=0.01)
    mask = dns_update(w, torch.ones_like(w), a, b)
    # from an all-ones mask only |w| < a = 0.72 is cut: the band keeps its old (kept) state
    assert mask.mean().item() == pytest.approx(1 - a, abs=0.005)
    with pytest.raises(ConfigError, match="`density`"):
        dns_thresholds(w, density=0.0)


def _cifarnet_with_statistics():
    from compression_robustness.models.mnist import CifarNet

    torch.manual_seed(0)
    model = CifarNet()
    model.train()
    with torch.no_grad():  # give the batch norms non-trivial running statistics
        for _ in range(3):
            model(torch.randn(16, 3, 32, 32))
    return model.eval()


@pytest.mark.parametrize("bits", [4, 8, 16])
def test_fixed_point_calibration_preserves_the_float_function(bits):
    from compression_robustness.compression.fixed_point import (
        _conv_bn_pairs,
        calibrate_fixed_point,
    )
    from compression_robustness.models.quant import paper_int_bits

    model = _cifarnet_with_statistics()
    x = torch.randn(32, 3, 32, 32)
    with torch.no_grad():
        before = model(x)
    int_bits = paper_int_bits(bits)
    scales = calibrate_fixed_point(model, x, bits, int_bits)
    with torch.no_grad():
        after = model(x)
    torch.testing.assert_close(after, before, rtol=1e-4, atol=1e-4)
    # every conv's weights now reach the largest fixed-point value at their 99.9% quantile
    top = (2 ** (bits - 1) - 1) / 2 ** (bits - int_bits)
    for conv, _ in _conv_bn_pairs(model):
        q = float(torch.quantile(conv.weight.detach().abs().flatten(), 0.999))
        assert q == pytest.approx(top, rel=1e-5)
    assert len(scales["weight_scales"]) == 8 and scales["activation_scales"][-1] == 1.0
    assert all(s != 1.0 for s in scales["activation_scales"][:-1])


def test_dns_with_dense_ends_masks_only_the_inner_layers():
    from compression_robustness.compression.dns import apply_dns, measured_density
    from compression_robustness.models.mnist import CifarNet
    from compression_robustness.models.trace import weight_layers as _layers

    model = apply_dns(CifarNet(), 0.05, dense_ends=True)
    masked = [hasattr(m, "dns_mask") for m in _layers(model)]
    assert masked == [False] + [True] * 7 + [False]
    n = [m.weight.numel() for m in _layers(model)]
    kept = n[0] + n[-1] + sum(int(m.dns_mask.sum()) for m in _layers(model)[1:-1])
    assert measured_density(model) == kept / sum(n)
    assert 0.05 < measured_density(model) < 0.06
