"""Every figure of the book comes from one function here.

Functions take tidy results tables and return a matplotlib ``Figure``; they never compute
attacks.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from .metrics import breaking_iteration

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


def _variant_colors(variants) -> dict[str, tuple]:
    cmap = plt.get_cmap("tab10")
    ordered = sorted(
        variants, key=lambda v: (VARIANT_ORDER.index(v) if v in VARIANT_ORDER else 99, v)
    )
    return {v: cmap(i % 10) for i, v in enumerate(ordered)}


def pgd_curves(df: pd.DataFrame, chance: float, title: str | None = None) -> plt.Figure:
    """BreakingBED Fig. 2: accuracy (solid) and loss (dashed) against PGD iterations.

    One panel per architecture, one colour per variant. Lines are the mean over reruns;
    the band spans the reruns' minimum to maximum. The horizontal dotted line is the
    breaking line at chance level; a marker on it shows each variant's breaking iteration
    (the first recorded iteration whose mean accuracy is below chance). The converged
    accuracy and loss (mean over the last 20% of iterations) are written at the right end.
    """
    archs = list(dict.fromkeys(df["arch"]))
    colors = _variant_colors(df["variant"].unique())
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


FAMILY_MARKERS = {"vanilla": "o", "distilled": "D", "pruned": "s", "binary": "^"}


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


def variant_rank(variant: str) -> int:
    """Sort key that puts variants in the paper's order (vanilla, kd, pruned, binary)."""
    return VARIANT_ORDER.index(variant) if variant in VARIANT_ORDER else len(VARIANT_ORDER)


ATTACK_TITLES = {
    "fgsm": ("FGSM", "ε (0-255)"),
    "pgd": ("PGD, i = 3", "ε (0-255)"),
    "cw_l2": ("C&W-L2, c = 1", "iterations"),
    "deepfool": ("DeepFool", "iterations"),
    "local_search": ("LocalSearch, ε = 16", "rounds"),
    "genattack": ("GenAttack, ε = 8, N = 16", "generations"),
}


def stress_strain(curves: pd.DataFrame, arch: str | None = None) -> plt.Figure:
    """BreakingBED Fig. 3: strain (relative accuracy loss) against each attack's stress.

    One panel per attack, one line per variant (and one marker and line style per
    architecture when ``curves`` holds several and ``arch`` is None, so ResNet56 and ResNet20
    share the panels); the dotted lines mark the classification
    thresholds of :func:`compression_robustness.metrics.classify_curve` (brittle above 0.8
    at the smallest stress, strong below 0.5 everywhere).
    """
    from .metrics import BREAK_STRAIN, STRONG_STRAIN

    if arch is not None:
        curves = curves[curves["arch"] == arch]
    attacks = [a for a in ATTACK_TITLES if a in set(curves["attack"])]
    colors = _variant_colors(curves["variant"].unique())
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
        title, xlabel = ATTACK_TITLES[attack]
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"stress: {xlabel}")
        ax.set_ylabel("strain (A - A*)/A")
        ax.set_ylim(-0.05, 1.05)
        if attack in ("fgsm", "pgd"):
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
    from .metrics import strain

    d = df.assign(strain=strain(df["clean_accuracy"], df["accuracy"]))
    attacks = [a for a in ATTACK_TITLES if a in set(d["attack"])]
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
    ax.set_xticklabels([ATTACK_TITLES[a][0].split(",")[0] for a in attacks])
    ax.set_ylabel("strain (A - A*)/A over the grid")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, ncol=len(families))
    fig.tight_layout()
    plt.close(fig)
    return fig


# =========================================================================== pixel_noise
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
    from .cam import heat_array

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
_SCENARIO_STYLE = {
    "compressed->compressed": ("tab:blue", "-", "o"),
    "baseline->compressed": ("tab:orange", "--", "s"),
    "compressed->baseline": ("tab:green", ":", "^"),
}


def transfer_vs_compression(df: pd.DataFrame, x: str, base: pd.DataFrame) -> plt.Figure:
    """Zhao et al. Fig. 2 (``x="density"``) and Fig. 4 (``x="bits"``): accuracy under each
    attack against the density or bitwidth, one line per scenario, one panel per
    (architecture, attack). ``base`` holds the baseline's white-box rows (its accuracy
    under its own attack, dashed grey) and clean accuracy (solid grey)."""
    archs = list(dict.fromkeys(df["arch"]))
    attacks = list(dict.fromkeys(df["attack"]))
    fig, axes = plt.subplots(
        len(archs), len(attacks), figsize=(4.2 * len(attacks), 3.3 * len(archs)), squeeze=False
    )
    for i, arch in enumerate(archs):
        for j, atk in enumerate(attacks):
            ax = axes[i][j]
            sub = df[(df["arch"] == arch) & (df["attack"] == atk)]
            for sc, g in sub.groupby("scenario"):
                c, ls, mk = _SCENARIO_STYLE.get(sc, ("k", "-", "."))
                g = g.sort_values(x)
                ax.plot(g[x], 100 * g["accuracy"], color=c, ls=ls, marker=mk, label=sc)
            b = base[(base["arch"] == arch) & (base["attack"] == atk)]
            if len(b):
                ax.axhline(
                    100 * b["clean_accuracy"].iloc[0], color="0.5", lw=1, label="base, clean"
                )
                ax.axhline(
                    100 * b["accuracy"].iloc[0], color="0.5", lw=1, ls="--", label="base, white-box"
                )
            if x == "density":
                ax.set_xscale("log")
                ticks = sorted(sub[x].unique())
                ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
                ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
                ax.set_xlabel("density (fraction of weights kept)")
            else:
                ax.set_xlabel("bitwidth (weights and activations)")
            ax.set_ylabel("accuracy under attack (%)")
            ax.set_ylim(-3, 103)
            ax.set_title(f"{arch}, {atk}")
            ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def eps_iteration_grid(df: pd.DataFrame) -> plt.Figure:
    """Zhao et al. Fig. 3: accuracy of each LeNet5 (columns) on IFGSM examples crafted on
    the baseline, over the step ε (rows) and the iteration count (columns of each map).
    Without LeNet5 in the profile there is no grid: the figure says so."""
    if df.empty:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no ε × iterations grid: LeNet5 is not in `tr_archs`", ha="center")
        return fig
    targets = list(dict.fromkeys(df["target"]))
    fig, axes = plt.subplots(1, len(targets), figsize=(3.8 * len(targets), 3.4), squeeze=False)
    for ax, t in zip(axes[0], targets, strict=True):
        g = df[df["target"] == t].pivot_table(index="step", columns="iterations", values="accuracy")
        im = ax.imshow(
            100 * g.values, vmin=0, vmax=100, cmap="viridis", origin="lower", aspect="auto"
        )
        ax.set_xticks(range(len(g.columns)), [str(c) for c in g.columns])
        ax.set_yticks(range(len(g.index)), [f"{e:g}" for e in g.index])
        for (r, c), v in np.ndenumerate(100 * g.values):
            ax.text(
                c, r, f"{v:.0f}", ha="center", va="center", fontsize=7, color="w" if v < 60 else "k"
            )
        ax.set_xlabel("iterations")
        ax.set_ylabel("IFGSM step ε")
        ax.set_title(f"evaluated on {t}", fontsize=9)
    fig.colorbar(im, ax=axes[0].tolist(), label="accuracy (%)", shrink=0.8)
    return fig


def weight_activation_cdfs(stats: pd.DataFrame, arch: str) -> plt.Figure:
    """Zhao et al. Fig. 5: cumulative distributions of the weights and of the activations
    of ``arch`` per bitwidth (the baseline is 32-bit floating point)."""
    sub = stats[(stats["arch"] == arch) & (stats["compression"] != "dns")]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    cmap = plt.get_cmap("viridis")
    bits = sorted(sub["bits"].unique())
    for ax, kind in zip(axes, ("weights", "activations"), strict=True):
        for i, b in enumerate(bits):
            g = sub[(sub["kind"] == kind) & (sub["bits"] == b)].sort_values("p")
            lab = "float32 (base)" if b == 32 else f"{b} bits"
            ax.step(
                g["value"], g["p"], where="post", color=cmap(i / max(1, len(bits) - 1)), label=lab
            )
        ax.set_xlabel(f"{kind[:-1]} value")
        ax.set_ylabel("cumulative fraction")
        ax.set_title(f"{arch}: {kind}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def perturbation_amplitude(df: pd.DataFrame) -> plt.Figure:
    """Zhao et al. Fig. 6: mean absolute perturbation per pixel of each attack's examples,
    crafted on each model (white-box: compressed->compressed and the baseline)."""
    archs = list(dict.fromkeys(df["arch"]))
    fig, axes = plt.subplots(1, len(archs), figsize=(5.6 * len(archs), 3.4), squeeze=False)
    for ax, arch in zip(axes[0], archs, strict=True):
        sub = df[df["arch"] == arch]
        order = sub.assign(
            _c=sub["compression"].map({"none": 0, "dns": 1, "fixed_point": 2}),
            _d=-sub["density"],
            _b=-sub["bits"],
        ).sort_values(["_c", "_d", "_b"])
        models = list(dict.fromkeys(order["source"]))
        attacks = list(dict.fromkeys(sub["attack"]))
        w = 0.8 / len(attacks)
        for k, atk in enumerate(attacks):
            g = sub[sub["attack"] == atk].set_index("source").reindex(models)
            ax.bar(np.arange(len(models)) + k * w, g["mean_abs_perturbation"], w, label=atk)
        ax.set_xticks(
            np.arange(len(models)) + 0.4 - w / 2,
            [m.split("-", 1)[1] for m in models],
            rotation=45,
            fontsize=8,
        )
        ax.set_ylabel("mean |perturbation| per pixel ([0,1])")
        ax.set_title(arch)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


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
