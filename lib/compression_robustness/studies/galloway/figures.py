"""Galloway et al.'s figure: FGSM accuracy against eps."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


def fgsm_vs_eps(df: pd.DataFrame) -> plt.Figure:
    """Galloway et al.: FGSM accuracy against ε per model kind and width (mean over seeds,
    bars = standard deviation)."""
    widths = sorted(df["k"].unique())
    fig, axes = plt.subplots(1, len(widths), figsize=(4 * len(widths), 3.3), squeeze=False)
    for ax, k in zip(axes[0], widths, strict=True):
        sub = df[df["k"] == k]
        for lab, g in sub.groupby("series"):
            s = g.groupby("eps")["accuracy"].agg(["mean", "std"]).fillna(0)
            ax.errorbar(s.index, 100 * s["mean"], 100 * s["std"], marker="o", capsize=3, label=lab)
        ax.set_xlabel("FGSM ε ([0, 1] units)")
        ax.set_ylabel("accuracy (%)")
        ax.set_title(f"K = {k}")
        ax.set_ylim(-3, 103)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
