"""The one plot style of the book: colours per variant, markers per compression family and
titles per attack, shared by every chapter's figures. Variants' order and families' markers
come from the compression registry, attacks' titles from the attack registry."""

from __future__ import annotations

import matplotlib.pyplot as plt

from compression_robustness import attacks as A
from compression_robustness import compression as K
from compression_robustness.core.units import Family


def variant_colors(variants) -> dict[str, tuple]:
    """One colour per variant, in the compression registry's (the paper's) order."""
    cmap = plt.get_cmap("tab10")
    ordered = sorted(variants, key=lambda v: (variant_rank(v), v))
    return {v: cmap(i % 10) for i, v in enumerate(ordered)}


#: one marker per compression family (from the compression registry)
FAMILY_MARKERS = {str(f): m for f, m in K.FAMILY_MARKERS.items()}
#: variants in the paper's order: vanilla, kd, pruned, binary (from the compression registry)
variant_rank = K.variant_rank


def attack_title(attack: str) -> tuple[str, str]:
    """A sweep attack's panel title and stress label, from the attack registry."""
    spec = A.ATTACKS.get(attack)
    return spec.title, spec.stress_label


#: one colour per compression family, the same in every chapter (tab10, in Family's order)
FAMILY_COLORS = {str(f): plt.get_cmap("tab10")(i) for i, f in enumerate(Family)}


def family_style(family: str) -> dict:
    """``color`` and ``marker`` of a compression family, for ``plot``/``scatter``."""
    return {"color": FAMILY_COLORS.get(family, "0.4"), "marker": FAMILY_MARKERS.get(family, "o")}
