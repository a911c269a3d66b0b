"""A tiny name -> builder registry used for models, datasets, zoo entries and attacks.

An unknown name raises :class:`UnknownNameError`, whose message names the kind of
thing asked for and lists every valid name, so a typo is caught before any compute.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class ConfigError(ValueError):
    """Bad user input (a parameter value), raised before any computation starts."""


class UnknownNameError(ConfigError, KeyError):
    """An unknown registry name; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class Registry(Generic[T]):
    """Map names to builders. ``kind`` is used in error messages (``"model"``, ``"attack"``)."""

    def __init__(self, kind: str, param: str | None = None):
        self.kind = kind
        self.param = param or kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T | None = None):
        """Register ``item`` under ``name``; usable as a decorator."""

        def _add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        if item is not None:
            return _add(item)
        return _add

    def get(self, name: str) -> T:
        self.check(name)
        return self._items[name]

    def check(self, name: str) -> str:
        if not isinstance(name, str) or name not in self._items:
            valid = ", ".join(sorted(self._items))
            raise UnknownNameError(
                f"unknown {self.kind} {name!r} for parameter `{self.param}`; valid names: {valid}"
            )
        return name

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
