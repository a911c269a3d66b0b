"""Profiles and parameter validation.

A profile (``smoke``, ``cpu``, ``paper``) is a YAML file in ``params/`` that papermill
passes to every chapter notebook with ``-f params/<profile>.yaml``. Its keys are notebook
parameters. Validation helpers here raise :class:`ConfigError` naming the parameter,
before any computation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from compression_robustness.core import paths
from compression_robustness.core.registry import ConfigError

PROFILES = ("smoke", "cpu", "paper")
#: The zoo's recipe sets: the profiles, plus ``cpu-next``, the staging set of the cpu book's
#: next zoo. Its models train (in the background, across sessions) into
#: ``data/checkpoints/cpu-next/`` while the book still reads the ``cpu`` zoo; the recompute
#: of the cpu book makes them the ``cpu`` recipes and moves their checkpoints over.
ZOO_PROFILES = (*PROFILES, "cpu-next")


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ConfigError(
            f"unknown profile {profile!r} for parameter `profile`; valid profiles: "
            + ", ".join(PROFILES)
        )
    return profile


def check_zoo_profile(profile: str) -> str:
    """A zoo recipe set: a profile or the staging set ``cpu-next``."""
    if profile not in ZOO_PROFILES:
        raise ConfigError(
            f"unknown zoo profile {profile!r} for parameter `profile`; valid: "
            + ", ".join(ZOO_PROFILES)
        )
    return profile


def profile_path(profile: str) -> Path:
    return paths.project_root() / "params" / f"{check_profile(profile)}.yaml"


def load_profile(profile: str) -> dict[str, Any]:
    with open(profile_path(profile)) as f:
        return yaml.safe_load(f) or {}


def check_number(
    name: str,
    value: Any,
    *,
    min: float | None = None,
    max: float | None = None,
    strict_min: bool = False,
    integer: bool = False,
) -> Any:
    """Check a numeric parameter; the error names the parameter and the allowed range."""
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or (not integer and not math.isfinite(value)):
        kind = "an integer" if integer else "a finite number"
        raise ConfigError(f"parameter `{name}` must be {kind}, got {value!r}")
    if min is not None and (value <= min if strict_min else value < min):
        op = ">" if strict_min else ">="
        raise ConfigError(f"parameter `{name}` must be {op} {min}, got {value!r}")
    if max is not None and value > max:
        raise ConfigError(f"parameter `{name}` must be <= {max}, got {value!r}")
    return value


def check_choices(name: str, values: Iterable[str], valid: Iterable[str]) -> list[str]:
    valid = list(valid)
    values = [values] if isinstance(values, str) else list(values)
    bad = [v for v in values if v not in valid]
    if bad:
        raise ConfigError(
            f"parameter `{name}` has unknown value(s) {bad}; valid: {', '.join(valid)}"
        )
    if not values:
        raise ConfigError(f"parameter `{name}` must not be empty")
    return values
