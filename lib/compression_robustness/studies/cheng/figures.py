"""Cheng & Hu's figures: pixel-noise accuracy curves (Figs. 7-8) and example images."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

_PERT_TITLES = {
    "white_to_black": "White→Black (WtB)",
    "black_to_white": "Black→White (BtW)",
    "pixel_invert": "Random Pixel Invert (RPI)",
    "edge_to_altered": "Edge→Altered (EtA)",
}
_PERT_ABBR = {
    "white_to_black": "WtB",
    "black_to_white": "BtW",
    "pixel_invert": "RPI",
    "edge_to_altered": "EtA",
}


def pixel_noise_curves(
    means: pd.DataFrame, paper: dict | None = None, title: str | None = None
) -> plt.Figure:
    """Cheng & Hu Fig. 7/8: accuracy (%) against the number of single-pixel attacks.

    ``means`` has columns ``label, perturbation, k, mean, lo, hi`` (mean and range over the
    seeded repeats, as :func:`compression_robustness.pixel_noise_study.curve_means`). One
    panel per perturbation, one colour per model; the band spans the repeats. ``paper``
    (``(label, abbreviation, k) -> %``) adds the paper's values as open markers.
    """
    perts = list(dict.fromkeys(means["perturbation"]))
    labels = list(dict.fromkeys(means["label"]))
    if not perts:  # nothing was run (for example, no depth models in this profile)
        fig, ax = plt.subplots(figsize=(5, 0.8))
        ax.text(0.5, 0.5, "no models in this profile", ha="center", va="center")
        ax.axis("off")
        return fig
    cmap = plt.get_cmap("tab10")
    colors = {lab: cmap(i % 10) for i, lab in enumerate(labels)}
    ncol = min(2, len(perts))
    nrow = -(-len(perts) // ncol)
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(4.6 * ncol, 3.4 * nrow + 0.6), squeeze=False, sharey=True
    )
    for ax in axes.flat[len(perts) :]:
        ax.set_visible(False)
    for ax, pert in zip(axes.flat, perts, strict=False):
        sub = means[means["perturbation"] == pert]
        for lab in labels:
            g = sub[sub["label"] == lab].sort_values("k")
            if g.empty:
                continue
            c = colors[lab]
            ax.plot(g["k"], 100 * g["mean"], "-o", ms=3, color=c, lw=1.6, label=lab)
            ax.fill_between(g["k"], 100 * g["lo"], 100 * g["hi"], color=c, alpha=0.15)
            for (plab, ab, k), v in (paper or {}).items():
                if plab == lab and ab == _PERT_ABBR[pert]:
                    ax.plot([k], [v], marker="D", mfc="none", color=c, ms=7, ls="none")
        ax.set_title(_PERT_TITLES.get(pert, pert), fontsize=10)
        ax.set_xlabel("number of attacks (pixels of the 28×28 grid)")
        ax.set_ylim(0, 102)
        ax.grid(alpha=0.3)
    for row in axes:
        row[0].set_ylabel("test accuracy (%)")
    handles, names = axes[0][0].get_legend_handles_labels()
    if paper:
        handles.append(plt.Line2D([], [], marker="D", mfc="none", color="k", ls="none"))
        names.append("paper (Cheng & Hu)")
    fig.legend(handles, names, loc="lower center", ncol=min(4, len(names)), frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.12 if len(names) > 4 else 0.07, 1, 1))
    return fig


def pixel_noise_examples(images: dict[str, np.ndarray], k: int) -> plt.Figure:
    """One digit, clean and under ``k`` attacks of each perturbation (grey, 0-255)."""
    fig, axes = plt.subplots(1, len(images), figsize=(1.8 * len(images), 2.1))
    for ax, (name, img) in zip(np.atleast_1d(axes), images.items(), strict=True):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(name if name == "clean" else f"{name}, k={k}", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


# --- issue 5: ImageNet (Tables 4-6) and class activation maps (Table 3) -----------------


def pixels_changed(changed: pd.DataFrame) -> plt.Figure:
    """The pixels of the 28×28 grid that ``k`` attacks actually change (mean over the
    chapter's images, the band spanning the repeats), per perturbation; Edge→Altered under
    both readings of its edges (solid: found once on the original, the chapter's curves;
    dashed: recomputed before every attack). The grey diagonal is ``k`` changed pixels."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    kmax = float(changed["k"].max()) if len(changed) else 1.0
    ax.plot([0, kmax], [0, kmax], color="0.6", lw=1, label="k pixels")
    cmap = plt.get_cmap("tab10")
    perts = list(dict.fromkeys(changed["perturbation"]))
    for i, pert in enumerate(perts):
        sub = changed[changed["perturbation"] == pert]
        for reading, g in sub.groupby(sub["edge_reading"].fillna("once"), sort=False):
            m = g.groupby("k")["mean_changed"].agg(["mean", "min", "max"]).reset_index()
            ls = "--" if reading == "recomputed" else "-"
            name = _PERT_ABBR.get(pert, pert)
            if pert == "edge_to_altered":
                name += f", edges {reading}"
            ax.plot(m["k"], m["mean"], ls, marker="o", ms=3, color=cmap(i), label=name)
            ax.fill_between(m["k"], m["min"], m["max"], color=cmap(i), alpha=0.15)
    ax.set(
        xlabel="number of attacks k",
        ylabel="pixels actually changed (mean per image)",
        xlim=(0, kmax * 1.02),
        ylim=(0, kmax * 1.05),
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
