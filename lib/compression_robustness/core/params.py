"""Profiles and parameter validation.

A profile (``smoke``, ``cpu``, ``paper``) is a YAML file in ``params/`` that papermill
passes to every chapter notebook with ``-f params/<profile>.yaml``. Its keys are notebook
parameters. Validation helpers here raise :class:`ConfigError` naming the parameter,
before any computation.
"""

from __future__ import annotations

import inspect
import math
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compression_robustness.core import paths
from compression_robustness.core.registry import ConfigError

PROFILES = ("smoke", "cpu", "gpu", "paper")
#: Profiles whose models train another profile's recipes: ``gpu`` trains the authors'
#: (``paper``) schedules, which one GPU affords, into its own checkpoint folder.
RECIPE_FALLBACK = {"gpu": "paper"}


def recipe_profile(profile: str) -> str:
    """The recipe set a profile's zoo models train with (itself, or its fallback)."""
    return RECIPE_FALLBACK.get(profile, profile)


#: The zoo's recipe sets: the profiles, plus ``cpu-next``, the staging set of the cpu book's
#: next zoo. Its models train (in the background, across sessions) into
#: ``data/checkpoints/cpu-next/`` while the book still reads the ``cpu`` zoo; the recompute
#: of the cpu book makes them the ``cpu`` recipes and moves their checkpoints over.
ZOO_PROFILES = (*PROFILES, "cpu-next")


def _check_in(profile: str, valid: tuple[str, ...], what: str) -> str:
    if profile not in valid:
        raise ConfigError(
            f"unknown {what} {profile!r} for parameter `profile`; valid {what}s: "
            + ", ".join(valid)
        )
    return profile


def check_profile(profile: str) -> str:
    return _check_in(profile, PROFILES, "profile")


def check_zoo_profile(profile: str) -> str:
    """A zoo recipe set: a profile or the staging set ``cpu-next``."""
    return _check_in(profile, ZOO_PROFILES, "zoo profile")


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
            f"parameter `{name}` has unknown value(s) {bad}; valid: {', '.join(map(str, valid))}"
        )
    if not values:
        raise ConfigError(f"parameter `{name}` must not be empty")
    return values


# --------------------------------------------------------------------------- chapters
#: The profile sections a chapter reads instead of its own (the sweep's two chapters share
#: one; the scoreboard reads only the shared `profile`).
CHAPTER_SECTIONS = {
    "stress_strain": ("sweep", "anytime"),
    "boxplots": ("sweep",),
    "scoreboard": (),
}


def chapter_parameters(profile: str, chapter: str) -> dict[str, Any]:
    """The flat parameters of ``chapter`` in ``profile``: the shared top-level keys plus
    the chapter's section(s). A name in two of its sections is an error."""
    prof = load_profile(profile)
    sections = CHAPTER_SECTIONS.get(chapter, (chapter,))
    valid = [k for k, v in prof.items() if isinstance(v, dict)]
    missing = [s for s in sections if s not in prof]
    if missing:
        raise ConfigError(
            f"profile {profile!r} has no section {missing[0]!r} for chapter {chapter!r}; "
            f"its sections: {', '.join(valid)}"
        )
    out = {k: v for k, v in prof.items() if not isinstance(v, dict)}
    for s in sections:
        for k, v in prof[s].items():
            if k in out:
                raise ConfigError(f"profile {profile!r}: `{k}` is set twice for {chapter!r}")
            out[k] = v
    return out


def _coerce(name: str, value: Any, annotation: Any) -> Any:
    """papermill's ``-p`` passes lists and dicts as strings: read those as YAML (the
    validator's annotation says which parameters are lists or dicts)."""
    ann = str(annotation)
    kind = "list" if ann.startswith("list") else "dict" if ann.startswith("dict") else None
    if kind and isinstance(value, str):
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"parameter `{name}` must be a {kind} (a YAML {kind} with -p, "
                f"for example -p {name} '[a, b]', or use -y/-f), got {value!r}"
            ) from exc
        if not isinstance(parsed, list if kind == "list" else dict):
            raise ConfigError(f"parameter `{name}` must be a {kind}, got {value!r}")
        return parsed
    if "None" in ann and value in ("None", "null"):
        return None
    if ann.startswith("float") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _short_config_error(shell, etype, value, tb, tb_offset=None):
    """Shows a :class:`ConfigError` in a notebook as its message alone, not a traceback
    (an IPython custom exception handler; the cell still fails, so papermill stops)."""
    shell.showtraceback((etype, value, tb), exception_only=True)


#: what a notebook's namespace holds besides parameters: imports, functions, classes
_NOT_PARAMETERS = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)


def notebook_parameters(*validators, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chapter's parameters, as papermill set them, for its ``validators``.

    Called in the cell after the parameters. The chapter's parameters are the arguments of
    its validators; every value the parameters cell and papermill's injected cell defined
    (the notebook's variables so far, other than modules, functions, classes and IPython's
    own) must be one of them: an unknown name (a typo such as ``-p epz 2``, or a section
    of a whole profile file passed with ``-f``) is an error that lists the valid names. A
    list or dict passed as a string with ``-p`` is read as YAML. From here on, a
    :class:`ConfigError` of the notebook is shown as its one-line message.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None and namespace is None:
        raise RuntimeError("notebook_parameters() runs inside a notebook (IPython) only")
    if shell is not None:
        shell.set_custom_exc((ConfigError,), _short_config_error)
    ns = shell.user_ns if namespace is None else namespace
    hidden = set(getattr(shell, "user_ns_hidden", {}) or {})
    sigs = {}
    for fn in validators:
        sigs.update(inspect.signature(fn).parameters)
    values = {
        k: v
        for k, v in ns.items()
        if k not in hidden
        and not k.startswith("_")
        and not isinstance(
            v, types.ModuleType | types.FunctionType | types.BuiltinFunctionType | type
        )
    }
    unknown = sorted(set(values) - set(sigs))
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {', '.join(f'`{u}`' for u in unknown)} for this chapter; "
            f"valid: {', '.join(sigs)} (a profile's parameters for one chapter: "
            "python -m compression_robustness chapter-params <profile> <chapter>)"
        )
    return {n: _coerce(n, values[n], p.annotation) for n, p in sigs.items() if n in values}


def bind(fn, params: dict[str, Any]):
    """Call ``fn`` with the parameters it takes, by keyword."""
    names = inspect.signature(fn).parameters
    return fn(**{k: v for k, v in params.items() if k in names})


# --------------------------------------------------------------------------- declared params
@dataclass(frozen=True)
class Param:
    """A chapter parameter, declared once: its type, bounds, unit and help text.

    ``kind`` is ``int``, ``float``, ``str``, ``bool``, ``list`` or ``dict``; for a ``list``,
    ``each`` (``int`` or ``float``) types its elements and the bounds apply to every one.
    ``nullable``: ``None`` is allowed (it means "all" for subset sizes). ``choices``: the
    allowed values (of a ``str``, or of every element of a ``list``).
    """

    kind: type
    help: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    strict_min: bool = False
    each: type | None = None
    nullable: bool = False
    nonempty: bool = False
    choices: tuple | None = None

    def describe(self) -> str:
        unit = f" [{self.unit}]" if self.unit else ""
        return f"{self.help}{unit}"


def check_params(specs: dict[str, Param], values: dict[str, Any]) -> None:
    """Check every declared parameter in ``values`` against its :class:`Param`: one error
    naming the parameter, the value and what is allowed. Names not declared are ignored
    here (the notebook's parameters cell decides which names exist)."""
    for name, spec in specs.items():
        if name not in values:
            continue
        v = values[name]
        if v is None:
            if spec.nullable:
                continue
            raise ConfigError(f"parameter `{name}` must not be None ({spec.describe()})")
        if spec.kind in (int, float):
            check_number(
                name, v, min=spec.min, max=spec.max, strict_min=spec.strict_min,
                integer=spec.kind is int,
            )  # fmt: skip
        elif spec.kind is list:
            if isinstance(v, str) or not isinstance(v, list | tuple):
                raise ConfigError(f"parameter `{name}` must be a list, got {v!r}")
            if spec.nonempty and not v:
                raise ConfigError(f"parameter `{name}` must be a non-empty list")
            for x in v:
                if spec.each in (int, float):
                    check_number(
                        name, x, min=spec.min, max=spec.max, strict_min=spec.strict_min,
                        integer=spec.each is int,
                    )  # fmt: skip
            if spec.choices is not None and v:
                check_choices(name, v, spec.choices)
        elif not isinstance(v, spec.kind) or (spec.kind is not bool and isinstance(v, bool)):
            raise ConfigError(
                f"parameter `{name}` must be a {spec.kind.__name__}, got {v!r} ({spec.describe()})"
            )
        elif spec.choices is not None and v not in spec.choices:
            raise ConfigError(
                f"parameter `{name}` is {v!r}; valid: {', '.join(map(str, spec.choices))}"
            )


#: parameters every chapter shares
SEED = Param(int, "seed of the test subsets and the attacks' randomness", min=0)
BATCH_SIZE = Param(int, "batch size (speed only, not results)", min=1)
