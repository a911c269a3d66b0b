"""Zhao et al.'s figures: transfer against compression, the eps x iterations grid, weight
and activation CDFs and perturbation amplitudes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from compression_robustness.evaluate.claims import wilson

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


def _nothing(text: str) -> plt.Figure:
    """A one-line figure saying why there is nothing to draw."""
    fig, ax = plt.subplots(figsize=(4, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center")
    return fig


def eps_iteration_grid(df: pd.DataFrame) -> plt.Figure:
    """Zhao et al. Fig. 3: accuracy of each LeNet5 (columns) on IFGSM examples crafted on
    the baseline, over the step ε (rows) and the iteration count (columns of each map).
    Without LeNet5 in the profile there is no grid: the figure says so."""
    if df.empty:
        return _nothing("no ε × iterations grid: LeNet5 is not in `archs`")
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


_READING_STYLE = {
    "l2": ("tab:blue", "o"),
    "raw-sum": ("tab:red", "s"),
    "raw-mean": ("tab:purple", "^"),
}


def ifgm_readings(readings: pd.DataFrame, ifgsm: pd.DataFrame, paper_eps: float) -> plt.Figure:
    """LeNet5: accuracy on IFGM examples crafted on the baseline against the examples' mean
    L2 size, one line per reading of IFGM's step, one panel per evaluated model, with 95%
    Wilson bands; a ringed point is the paper's ε. ``ifgsm``: the chapter's IFGSM rows of
    the same source (the paper's step), drawn as a star for scale."""
    if readings.empty:
        return _nothing("no IFGM readings: LeNet5 or `ifgm_readings` is not set")
    targets = list(dict.fromkeys(readings["target"]))
    fig, axes = plt.subplots(
        1, len(targets), figsize=(3.6 * len(targets) + 1.6, 3.3), squeeze=False, sharey=True
    )
    for ax, t in zip(axes[0], targets, strict=True):
        for r, g in readings[readings["target"] == t].groupby("reading", sort=False):
            g = g.sort_values("step")
            c, mk = _READING_STYLE.get(r, ("k", "."))
            n = g["n_examples"].to_numpy()
            k = g["accuracy"].to_numpy() * n
            lo, hi = zip(*(wilson(ki, ni) for ki, ni in zip(k, n, strict=True)), strict=True)
            x = g["mean_l2"].clip(lower=1e-4)
            ax.plot(x, 100 * g["accuracy"], color=c, marker=mk, ms=4, label=r)
            ax.fill_between(x, 100 * np.array(lo), 100 * np.array(hi), color=c, alpha=0.15)
            at = g[np.isclose(g["step"], paper_eps)]
            ax.plot(
                at["mean_l2"].clip(lower=1e-4), 100 * at["accuracy"], "o", ms=10, mfc="none",
                mec=c,
            )  # fmt: skip
        s = ifgsm[ifgsm["target"] == t]
        if len(s):
            ax.plot(
                s["mean_l2"], 100 * s["accuracy"], "*", color="k", ms=10, label="IFGSM (paper ε)"
            )
        ax.set_xscale("log")
        ax.set_xlabel("mean L2 of the perturbation ([0, 1] units)")
        ax.set_title(f"evaluated on {t}", fontsize=9)
        ax.set_ylim(-3, 103)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("accuracy (%)")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    fig.tight_layout()
    return fig
