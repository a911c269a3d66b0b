"""The attack registry and unit conversions shared by every attack module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from art.attacks.attack import EvasionAttack

from compression_robustness.core.registry import ConfigError, Registry

PIXEL = 255.0  # 0-255 pixel units -> [0, 1] inputs


def pixels_to_unit(value: float) -> float:
    """Convert a perturbation size in 0-255 pixel units to the [0, 1] input scale."""
    return float(value) / PIXEL


@dataclass(frozen=True)
class AttackInfo:
    """A registry entry: a builder ``(estimator, **params in paper units) -> EvasionAttack``
    and documentation of its strength unit."""

    builder: Callable[..., EvasionAttack]
    eps_unit: str
    description: str
    black_box: bool = False


ATTACKS: Registry[AttackInfo] = Registry("attack")


def register(name: str, info: AttackInfo) -> AttackInfo:
    return ATTACKS.register(name, info)


def normalise_record_at(record_at: Sequence[int] | None, max_iter: int) -> list[int]:
    """Sorted unique iteration counts to record, each within ``[0, max_iter]``."""
    its = sorted({int(i) for i in (record_at or [max_iter])})
    if its and (its[0] < 0 or its[-1] > max_iter):
        raise ConfigError(
            f"parameter `record_at` must lie within [0, max_iter={max_iter}], got {its}"
        )
    return its
