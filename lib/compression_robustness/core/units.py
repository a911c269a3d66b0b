"""Closed vocabularies at the library's boundary: units, norms and compression families.

They are ``str`` enums, so a value compares equal to its string, serialises into configs
and Parquet as that string, and an unknown one is refused with the valid values listed.
Epsilons are given in the papers' units in notebooks and converted once, here.
"""

from __future__ import annotations

from enum import StrEnum

from compression_robustness.core.registry import ConfigError

#: 0-255 pixel units -> [0, 1] inputs
PIXEL = 255.0


class _Vocabulary(StrEnum):
    """A closed set of strings; ``parse`` gives a clear error naming the parameter."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value, param: str):
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ConfigError(
                f"parameter `{param}` has unknown value {value!r}; valid: {valid}"
            ) from None


class Unit(_Vocabulary):
    """The unit of an attack's strength (its ``eps``)."""

    PIXEL_255 = "0-255"  # L-inf or L2 size in 0-255 pixel units (the papers' usual unit)
    UNIT_INTERVAL = "[0,1]"  # size on the [0, 1] input scale
    CW_CONSTANT = "c"  # C&W's dimensionless trade-off constant
    PIXEL_COUNT = "pixels"  # a number of changed pixels (L0)
    NONE = "none"  # no size: strength is the number of iterations


class Norm(_Vocabulary):
    """The norm that bounds (or that an attack minimises on) a perturbation."""

    LINF = "linf"
    L2 = "l2"
    L0 = "l0"


class Family(_Vocabulary):
    """A compression family: colours, markers and the claims group models by it."""

    VANILLA = "vanilla"
    DISTILLED = "distilled"
    PRUNED = "pruned"
    QUANTISED = "quantised"
    BINARY = "binary"
    BNN = "bnn"
    FULL_PRECISION = "full-precision"
    ADVERSARIAL = "adversarial"


def to_unit_interval(value: float, unit: Unit) -> float:
    """A perturbation size in ``unit`` on the [0, 1] input scale (the one conversion)."""
    unit = Unit(unit)
    if unit is Unit.PIXEL_255:
        return float(value) / PIXEL
    if unit is Unit.UNIT_INTERVAL:
        return float(value)
    raise ConfigError(f"a size in {unit.value!r} has no [0, 1] equivalent")
