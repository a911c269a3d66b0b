"""The one plot style of the book: colours per variant, markers per compression family and
titles per attack, shared by every chapter's figures."""

from __future__ import annotations

import matplotlib.pyplot as plt

from compression_robustness import attacks as A

VARIANT_ORDER = [
    "vanilla",
    "kd",
    "prune-filter",
    "prune-channel",
    "prune-kernel",
    "prune-weight",
    "xnor",
    "abc-1x1",
    "abc-3x3",
    "abc-5x5",
]


def variant_colors(variants) -> dict[str, tuple]:
    cmap = plt.get_cmap("tab10")
    ordered = sorted(
        variants, key=lambda v: (VARIANT_ORDER.index(v) if v in VARIANT_ORDER else 99, v)
    )
    return {v: cmap(i % 10) for i, v in enumerate(ordered)}


FAMILY_MARKERS = {"vanilla": "o", "distilled": "D", "pruned": "s", "binary": "^"}


def variant_rank(variant: str) -> int:
    """Sort key that puts variants in the paper's order (vanilla, kd, pruned, binary)."""
    return VARIANT_ORDER.index(variant) if variant in VARIANT_ORDER else len(VARIANT_ORDER)


def attack_title(attack: str) -> tuple[str, str]:
    """A sweep attack's panel title and stress label, from the attack registry."""
    spec = A.ATTACKS.get(attack)
    return spec.title, spec.stress_label
