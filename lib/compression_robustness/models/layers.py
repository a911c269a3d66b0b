"""Layers shared by the architectures."""

from __future__ import annotations

import torch
from torch import nn


class Normalize(nn.Module):
    """Per-channel ``(x - mean) / std``; the same arithmetic ART's preprocessing uses."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std
