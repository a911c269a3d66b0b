"""Fixed-point quantisation of weights and activations.

Zhao et al. ("To compress or not to compress", 2019) quantise both weights and
activations to fixed point with a total bitwidth ``bits`` of which ``int_bits`` are
integer bits (sign included) and ``bits - int_bits`` fractional bits: a value ``x`` becomes

    q(x) = clip(round(x * 2**f), -2**(bits - 1), 2**(bits - 1) - 1) / 2**f,   f = bits - int_bits

so the representable range is ``[-2**(int_bits - 1), 2**(int_bits - 1) - 2**-f]`` in steps
of ``2**-f``. Rounding is to nearest with ties to even (``torch.round``). The paper's
integer bits are 1 at 4 bits, 2 at 8 bits and 4 otherwise (:func:`paper_int_bits`).

For training and attacks the quantiser has a straight-through gradient
(:func:`fake_quantize`): the forward pass is quantised, the backward pass is the identity
inside the representable range and zero outside it.
"""

from __future__ import annotations

import torch
from torch import nn

from compression_robustness.core.params import check_number


def paper_int_bits(bits: int) -> int:
    """Integer bits used by Zhao et al. for a total bitwidth: 1 at 4, 2 at 8, else 4."""
    return {4: 1, 8: 2}.get(int(bits), 4)


def _check(bits: int, int_bits: int) -> None:
    check_number("bits", bits, min=2, max=32, integer=True)
    check_number("int_bits", int_bits, min=1, max=bits, integer=True)


def quantize(x: torch.Tensor, bits: int, int_bits: int) -> torch.Tensor:
    """Round ``x`` to the fixed-point grid of ``bits`` total and ``int_bits`` integer bits."""
    _check(bits, int_bits)
    scale = 2.0 ** (bits - int_bits)
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return torch.clamp(torch.round(x * scale), lo, hi) / scale


class _FakeQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, bits, int_bits):
        scale = 2.0 ** (bits - int_bits)
        lo, hi = -(2 ** (bits - 1)) / scale, (2 ** (bits - 1) - 1) / scale
        ctx.save_for_backward((x >= lo) & (x <= hi))
        return quantize(x, bits, int_bits)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return grad * inside, None, None


def fake_quantize(x: torch.Tensor, bits: int, int_bits: int) -> torch.Tensor:
    """:func:`quantize` with a straight-through gradient (zero outside the range)."""
    _check(bits, int_bits)
    return _FakeQuant.apply(x, bits, int_bits)


class ActivationQuantizer(nn.Module):
    """Quantise activations to fixed point (inserted after each activation function)."""

    def __init__(self, bits: int, int_bits: int):
        super().__init__()
        _check(bits, int_bits)
        self.bits, self.int_bits = bits, int_bits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fake_quantize(x, self.bits, self.int_bits)

    def extra_repr(self) -> str:
        return f"bits={self.bits}, int_bits={self.int_bits}"
