"""Tracing a model: every conv/linear call for one input (costs and pruning read it)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class LayerCall:
    """One call of a conv/linear layer seen while tracing: its name, module and output size."""

    name: str
    module: nn.Module
    positions: int  # output positions per image: H_out * W_out for a conv, 1 for a linear

    @property
    def dense_macs(self) -> int:
        """MACs of this call with every weight present (per image)."""
        return self.module.weight.numel() * self.positions


def trace_layers(model: nn.Module, input_shape: tuple[int, ...] = (3, 32, 32)) -> list[LayerCall]:
    """Run one zero image of ``input_shape`` through ``model`` and record every conv/linear call.

    The model is put in eval mode for the trace (and restored afterwards), so BatchNorm
    statistics are untouched.
    """
    names = {m: n for n, m in model.named_modules()}
    calls: list[LayerCall] = []

    def hook(mod: nn.Module, _inp, out: torch.Tensor) -> None:
        channels = out.shape[1] if isinstance(mod, nn.Conv2d) else out.shape[-1]
        calls.append(LayerCall(names[mod], mod, out.numel() // (out.shape[0] * channels)))

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    was_training = model.training
    param = next(model.parameters())
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=param.device, dtype=param.dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return calls


def weight_layers(model: nn.Module) -> list[nn.Module]:
    """Every conv and linear layer of ``model``, in module order."""
    return [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
