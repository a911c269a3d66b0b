"""Dynamic network surgery (Guo, Yao & Chen, NeurIPS 2016): fine-grained pruning whose
pruned weights can recover.

Each weight keeps a full-precision value ``W`` and a binary mask ``T``; the network uses
``W * T``, but gradients update ``W`` everywhere, so a pruned weight can grow back. After
each update the mask follows the two-threshold rule, with ``a < b``:

    T = 0        if |W| <  a          (cut)
    T unchanged  if a <= |W| < b      (hysteresis band: keep the previous decision)
    T = 1        if |W| >= b          (splice back)

Guo et al. derive the thresholds from the layer's weight statistics; here
``a = (1 - margin) * t`` and ``b = (1 + margin) * t`` around a centre ``t`` that is chosen
so that a target fraction of the layer's weights falls below it (the density knob the
transferability study sweeps), with ``margin = 0.1`` by default.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from compression_robustness.core.params import check_number
from compression_robustness.models.trace import weight_layers


def dns_update(weight: torch.Tensor, mask: torch.Tensor, a: float, b: float) -> torch.Tensor:
    """The new mask from the two-threshold rule (returns a new tensor of 0/1 floats)."""
    if not a < b:
        raise ValueError(f"DNS needs thresholds a < b, got a={a}, b={b}")
    mag = weight.detach().abs()
    new = mask.clone()
    new[mag < a] = 0.0
    new[mag >= b] = 1.0
    return new


def dns_thresholds(
    weight: torch.Tensor, density: float, margin: float = 0.1
) -> tuple[float, float]:
    """Thresholds ``(a, b)`` around the magnitude quantile that keeps ``density`` of weights."""
    check_number("density", density, min=0, max=1, strict_min=True)
    check_number("margin", margin, min=0, max=1, strict_min=True)
    t = float(torch.quantile(weight.detach().abs().flatten().float(), 1.0 - density))
    return (1 - margin) * t, (1 + margin) * t


class DNSConv2d(nn.Conv2d):
    """Conv2d using ``weight * dns_mask`` forward, gradient straight to ``weight``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight + (self.weight * self.dns_mask - self.weight).detach()
        return self._conv_forward(x, w, self.bias)


class DNSLinear(nn.Linear):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight + (self.weight * self.dns_mask - self.weight).detach()
        return F.linear(x, w, self.bias)


def apply_dns(
    model: nn.Module, density: float, margin: float = 0.1, dense_ends: bool = False
) -> nn.Module:
    """Turn every conv/linear layer into a DNS layer whose mask keeps ``density`` of it.

    With ``dense_ends`` the first and the last layer stay dense (no mask): for CifarNet
    they hold 0.3% of the weights, and pruning them like the rest costs most of the
    accuracy (measured on a 64.5% baseline: 21.5% instead of 46.1% right after pruning
    to 5%, with re-estimated batch-norm statistics, before fine-tuning).
    """
    check_number("density", density, min=0, max=1, strict_min=True)
    layers = weight_layers(model)
    for m in layers[1:-1] if dense_ends else layers:
        t = float(torch.quantile(m.weight.detach().abs().flatten(), 1.0 - density))
        m.__class__ = DNSConv2d if isinstance(m, nn.Conv2d) else DNSLinear
        m.register_buffer("dns_mask", (m.weight.detach().abs() >= t).float())
    return model


def dns_hook(density: float, margin: float = 0.1, every: int = 10):
    """``after_step(model)`` for the trainer: the DNS mask update every ``every`` steps."""
    step = {"n": 0}

    def after_step(model: nn.Module) -> None:
        step["n"] += 1
        if step["n"] % every:
            return
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, DNSConv2d | DNSLinear):
                    a, b = dns_thresholds(m.weight, density, margin)
                    m.dns_mask.copy_(dns_update(m.weight, m.dns_mask, a, b))

    return after_step


def measured_density(model: nn.Module) -> float:
    """Fraction of conv/linear weights whose DNS mask is 1 (1.0 without masks)."""
    kept = total = 0
    for m in weight_layers(model):
        mask = getattr(m, "dns_mask", None)
        total += m.weight.numel()
        kept += int(mask.sum()) if mask is not None else m.weight.numel()
    return kept / max(1, total)
