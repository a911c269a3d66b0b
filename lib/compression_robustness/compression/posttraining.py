"""Post-training compression of any CNN, without fine-tuning: fixed-point quantisation and
layer-wise magnitude pruning.

These stand in for compressed variants that would need training data to fine-tune (the
ImageNet chapter has no ImageNet training set offline). Every function works on a copy the
caller owns (it edits the model in place and returns it).

**Fixed-point post-training quantisation** (:func:`quantize_model`) reuses the fixed-point
grid of :func:`~compression_robustness.compression.quantize.quantize` (Zhao et al. 2019):

* weights of every ``Conv2d`` and ``Linear`` are rounded to ``bits``-bit *dynamic* fixed
  point: per output channel, the integer bits ``I`` are the fewest that hold the channel's
  largest ``|w|`` (``2**(I-1) > max|w|``), and ``I`` may be zero or negative (more
  fractional bits for channels of small weights). Per-channel integer bits matter for the
  depthwise convolutions of mobile networks, whose channels' ranges differ widely (one
  range per layer cost EfficientNet-Lite0 several points at 8 bits). A grid with ``I`` integer bits is the ``I = 1`` grid scaled by
  ``2**(I-1)``, so the rounding is ``quantize(w / 2**(I-1), bits, 1) * 2**(I-1)``;
  BatchNorm parameters and biases stay in full precision (BN is not folded);
* activations are quantised after every activation function (``ReLU``/``ReLU6``) by an
  :class:`~compression_robustness.compression.quantize.ActivationQuantizer` with
  ``act_int_bits`` integer bits (default 4: ReLU6's range [0, 6] fits in [-8, 8)). It has a
  straight-through gradient, so gradient attacks still see a gradient.

**Magnitude pruning** (:func:`prune_weights`, :func:`prune_channels`) zeroes, in every
prunable convolution, the given fraction of its weights with the smallest ``|w|``
(weight-wise), or of its input channels with the smallest l2 norm ``||W[:, i]||``
(channel-wise). The rate is uniform across layers. The prunable convolutions are those that
mix channels (``groups == 1``: the pointwise and head convolutions of a mobile network, all
convolutions of a ResNet) except the first (the stem); the classifier is never pruned, and
neither are depthwise convolutions, which have one input channel per filter and hold few
of the weights (pruning 30% of their 3x3 kernels as well left EfficientNet-Lite0 at 3%).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from compression_robustness.core.params import check_number
from compression_robustness.core.registry import Registry
from compression_robustness.models.quant import ActivationQuantizer, quantize

ACTIVATIONS = (nn.ReLU, nn.ReLU6)


def weight_int_bits(w: torch.Tensor) -> torch.Tensor:
    """Per output channel (dim 0), the fewest integer bits ``I`` (sign included) with
    ``2**(I-1) > max|w|``; 1 for an all-zero channel."""
    m = w.detach().abs().flatten(1).amax(1).double()
    bits = torch.floor(torch.log2(m.clamp_min(1e-300))) + 2
    return torch.where(m > 0, bits, torch.ones_like(bits)).long()


def quantize_dynamic(w: torch.Tensor, bits: int, int_bits) -> torch.Tensor:
    """Fixed point with ``int_bits`` integer bits (an int, or one per output channel; any
    integer, also <= 0): the ``int_bits=1`` grid of :func:`quantize` scaled by
    ``2**(int_bits - 1)``."""
    ib = torch.as_tensor(int_bits, dtype=torch.float64)
    shift = torch.pow(2.0, ib - 1).to(w.dtype).view(-1, *([1] * (w.dim() - 1)))
    if ib.dim() == 0:
        shift = shift.view(())
    return quantize(w / shift, bits, 1) * shift


@torch.no_grad()
def quantize_model(model: nn.Module, bits: int, act_int_bits: int = 4) -> nn.Module:
    """Quantise weights (dynamic fixed point per layer) and activations (fixed point after
    each ReLU/ReLU6) to ``bits`` bits, in place; returns the model."""
    check_number("bits", bits, min=2, max=32, integer=True)
    check_number("act_int_bits", act_int_bits, min=1, max=bits, integer=True)
    for m in model.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            m.weight.copy_(quantize_dynamic(m.weight, bits, weight_int_bits(m.weight)))
    parents = [(name, m) for name, m in model.named_modules()]
    for _, parent in parents:
        for child_name, child in list(parent.named_children()):
            if isinstance(child, ACTIVATIONS):
                child.inplace = False
                setattr(
                    parent,
                    child_name,
                    nn.Sequential(child, ActivationQuantizer(bits, act_int_bits)),
                )
    return model


def _prunable_convs(model: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    return [(n, m) for n, m in convs[1:] if m.groups == 1]  # never the stem or depthwise


def _check_fraction(fraction: float) -> None:
    check_number("fraction", fraction, min=0, max=1)
    if fraction >= 1:
        raise ValueError(f"cannot prune a fraction of {fraction}: it must be below 1")


@torch.no_grad()
def prune_weights(model: nn.Module, fraction: float) -> nn.Module:
    """Zero the ``fraction`` smallest-``|w|`` weights of every prunable convolution."""
    _check_fraction(fraction)
    for _, conv in _prunable_convs(model):
        w = conv.weight
        k = math.floor(fraction * w.numel())
        if k:
            idx = torch.argsort(w.abs().flatten(), stable=True)[:k]
            w.view(-1)[idx] = 0.0
    return model


@torch.no_grad()
def prune_channels(model: nn.Module, fraction: float) -> nn.Module:
    """Zero the ``fraction`` of input channels with the smallest l2 norm in every prunable
    convolution."""
    _check_fraction(fraction)
    for _, conv in _prunable_convs(model):
        w = conv.weight
        k = math.floor(fraction * w.shape[1])
        if k:
            scores = w.transpose(0, 1).flatten(1).norm(dim=1)
            w[:, torch.argsort(scores, stable=True)[:k]] = 0.0
    return model


def sparsity(model: nn.Module) -> float:
    """Fraction of exact zeros among the weights of the prunable convolutions."""
    convs = _prunable_convs(model)
    zeros = sum(int((c.weight == 0).sum()) for _, c in convs)
    total = sum(c.weight.numel() for _, c in convs)
    return zeros / total if total else 0.0


#: Post-training compression by kind: ``kind -> apply(model, settings)`` (in place), where
#: ``settings`` is the model entry's compression dict (the ImageNet models' entries name
#: their kind and settings; a new kind is one registration here).
POST_TRAINING: Registry[Callable[[nn.Module, dict], nn.Module]] = Registry(
    "post-training compression", param="compression.kind"
)
POST_TRAINING.register("ptq", lambda m, c: quantize_model(m, c["bits"], c["act_int_bits"]))
POST_TRAINING.register("prune-weight", lambda m, c: prune_weights(m, c["fraction"]))
POST_TRAINING.register("prune-channel", lambda m, c: prune_channels(m, c["fraction"]))
