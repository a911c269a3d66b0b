"""The attack registry and unit conversions shared by every attack module."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from art.attacks.attack import EvasionAttack

from compression_robustness.core.registry import ConfigError, Registry
from compression_robustness.core.units import Norm, Unit, to_unit_interval


def pixels_to_unit(value: float) -> float:
    """Convert a perturbation size in 0-255 pixel units to the [0, 1] input scale."""
    return to_unit_interval(value, Unit.PIXEL_255)


@dataclass(frozen=True)
class SweepPoint:
    """One point of a robustness-sweep grid, in the paper's units: the strength ``eps``
    (``None`` for attacks without one), the iteration counts to record, the population
    (GenAttack), the seed, and the sweep's options (e.g. ``ls_candidates``)."""

    eps: float | None
    iterations: list[int]
    population: int | None
    seed: int
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def max_iter(self) -> int | None:
        return max(self.iterations) if self.iterations else None


@dataclass(frozen=True)
class AttackSpec:
    """A registry entry that describes itself.

    ``builder(estimator, **params in the paper's units) -> EvasionAttack``; ``unit`` and
    ``norm`` of its strength; ``black_box`` (queries only, never gradients); ``title`` and
    ``stress_label`` for figures. An attack of BreakingBED's robustness sweep also has its
    ``sweep_axes`` (the grid axes it accepts), ``stress`` (the axis that is the stress of
    the stress-strain curves, and the fixed values of the other axes, Sec. 4.2),
    ``sweep_params`` (a :class:`SweepPoint` -> builder parameters), and whether it records
    every iteration in one run (``anytime``). ``target(y, num_classes)`` gives the target
    labels of a targeted attack (``None``: untargeted).

    ``version`` counts changes of the attack's behaviour: bump it when a change alters what
    the attack returns for the same parameters, so that every result cell naming the attack
    (see :func:`cell_version`) gets a new config hash and is recomputed, never served from
    the store under the new code.
    """

    builder: Callable[..., EvasionAttack]
    unit: Unit
    norm: Norm
    title: str
    description: str
    black_box: bool = False
    anytime: bool = False
    sweep_axes: frozenset[str] = frozenset()
    stress: tuple[str, Mapping[str, float]] | None = None
    stress_label: str = ""
    sweep_params: Callable[[SweepPoint], dict[str, Any]] | None = None
    target: Callable[[np.ndarray, int], np.ndarray] | None = None
    order: int = 100  # place in tables and figures (BreakingBED's Table 2 order first)
    version: int = 1

    def __post_init__(self):
        object.__setattr__(self, "unit", Unit.parse(self.unit, "unit"))
        object.__setattr__(self, "norm", Norm.parse(self.norm, "norm"))
        object.__setattr__(self, "sweep_axes", frozenset(self.sweep_axes))
        if not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"version must be an integer >= 1, got {self.version!r}")
        bad = set(self.sweep_axes) - SWEEP_AXES
        if bad:
            raise ValueError(f"unknown sweep axes {sorted(bad)}; valid: {sorted(SWEEP_AXES)}")
        if self.sweep_axes and (self.stress is None or self.sweep_params is None):
            raise ValueError("a sweep attack needs its stress axis and its sweep_params")
        if self.stress is not None and self.stress[0] not in self.sweep_axes:
            raise ValueError(f"stress axis {self.stress[0]!r} is not one of {self.sweep_axes}")

    @property
    def in_sweep(self) -> bool:
        return bool(self.sweep_axes)

    @property
    def stress_axis(self) -> str | None:
        """The grid axis that is the stress of the stress-strain curves (``None``: not a
        sweep attack)."""
        return None if self.stress is None else self.stress[0]

    @property
    def stress_fixed(self) -> dict[str, float]:
        """The fixed values of the other grid axes on the stress-strain curves."""
        return {} if self.stress is None else dict(self.stress[1])

    def generate(self, attack: EvasionAttack, x: np.ndarray, y: np.ndarray, num_classes: int):
        """Run ``attack``: untargeted on the true labels, or at ``target``'s labels."""
        if self.target is not None:
            return attack.generate(x, y, target=self.target(y, num_classes))
        return attack.generate(x, y)


#: the axes of BreakingBED's Table 2 grid
SWEEP_AXES = frozenset({"eps", "iterations", "population"})

ATTACKS: Registry[AttackSpec] = Registry("attack")


def register(name: str, spec: AttackSpec) -> AttackSpec:
    """Register an attack (timm's ``register_model``)."""
    return ATTACKS.register(name, spec)


def create(name: str, estimator, **params) -> EvasionAttack:
    """The attack ``name`` bound to ``estimator``, parameters in the paper's units (timm's
    ``create_model``); an unknown name is refused with the valid ones listed, and so is a
    parameter the attack does not take."""
    builder = ATTACKS.get(name).builder
    sig = inspect.signature(builder).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.values()):
        valid = list(sig)[1:]  # after the estimator
        unknown = sorted(set(params) - set(valid))
        if unknown:
            raise ConfigError(
                f"attack {name!r} takes no parameter {', '.join(map(repr, unknown))}; "
                f"valid: {', '.join(valid)}"
            )
    return builder(estimator, **params)


def cell_version(name: str) -> dict[str, int]:
    """The fields a result cell's config adds for attack ``name``'s version:
    ``{"attack_version": v}`` from version 2 on, nothing for version 1 (cells computed
    before attacks had versions keep their hashes)."""
    v = ATTACKS.get(name).version
    return {"attack_version": v} if v > 1 else {}


def list_attacks(*, sweep: bool | None = None, black_box: bool | None = None) -> list[str]:
    """Registered attack names (timm's ``list_models``), optionally only the sweep's or
    only the black-box (or white-box) ones, in their tables' order."""
    names = sorted(ATTACKS.names(), key=lambda n: (ATTACKS.get(n).order, n))
    return [
        n
        for n in names
        if (sweep is None or ATTACKS.get(n).in_sweep == sweep)
        and (black_box is None or ATTACKS.get(n).black_box == black_box)
    ]


def next_class(y: np.ndarray, num_classes: int) -> np.ndarray:
    """The documented target policy of targeted attacks: the next class, ``(y + 1) mod C``."""
    return (np.asarray(y) + 1) % num_classes


def normalise_record_at(record_at: Sequence[int] | None, max_iter: int) -> list[int]:
    """Sorted unique iteration counts to record, each within ``[0, max_iter]``."""
    its = sorted({int(i) for i in (record_at or [max_iter])})
    if its and (its[0] < 0 or its[-1] > max_iter):
        raise ConfigError(
            f"parameter `record_at` must lie within [0, max_iter={max_iter}], got {its}"
        )
    return its
