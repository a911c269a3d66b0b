"""The one plot style of the book: colours per variant, markers per compression family and
titles per attack, shared by every chapter's figures. Variants' order and families' markers
come from the compression registry, attacks' titles from the attack registry."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from IPython import get_ipython

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


#: the note under a table that has empty cells
NA_NOTE = "– : no value (not measured in this profile, or not applicable)"


def _fmt(x) -> str:
    if isinstance(x, float):
        if x != x:  # NaN
            return "–"
        if x == int(x) and abs(x) < 1e15:
            return f"{int(x)}"
        return f"{x:.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
    return "–" if x is None else str(x)


def book_table(df: pd.DataFrame):
    """A results table as the book shows it: no index column (a meaningful index becomes
    columns), floats to 4 significant digits, empty cells as "–" with a note saying why."""
    out = df if isinstance(df.index, pd.RangeIndex) else df.reset_index()
    styler = out.style.hide(axis="index").format(_fmt, na_rep="–")
    if out.isna().to_numpy().any():
        styler = styler.set_caption(NA_NOTE)
    return styler


def use_book_tables() -> None:
    """Show every DataFrame of the running notebook as :func:`book_table` (a no-op outside
    IPython)."""
    shell = get_ipython()
    if shell is None:
        return
    html = shell.display_formatter.formatters["text/html"]
    html.for_type(pd.DataFrame, lambda df: book_table(df).to_html())
