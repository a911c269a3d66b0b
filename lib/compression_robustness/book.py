"""The book's generated pages: the profiles table, the compute table, and the folding of
the executed chapters' parameter cells (``python -m compression_robustness ...``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from compression_robustness import zoo
from compression_robustness.core import paths
from compression_robustness.core.params import PROFILES, check_profile, load_profile, recipe_profile

#: What each profile is for (shown in the book's introduction).
PROFILE_PURPOSE = {
    "smoke": "CI and tests: tiny subsets, 1-epoch models; minutes on 2 CPU cores",
    "cpu": "the published book: bounded to hours on 2 CPU cores, cached and resumable",
    "gpu": "one modern GPU: the authors' training schedules, every CIFAR-10 model, "
    "attacks sized for hours (estimated, not yet measured on a GPU)",
    "paper": "the authors' full settings, for users with GPUs",
}


def _flat_profile(profile: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """``(section, parameter) -> value`` of a profile's chapter sections."""
    return {(s, k): v for s, d in profile.items() if isinstance(d, dict) for k, v in d.items()}


def profiles_markdown() -> str:
    """A Markdown table of every profile's chapter parameters, read from ``params/``."""
    profiles = {p: _flat_profile(load_profile(p)) for p in PROFILES}
    keys = list(dict.fromkeys(k for d in profiles.values() for k in d))
    lines = [
        "| parameter | " + " | ".join(f"`{p}`" for p in PROFILES) + " |",
        "|---|" + "---|" * len(PROFILES),
        "| purpose | " + " | ".join(PROFILE_PURPOSE[p] for p in PROFILES) + " |",
    ]
    for k in keys:
        cells = []
        for p in PROFILES:
            v = profiles[p].get(k, "")
            if v is None:
                v = "all"
            elif v == []:
                v = "profile default"
            elif isinstance(v, dict):
                v = "<br>".join(
                    f"{k}: "
                    + " × ".join(
                        f"{ax} " + ", ".join(map(str, vals))
                        if isinstance(vals, list)
                        else f"{ax} {vals}"
                        for ax, vals in sub.items()
                    )
                    if isinstance(sub, dict)
                    else f"{k}: {sub}"
                    for k, sub in v.items()
                )
            elif isinstance(v, list):
                v = ", ".join(map(str, v))
            cells.append(str(v))
        lines.append(f"| {k[0]}: `{k[1]}` | " + " | ".join(cells) + " |")
    for name in zoo.ZOO.names():
        entry = zoo.ZOO.get(name)
        cells = []
        for p in PROFILES:
            r = entry.schedule(p)
            sub = f" on {r['train_subset']} images" if r.get("train_subset") else ""
            mark = "" if recipe_profile(p) in entry.profiles else " (on request)"
            cells.append(f"{r['epochs']} epochs{sub}{mark}")
        lines.append(f"| training of `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- compute
#: the cpu profile's budget for computing the whole book from scratch, in CPU-hours
CPU_BUDGET_HOURS = 8.0
#: which chapter a trained model belongs to, by the start of its zoo name
TRAINING_CHAPTER = {
    "resnet": "zoo",
    "galloway": "bnn_mnist",
    "lenet5": "transferability",
    "cifarnet": "transferability",
    "m56_": "pixel_noise",
}


def compute_summary(profile: str) -> pd.DataFrame:
    """The measured CPU time behind a profile's committed results, per chapter.

    Training minutes are the ``train_seconds`` of every checkpoint manifest of the profile;
    cell minutes are the ``wall_seconds`` of every stored cell (one per config hash). Both
    were measured on one thread; they include any contention from other jobs on the
    machine at the time.
    """
    check_profile(profile)
    rows: dict[str, dict[str, float]] = {}

    def row(chapter: str) -> dict[str, float]:
        return rows.setdefault(
            chapter, {"models": 0, "train_minutes": 0.0, "cells": 0, "cell_minutes": 0.0}
        )

    for f in sorted(paths.checkpoints_dir(profile).glob("*.json")):
        m = json.loads(f.read_text())
        chapter = next((c for p, c in TRAINING_CHAPTER.items() if m["name"].startswith(p)), "other")
        r = row(chapter)
        r["models"] += 1
        r["train_minutes"] += m.get("train_seconds", 0.0) / 60
    root = paths.results_dir(profile)
    for d in sorted(p for p in root.glob("*") if p.is_dir()) if root.is_dir() else ():
        files = sorted(d.glob("*.parquet"))
        if not files:
            continue
        r = row(d.name)
        for f in files:
            t = pd.read_parquet(f, columns=["config_hash", "wall_seconds"])
            t = t.drop_duplicates("config_hash")
            r["cells"] += len(t)
            r["cell_minutes"] += float(t["wall_seconds"].sum()) / 60
    df = pd.DataFrame.from_dict(rows, orient="index").rename_axis("chapter").reset_index()
    if df.empty:
        return df
    df["total_minutes"] = df["train_minutes"] + df["cell_minutes"]
    return df.sort_values("total_minutes", ascending=False, ignore_index=True)


def compute_markdown(profile: str) -> str:
    """:func:`compute_summary` as a Markdown table with totals and the cpu budget."""
    df = compute_summary(profile)
    if df.empty:
        return f"No results or trained models are stored for profile `{profile}`.\n"
    lines = [
        "| chapter | models trained | training (CPU-min) | result cells | cells (CPU-min) "
        "| total (CPU-h) |",
        "|---|---|---|---|---|---|",
    ]
    for r in df.itertuples():
        lines.append(
            f"| {r.chapter} | {int(r.models)} | {r.train_minutes:.0f} | {int(r.cells)} "
            f"| {r.cell_minutes:.0f} | {r.total_minutes / 60:.1f} |"
        )
    tot = df.sum(numeric_only=True)
    lines.append(
        f"| **all** | {int(tot.models)} | {tot.train_minutes:.0f} | {int(tot.cells)} "
        f"| {tot.cell_minutes:.0f} | **{tot.total_minutes / 60:.1f}** |"
    )
    text = "\n".join(lines) + "\n"
    if profile == "cpu":
        hours = tot.total_minutes / 60
        verdict = "within" if hours <= CPU_BUDGET_HOURS else "over"
        text += (
            f"\nMeasured total: {hours:.1f} CPU-hours, {verdict} the `cpu` profile's budget of "
            f"{CPU_BUDGET_HOURS:g} CPU-hours ({hours / CPU_BUDGET_HOURS:.1f}× the budget).\n"
        )
    return text


def fold_parameters(notebooks) -> None:
    """Tag the parameters and papermill's injected-parameters cells of executed chapters
    ``hide-cell``, so that the book shows them folded."""
    for path in map(Path, notebooks):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if {"parameters", "injected-parameters"} & set(tags) and "hide-cell" not in tags:
                tags.append("hide-cell")
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
