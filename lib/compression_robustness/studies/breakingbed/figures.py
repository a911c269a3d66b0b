"""BreakingBED's figures: PGD curves (Fig. 2), memory against accuracy (Table 1),
stress-strain (Fig. 3), box-plots (Fig. 4), ImageNet PGD readings and CAM grids (Table 3)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from compression_robustness import attacks as A
from compression_robustness.evaluate.metrics import (
    BREAK_STRAIN,
    STRONG_STRAIN,
    breaking_iteration,
    strain,
)
from compression_robustness.studies.breakingbed.cam import heat_array
from compression_robustness.studies.style import (
    FAMILY_MARKERS,
    attack_title,
    variant_colors,
    variant_rank,
)


def pgd_curves(df: pd.DataFrame, chance: float, title: str | None = None) -> plt.Figure:
    """BreakingBED Fig. 2: accuracy (solid) and loss (dashed) against PGD iterations.

    One panel per architecture, one colour per variant. Lines are the mean over reruns;
    the band spans the reruns' minimum to maximum. The horizontal dotted line is the
    breaking line at chance level; a marker on it shows each variant's breaking iteration
    (the first recorded iteration whose mean accuracy is below chance). The converged
    accuracy and loss (mean over the last 20% of iterations) are written at the right end.
    """
    archs = list(dict.fromkeys(df["arch"]))
    colors = variant_colors(df["variant"].unique())
    fig, axes = plt.subplots(1, len(archs), figsize=(6.4 * len(archs), 4.2), squeeze=False)
    for ax, arch in zip(axes[0], archs, strict=True):
        sub = df[df["arch"] == arch]
        ax2 = ax.twinx()
        for variant, g in sub.groupby("variant", sort=False):
            c = colors[variant]
            stats = g.groupby("iterations").agg(
                acc=("accuracy", "mean"),
                acc_lo=("accuracy", "min"),
                acc_hi=("accuracy", "max"),
                loss=("loss", "mean"),
                loss_lo=("loss", "min"),
                loss_hi=("loss", "max"),
            )
            it = stats.index.to_numpy()
            ax.plot(it, 100 * stats["acc"], "-", color=c, lw=1.8, label=f"{variant} accuracy")
            ax.fill_between(it, 100 * stats["acc_lo"], 100 * stats["acc_hi"], color=c, alpha=0.2)
            ax2.plot(it, stats["loss"], "--", color=c, lw=1.4, label=f"{variant} loss")
            ax2.fill_between(it, stats["loss_lo"], stats["loss_hi"], color=c, alpha=0.1)
            tail = it >= it.max() - 0.2 * (it.max() - it.min())  # as metrics.converged_level
            conv_acc, conv_loss = 100 * stats["acc"][tail].mean(), stats["loss"][tail].mean()
            ax.annotate(
                f"{conv_acc:.1f}%",
                (it.max(), conv_acc),
                xytext=(-4, 5),
                textcoords="offset points",
                ha="right",
                fontsize=8,
                color=c,
            )
            ax2.annotate(
                f"loss {conv_loss:.2f}",
                (it.max(), conv_loss),
                xytext=(-4, -12),
                textcoords="offset points",
                ha="right",
                fontsize=8,
                color=c,
            )
            b = breaking_iteration(it, stats["acc"], chance)
            if np.isfinite(b):
                ax.plot([b], [100 * chance], "v", color=c, ms=9, mec="k")
            clean = 100 * g["clean_accuracy"].iloc[0]
            ax.plot([0], [clean], "o", color=c, mec="k", ms=6)
        ax.axhline(100 * chance, color="crimson", ls=":", lw=1.5, label="breaking line (chance)")
        ax.set_xlabel("PGD iterations")
        ax.set_ylabel("accuracy (%)  [solid]")
        ax2.set_ylabel("cross-entropy loss  [dashed]")
        ax.set_ylim(0, 100)
        ax2.set_ylim(bottom=0)
        ax.set_title(arch)
        ax.grid(alpha=0.3)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.close(fig)  # returned, not auto-displayed: the caller shows or glues it
    return fig


def memory_vs_accuracy(df: pd.DataFrame) -> plt.Figure:
    """BreakingBED Table 1 as a picture: test accuracy against memory demand (log scale).

    One marker shape per compression family, one colour per architecture; the paper's
    memory for the same variant is drawn as a hollow marker joined to ours by a thin line.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    archs = list(dict.fromkeys(df["arch"]))
    cmap = plt.get_cmap("tab10")
    for i, arch in enumerate(archs):
        sub = df[df["arch"] == arch]
        for row in sub.itertuples():
            m = FAMILY_MARKERS.get(row.family, "o")
            ax.scatter(
                row.memory_mb,
                100 * row.accuracy,
                marker=m,
                s=60,
                color=cmap(i),
                edgecolor="k",
                zorder=3,
            )
            ax.annotate(
                row.variant,
                (row.memory_mb, 100 * row.accuracy),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
            )
            if np.isfinite(row.paper_memory_mb):
                ax.scatter(
                    row.paper_memory_mb,
                    100 * row.accuracy,
                    marker=m,
                    s=60,
                    facecolor="none",
                    edgecolor=cmap(i),
                    zorder=2,
                )
                ax.plot(
                    [row.memory_mb, row.paper_memory_mb],
                    [100 * row.accuracy] * 2,
                    color=cmap(i),
                    lw=0.6,
                    alpha=0.6,
                )
    for fam, m in FAMILY_MARKERS.items():
        if fam in set(df["family"]):
            ax.scatter([], [], marker=m, color="grey", edgecolor="k", label=fam)
    for i, arch in enumerate(archs):
        ax.scatter([], [], marker="o", color=cmap(i), label=arch)
    ax.scatter([], [], marker="o", facecolor="none", edgecolor="k", label="paper's memory")
    ax.set_xscale("log")
    ax.set_xlabel("memory demand (MB, log scale)")
    ax.set_ylabel("CIFAR-10 test accuracy (%)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def stress_strain(curves: pd.DataFrame, arch: str | None = None) -> plt.Figure:
    """BreakingBED Fig. 3: strain (relative accuracy loss) against each attack's stress.

    One panel per attack, one line per variant (and one marker and line style per
    architecture when ``curves`` holds several and ``arch`` is None, so ResNet56 and ResNet20
    share the panels); the dotted lines mark the classification
    thresholds of :func:`compression_robustness.evaluate.metrics.classify_curve` (brittle above 0.8
    at the smallest stress, strong below 0.5 everywhere).
    """

    if arch is not None:
        curves = curves[curves["arch"] == arch]
    attacks = [a for a in A.list_attacks(sweep=True) if a in set(curves["attack"])]
    colors = variant_colors(curves["variant"].unique())
    archs = list(dict.fromkeys(sorted(curves["arch"])))
    styles = {a: ("o-", "s--", "^:", "d-.")[i % 4] for i, a in enumerate(archs)}
    ncol = min(3, max(1, len(attacks)))
    nrow = -(-len(attacks) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.3 * nrow), squeeze=False)
    for ax, attack in zip(axes.flat, attacks, strict=False):
        sub = curves[curves["attack"] == attack]
        for (a, variant), g in sub.groupby(["arch", "variant"], sort=False):
            g = g.sort_values("stress")
            label = variant if len(archs) == 1 else f"{a} {variant}"
            ax.plot(g["stress"], g["strain"], styles[a], ms=3.5, color=colors[variant], label=label)
        ax.axhline(BREAK_STRAIN, color="crimson", ls=":", lw=1)
        ax.axhline(STRONG_STRAIN, color="seagreen", ls=":", lw=1)
        title, xlabel = attack_title(attack)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"stress: {xlabel}")
        ax.set_ylabel("strain (A - A*)/A")
        ax.set_ylim(-0.05, 1.05)
        if A.ATTACKS.get(attack).stress_axis == "eps":  # strengths spread over decades
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_xticks(sorted(sub["stress"].unique()))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(attacks) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8)
    if len(archs) == 1:
        fig.suptitle(archs[0])
    fig.tight_layout(rect=(0, 0.025 + 0.035 * (1 + (len(labels) - 1) // 6), 1, 1))
    plt.close(fig)
    return fig


def boxplots(df: pd.DataFrame) -> plt.Figure:
    """BreakingBED Fig. 4: per attack, one box per compression family over all grid cells
    (strengths and iterations) of the sweep, of the attacked accuracy relative to clean."""

    d = df.assign(strain=strain(df["clean_accuracy"], df["accuracy"]))
    attacks = [a for a in A.list_attacks(sweep=True) if a in set(d["attack"])]
    families = [f for f in FAMILY_MARKERS if f in set(d["family"])]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(attacks) * max(1, len(families)) / 2), 4))
    width = 0.8 / max(1, len(families))
    cmap = plt.get_cmap("Set2")
    for j, fam in enumerate(families):
        data = [d[(d["attack"] == a) & (d["family"] == fam)]["strain"].dropna() for a in attacks]
        pos = [i + (j - (len(families) - 1) / 2) * width for i in range(len(attacks))]
        bp = ax.boxplot(
            [x.to_numpy() if len(x) else [np.nan] for x in data],
            positions=pos,
            widths=width * 0.9,
            patch_artist=True,
            manage_ticks=False,
        )
        for patch in bp["boxes"]:
            patch.set_facecolor(cmap(j))
        ax.plot([], [], "s", color=cmap(j), label=fam)
    ax.set_xticks(range(len(attacks)))
    ax.set_xticklabels([attack_title(a)[0].split(",")[0] for a in attacks])
    ax.set_ylabel("strain (A - A*)/A over the grid")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, ncol=len(families))
    fig.tight_layout()
    plt.close(fig)
    return fig


# =========================================================================== pixel_noise


def imagenet_pgd_readings(attacked: pd.DataFrame, paper_point: dict | None = None) -> plt.Figure:
    """PGD accuracy against iterations on ImageNet, one panel per ε reading (pixel units
    and normalised input units), one colour per model, one line style per ε; the paper's
    ResNet50 point (``paper_point``: eps, iterations, accuracy) as a black star."""
    sub = attacked[attacked["attack"] == "pgd"]
    readings = list(dict.fromkeys(sub["eps_reading"]))
    models = list(dict.fromkeys(sub["model"]))
    cmap = plt.get_cmap("tab10")
    styles = ["-", "--", ":", "-."]
    eps_values = sorted(sub["eps"].unique())
    fig, axes = plt.subplots(
        1, len(readings), figsize=(5.6 * len(readings), 3.8), squeeze=False, sharey=True
    )
    for ax, reading in zip(axes[0], readings, strict=True):
        g = sub[sub["eps_reading"] == reading]
        for mi, m in enumerate(models):
            for ei, eps in enumerate(eps_values):
                c = g[(g["model"] == m) & (g["eps"] == eps)].sort_values("iterations")
                if c.empty:
                    continue
                ax.plot(
                    c["iterations"],
                    100 * c["accuracy"],
                    styles[ei % len(styles)],
                    color=cmap(mi % 10),
                    marker="o",
                    ms=3,
                    label=f"{m}, ε={eps:g}",
                )
        if paper_point:
            ax.plot(
                [paper_point["iterations"]],
                [100 * paper_point["accuracy"]],
                "k*",
                ms=12,
                label=f"paper ResNet50, ε={paper_point['eps']:g}",
            )
        ax.set_title(f"ε read in {reading} units")
        ax.set_xlabel("PGD iterations (0 = random start)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("top-1 accuracy (%)")
    axes[0][-1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _cam_order(models, table: pd.DataFrame) -> list[str]:
    info = table.drop_duplicates("model").set_index("model")
    return sorted(models, key=lambda m: (info.loc[m, "arch"], variant_rank(info.loc[m, "variant"])))


def cam_grid(grid: pd.DataFrame, image: np.ndarray | None = None, alpha: float = 0.5) -> plt.Figure:
    """BreakingBED Table 3 as a figure: rows = clean and each DeepFool iteration count,
    columns = zoo models; each panel is the CAM (blue = 0 -> red = 255, ``jet``) overlaid
    on ``image`` (H, W, 3 in [0, 1]; the heat map alone when ``None``), titled with the
    predicted class and the map's Q3."""

    models = _cam_order(grid["model"].unique(), grid)
    its = sorted(grid["iterations"].unique())
    fig, axes = plt.subplots(
        len(its), len(models), figsize=(1.7 * len(models) + 0.6, 1.9 * len(its)), squeeze=False
    )
    for r, it in enumerate(its):
        for c, m in enumerate(models):
            ax = axes[r][c]
            row = grid[(grid["model"] == m) & (grid["iterations"] == it)].iloc[0]
            heat = heat_array(row)
            if image is not None:
                ax.imshow(image, interpolation="nearest")
                ax.imshow(heat, cmap="jet", vmin=0, vmax=255, alpha=alpha, interpolation="nearest")
            else:
                ax.imshow(heat, cmap="jet", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{row['pred_class']}\nQ3 = {row['q3']:.0f}", fontsize=8)
            if r == 0:
                ax.text(
                    0.5, 1.42, m, transform=ax.transAxes, ha="center", fontsize=8, weight="bold"
                )
            if c == 0:
                ax.set_ylabel("clean" if it == 0 else f"DeepFool i={it}", fontsize=9)
    fig.tight_layout()
    plt.close(fig)
    return fig


def cam_q3_distribution(dist: pd.DataFrame) -> plt.Figure:
    """Q3 of the CAM over a fixed set of test images: one group of boxes per zoo model,
    one box per DeepFool iteration count (0 = clean)."""
    models = _cam_order(dist["model"].unique(), dist)
    its = sorted(dist["iterations"].unique())
    cmap = plt.get_cmap("coolwarm")
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(models) * len(its) / 2), 4.0))
    width = 0.8 / len(its)
    for k, it in enumerate(its):
        data = [dist[(dist["model"] == m) & (dist["iterations"] == it)]["q3"] for m in models]
        pos = [i + (k - (len(its) - 1) / 2) * width for i in range(len(models))]
        bp = ax.boxplot(
            data, positions=pos, widths=width * 0.9, patch_artist=True, showfliers=False
        )
        color = cmap(k / max(1, len(its) - 1))
        for patch in bp["boxes"]:
            patch.set_facecolor(color)
        bp["boxes"][0].set_label("clean" if it == 0 else f"DeepFool i={it}")
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels(models, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("Q3 of the CAM (0-255)")
    ax.set_ylim(0, 255)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


# =========================================================================== issue 6 block
