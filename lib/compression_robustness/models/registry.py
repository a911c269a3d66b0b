"""The architecture registry.

Every builder takes ``num_classes`` and ``in_channels`` and returns an ``nn.Module`` that
maps *normalised* inputs to logits (normalisation is the estimator's job, see
:mod:`compression_robustness.runtime.estimator`).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from compression_robustness.core.registry import Registry

ARCHS: Registry[Callable[..., nn.Module]] = Registry("architecture", param="arch")


def build_arch(arch: str, num_classes: int = 10, in_channels: int = 3) -> nn.Module:
    return ARCHS.get(arch)(num_classes=num_classes, in_channels=in_channels)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
