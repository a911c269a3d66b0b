"""The results store: tidy tables of content-addressed, atomically written cells.

A *cell* is one unit of computation (for example: one model, one attack setting, one
seed). Its key is the hash of its full config. :meth:`ResultStore.cell` returns the
cell's rows from ``data/results/<profile>/<chapter>/<key>.parquet`` when present and
otherwise computes them, adds the config and provenance columns, and writes the file
atomically (write to a temporary name, then rename). A cell that is present is never
recomputed, unless ``CRS_FORCE=1`` (``make reproduce FORCE=1``). Cells share no mutable
state, so a sweep can be killed at any point and resumed, or spread over machines.

:meth:`ResultStore.table` gathers every cell into ``data/results/<profile>/<chapter>.parquet``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from compression_robustness.core import paths
from compression_robustness.core.params import check_profile
from compression_robustness.core.provenance import canonical_json, content_hash, provenance

#: Columns every chapter table has (beyond its own).
CORE_COLUMNS = [
    "dataset",
    "arch",
    "variant",
    "attack",
    "eps",
    "eps_unit",
    "iterations",
    "seed",
    "n_examples",
    "accuracy",
    "loss",
]
PROVENANCE_COLUMNS = [
    "config_hash",
    "config_json",
    "profile",
    "chapter",
    "git_commit",
    "torch_version",
    "art_version",
    "numpy_version",
    "python_version",
    "machine",
    "wall_seconds",
    "computed_at",
]


def force() -> bool:
    return os.environ.get("CRS_FORCE", "").strip() not in ("", "0", "false", "no")


#: environment variable naming a file to which every cell read or computed is appended
#: (``<chapter>\t<config hash>`` lines); see :func:`unused_cells`
USED_LOG_ENV = "CRS_USED_LOG"


def _log_use(chapter: str, key: str) -> None:
    log = os.environ.get(USED_LOG_ENV, "").strip()
    if log:
        with open(log, "a") as fh:
            fh.write(f"{chapter}\t{key}\n")


def unused_cells(profile: str, used_log: Path) -> pd.DataFrame:
    """Stored cells that a run logged in ``used_log`` (see :data:`USED_LOG_ENV`) never
    touched, in the chapters it ran: results of configurations the book no longer uses
    (an old checkpoint, a changed grid). Columns: ``chapter, config_hash, path,
    wall_seconds``. Chapters absent from the log are not examined."""
    used: dict[str, set[str]] = {}
    for line in Path(used_log).read_text().splitlines():
        if line.strip():
            chapter, key = line.split("\t")
            used.setdefault(chapter, set()).add(key)
    rows = []
    for chapter, keys in sorted(used.items()):
        for f in sorted(ResultStore(profile, chapter).root.glob("*.parquet")):
            if f.stem not in keys:
                t = pd.read_parquet(f, columns=["wall_seconds"])
                wall = float(t["wall_seconds"].iloc[0]) if len(t) else 0.0
                rows.append(
                    {"chapter": chapter, "config_hash": f.stem, "path": f, "wall_seconds": wall}
                )
    return pd.DataFrame(rows, columns=["chapter", "config_hash", "path", "wall_seconds"])


class ResultStore:
    def __init__(self, profile: str, chapter: str, root: Path | None = None):
        self.profile = check_profile(profile)
        self.chapter = chapter
        self.root = (root or paths.results_dir(profile)) / chapter
        self.computed = 0  # cells computed in this process
        self.reused = 0  # cells read back from disk

    @property
    def table_path(self) -> Path:
        return self.root.parent / f"{self.chapter}.parquet"

    def key(self, config: dict[str, Any]) -> str:
        return content_hash({"chapter": self.chapter, **config})

    def path(self, config: dict[str, Any]) -> Path:
        return self.root / f"{self.key(config)}.parquet"

    def has(self, config: dict[str, Any]) -> bool:
        return self.path(config).is_file()

    def cell(
        self, config: dict[str, Any], compute: Callable[[], pd.DataFrame | dict | list]
    ) -> pd.DataFrame:
        """The rows of the cell ``config``: read back if stored, else computed and stored."""
        target = self.path(config)
        _log_use(self.chapter, target.stem)
        if target.is_file() and not force():
            self.reused += 1
            return pd.read_parquet(target)
        t0 = time.perf_counter()
        rows = compute()
        wall = time.perf_counter() - t0
        df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        df = df.copy()
        for k, v in config.items():
            if k not in df.columns and not isinstance(v, list | dict | tuple):
                df[k] = v
        df["config_hash"] = self.key(config)
        df["config_json"] = canonical_json(config)
        df["profile"] = self.profile
        df["chapter"] = self.chapter
        for k, v in provenance().items():
            df[k] = v
        df["wall_seconds"] = round(wall, 3)
        df["computed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        df.to_parquet(tmp, index=False)
        tmp.replace(target)
        self.computed += 1
        return df

    def cells(
        self,
        configs: Iterable[dict[str, Any]],
        compute: Callable[[dict[str, Any]], pd.DataFrame | dict | list],
        desc: str | None = None,
        progress: bool = True,
    ) -> pd.DataFrame:
        """Run (or read back) many cells with a progress bar over cells and an ETA."""
        from tqdm import tqdm

        configs = list(configs)
        todo = sum(not self.has(c) or force() for c in configs)
        frames = []
        with tqdm(
            total=len(configs),
            desc=desc or f"{self.chapter} ({todo} to compute)",
            unit="cell",
            disable=not progress,
        ) as bar:
            for cfg in configs:
                frames.append(self.cell(cfg, lambda cfg=cfg: compute(cfg)))
                bar.update(1)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def table(self, write: bool = True) -> pd.DataFrame:
        """All stored cells of this chapter as one table (written to ``<chapter>.parquet``)."""
        files = sorted(self.root.glob("*.parquet"))
        if not files:
            return pd.DataFrame(columns=CORE_COLUMNS + PROVENANCE_COLUMNS)
        df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        if write:
            tmp = self.table_path.with_name(self.table_path.name + f".tmp{os.getpid()}")
            df.to_parquet(tmp, index=False)
            tmp.replace(self.table_path)
        return df


def load_table(profile: str, chapter: str) -> pd.DataFrame:
    """Read a chapter's table (from its cells when present, else the consolidated file)."""
    store = ResultStore(profile, chapter)
    if store.root.is_dir():
        return store.table(write=False)
    return pd.read_parquet(store.table_path)
