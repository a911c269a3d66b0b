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

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from compression_robustness.core import paths
from compression_robustness.core.io import file_lock
from compression_robustness.core.params import check_profile
from compression_robustness.core.provenance import canonical_json, content_hash, provenance
from compression_robustness.evaluate.integrity import (
    cell_digest,
    read_cell,
    write_cell,
    write_table,
)
from compression_robustness.runtime import ray_executor as RX

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


#: how missing cells are computed (``CRS_EXECUTOR``: serial or ray), see
#: :mod:`compression_robustness.runtime.ray_executor`
EXECUTOR_ENV, EXECUTORS, executor = RX.EXECUTOR_ENV, RX.EXECUTORS, RX.executor


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
        """The rows of the cell ``config``: read back if stored (after checking its content
        hash and name), else computed and stored. A second process that asks for the same
        cell while it is computed waits for it and reads it back."""
        target = self.path(config)
        _log_use(self.chapter, target.stem)
        if target.is_file() and not force():
            self.reused += 1
            return read_cell(target)
        with file_lock(target, what=f"the {self.chapter} cell {target.stem}"):
            if target.is_file() and not force():
                self.reused += 1
                return read_cell(target)
            t0 = time.perf_counter()
            rows = compute()
            wall = time.perf_counter() - t0
            df = self._with_provenance(config, rows, wall)
            write_cell(target, df)
        self.computed += 1
        return df

    def _cells_ray(self, configs, missing, compute, bar) -> list[pd.DataFrame]:
        """The missing cells as Ray tasks, each written as soon as it finishes (a killed
        driver loses only the cells in flight); the stored ones read back."""
        frames: list[pd.DataFrame | None] = [None] * len(configs)
        todo = set(missing)
        for i, cfg in enumerate(configs):
            if i not in todo:
                frames[i] = self.cell(cfg, lambda: None)  # stored: read back
                bar.update(1)
        jobs = [configs[i] for i in missing]
        for j, rows, wall, prov in RX.run_cells(jobs, compute, self.profile):
            cfg = configs[missing[j]]
            target = self.path(cfg)
            _log_use(self.chapter, target.stem)
            with file_lock(target, what=f"the {self.chapter} cell {target.stem}"):
                df = self._with_provenance(cfg, rows, wall, prov)
                write_cell(target, df)
            self.computed += 1
            frames[missing[j]] = df
            bar.update(1)
        return frames

    def _with_provenance(
        self, config: dict[str, Any], rows, wall: float, prov: dict[str, str] | None = None
    ) -> pd.DataFrame:
        df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
        df = df.copy()
        for k, v in config.items():
            if k not in df.columns and not isinstance(v, list | dict | tuple):
                df[k] = v
        df["config_hash"] = self.key(config)
        df["config_json"] = canonical_json(config)
        df["profile"] = self.profile
        df["chapter"] = self.chapter
        for k, v in (prov or provenance()).items():
            df[k] = v
        df["wall_seconds"] = round(wall, 3)
        df["computed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
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
        missing = [i for i, c in enumerate(configs) if not self.has(c) or force()]
        how = executor()
        frames: list[pd.DataFrame | None] = [None] * len(configs)
        with tqdm(
            total=len(configs),
            desc=desc or f"{self.chapter} ({len(missing)} to compute)",
            unit="cell",
            disable=not progress,
        ) as bar:
            if how == "ray" and missing:
                frames = self._cells_ray(configs, missing, compute, bar)
            else:
                for i, cfg in enumerate(configs):
                    frames[i] = self.cell(cfg, lambda cfg=cfg: compute(cfg))
                    bar.update(1)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def table(self, write: bool = True) -> pd.DataFrame:
        """All stored cells of this chapter as one table, each checked on reading. With
        ``write``, the consolidated ``<chapter>.parquet`` records the cells it was built
        from and is rewritten only when its content changes (a cached run writes nothing)."""
        files = sorted(self.root.glob("*.parquet"))
        if not files:
            return pd.DataFrame(columns=CORE_COLUMNS + PROVENANCE_COLUMNS)
        df = pd.concat([read_cell(f) for f in files], ignore_index=True)
        if write:
            with file_lock(self.table_path, what=f"the {self.chapter} table"):
                write_table(self.table_path, df, {f.stem: cell_digest(f) for f in files})
        return df

    def rekey(self, transform: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
        """Re-key the stored cells: each cell's config becomes ``transform(config)``, its
        rows' ``config_json``/``config_hash`` and the columns that mirror a changed config
        value follow, and it moves to its new name; nothing is recomputed. Returns the
        number of cells moved; the consolidated table is rebuilt. Idempotent: a cell whose
        config ``transform`` leaves as it is stays untouched. Two cells that would get the
        same name are refused before anything is moved."""
        plan = []
        for f in sorted(self.root.glob("*.parquet")):
            df = read_cell(f)
            old = json.loads(df["config_json"].iloc[0])
            new = transform(json.loads(df["config_json"].iloc[0]))
            if canonical_json(new) != canonical_json(old):
                plan.append((f, df, old, new))
        targets = [self.path(new) for _, _, _, new in plan]
        moving = {f for f, _, _, _ in plan}
        for t, (_, _, _, new) in zip(targets, plan, strict=True):
            # a target already there from an interrupted re-keying holds this very config
            taken = t.is_file() and t not in moving and _stored_config(t) != canonical_json(new)
            if targets.count(t) > 1 or taken:
                raise ValueError(f"re-keying would overwrite the stored cell {t}; nothing moved")
        for (_, df, old, new), target in zip(plan, targets, strict=True):
            for k, v in new.items():
                if k in df.columns and _mirrors(df[k], old.get(k)) and not _same(old.get(k), v):
                    df[k] = v  # a column that mirrors a changed config value
            df["config_hash"] = self.key(new)
            df["config_json"] = canonical_json(new)
            write_cell(target, df)
        for f in moving - set(targets):
            f.unlink()
        if plan:
            self.table()
        return len(plan)


def _stored_config(path: Path) -> str:
    return str(pd.read_parquet(path, columns=["config_json"])["config_json"].iloc[0])


def _same(a: Any, b: Any) -> bool:
    return canonical_json(a) == canonical_json(b)


def _mirrors(column: pd.Series, value: Any) -> bool:
    """Whether every row of ``column`` holds the config ``value`` (NaN matching NaN)."""
    if isinstance(value, list | dict | tuple) or not len(column):
        return False
    if value is None or (isinstance(value, float) and value != value):
        return bool(column.isna().all())
    return bool((column.astype(object) == value).all())


def rekey(
    profile: str,
    chapter: str,
    transform: Callable[[dict[str, Any]], dict[str, Any]],
    root: Path | None = None,
) -> int:
    """Re-key the stored cells of ``chapter`` from their stored configs (see
    :meth:`ResultStore.rekey`); returns the number of cells moved."""
    return ResultStore(profile, chapter, root=root).rekey(transform)


def load_table(profile: str, chapter: str) -> pd.DataFrame:
    """Read a chapter's table (from its cells when present, else the consolidated file)."""
    store = ResultStore(profile, chapter)
    if store.root.is_dir():
        return store.table(write=False)
    return pd.read_parquet(store.table_path)
