"""Results that cannot be silently altered.

Every result cell is a Parquet file whose schema metadata records the sha256 of its
content (the Arrow data, metadata aside) and the config key that names it. Reading a cell
checks both: a hand-edited cell (its bytes rewritten by pandas or any other tool) and a
cell under another name are refused with an error that names the file and says how to
recompute it. A chapter's consolidated table records the key and content hash of every
cell it was built from. :func:`verify` checks a whole profile: every checkpoint against
its manifest and every cell and table against its records
(``python -m compression_robustness verify``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from compression_robustness.core import paths
from compression_robustness.core.io import atomic_write, write_bytes_if_changed
from compression_robustness.core.provenance import content_hash, sha256_file

CONTENT_KEY = b"crs_content_sha256"
CONFIG_KEY = b"crs_config_hash"
CELLS_KEY = b"crs_cells"


class CellIntegrityError(RuntimeError):
    """A stored result cell does not match its recorded content hash or its name."""


def _strip(table: pa.Table) -> pa.Table:
    return table.replace_schema_metadata(None)


def content_sha256(table: pa.Table) -> str:
    """The sha256 of a table's data (column names, types and values; no metadata)."""
    sink = pa.BufferOutputStream()
    t = _strip(table)
    with pa.ipc.new_stream(sink, t.schema) as w:
        w.write_table(t)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _table(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def cell_key(chapter: str, config: dict) -> str:
    """The key (file name) of a cell: the hash of its chapter and config."""
    return content_hash({"chapter": chapter, **config})


def write_cell(path: Path, df: pd.DataFrame) -> str:
    """Write a cell atomically with its content hash and key; returns the content hash."""
    # the hash of the table as Parquet gives it back (types can change on the round trip)
    table = pq.read_table(pa.BufferReader(_parquet_bytes(_table(df))))
    digest = content_sha256(table)
    meta = dict(table.schema.metadata or {})
    meta[CONTENT_KEY] = digest.encode()
    meta[CONFIG_KEY] = Path(path).stem.encode()
    data = _parquet_bytes(table.replace_schema_metadata(meta))
    atomic_write(Path(path), lambda tmp: tmp.write_bytes(data))
    return digest


def _recompute_hint(path: Path) -> str:
    chapter = path.parent.name
    return (
        f"delete {path} and run the `{chapter}` chapter again to recompute it "
        "(or restore the file with `git checkout`)"
    )


def read_cell(path: Path) -> pd.DataFrame:
    """A stored cell, after checking its content hash and that its name is its key."""
    path = Path(path)
    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    recorded = meta.get(CONTENT_KEY)
    if recorded is None:
        raise CellIntegrityError(
            f"result cell {path} records no content hash (written by hand or by an old "
            f"version); refusing to use it: {_recompute_hint(path)}"
        )
    actual = content_sha256(table)
    if actual != recorded.decode():
        raise CellIntegrityError(
            f"result cell {path} was altered: its content hash is {actual[:16]}..., "
            f"it records {recorded.decode()[:16]}...; refusing to use it: "
            f"{_recompute_hint(path)}"
        )
    df = table.to_pandas()
    if "config_json" in df and len(df):
        key = cell_key(path.parent.name, json.loads(df["config_json"].iloc[0]))
        if key != path.stem or meta.get(CONFIG_KEY, b"").decode() != path.stem:
            raise CellIntegrityError(
                f"result cell {path} holds the cell {key} (its config does not give its "
                f"name); refusing to use it: {_recompute_hint(path)}"
            )
    return df


def cell_digest(path: Path) -> str:
    """The content hash a cell records (no verification)."""
    meta = pq.read_schema(path).metadata or {}
    return meta.get(CONTENT_KEY, b"").decode()


def write_table(path: Path, df: pd.DataFrame, cells: dict[str, str]) -> bool:
    """Write a consolidated table that records the cells (key -> content hash) it was
    built from; an unchanged table is not rewritten. Returns whether it wrote."""
    table = _table(df)
    meta = dict(table.schema.metadata or {})
    meta[CELLS_KEY] = json.dumps(cells, sort_keys=True).encode()
    return write_bytes_if_changed(Path(path), _parquet_bytes(table.replace_schema_metadata(meta)))


def table_cells(path: Path) -> dict[str, str] | None:
    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(CELLS_KEY)
    return None if raw is None else json.loads(raw)


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str


def verify_checkpoints(profile: str) -> tuple[int, list[Problem]]:
    """Every manifest of the profile against its weights file (where that is present)."""
    problems, n = [], 0
    folder = paths.checkpoints_dir(profile)
    for manifest in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        if manifest.name.endswith(".state.json"):
            continue  # the resumable state of an unfinished training run, not a checkpoint
        n += 1
        m = json.loads(manifest.read_text())
        if not manifest.stem.startswith(f"{m.get('name')}-"):
            problems.append(Problem(manifest, f"manifest of {m.get('name')!r} under another name"))
        candidates = [
            manifest.with_suffix(".safetensors"),
            paths.large_checkpoints_dir(profile) / f"{manifest.stem}.safetensors",
        ]
        weights = next((p for p in candidates if p.is_file()), None)
        if weights is None:
            if m.get("weights_committed", True):
                problems.append(Problem(manifest, "its committed weights file is missing"))
            continue
        if sha256_file(weights) != m.get("sha256"):
            problems.append(Problem(weights, "sha256 differs from its manifest"))
    return n, problems


def verify_results(profile: str) -> tuple[int, list[Problem]]:
    """Every cell of the profile and every consolidated table against its records."""
    problems, n = [], 0
    root = paths.results_dir(profile)
    chapters = sorted(p for p in root.glob("[!.]*") if p.is_dir()) if root.is_dir() else []
    for chapter in chapters:
        digests = {}
        for f in sorted(chapter.glob("*.parquet")):
            n += 1
            try:
                read_cell(f)
                digests[f.stem] = cell_digest(f)
            except CellIntegrityError as exc:
                problems.append(Problem(f, str(exc)))
        table = root / f"{chapter.name}.parquet"
        if table.is_file():
            recorded = table_cells(table)
            if recorded is None:
                problems.append(Problem(table, "records no cells"))
            elif recorded != digests:
                missing = set(digests) - set(recorded)
                extra = set(recorded) - set(digests)
                changed = {k for k in set(digests) & set(recorded) if digests[k] != recorded[k]}
                problems.append(
                    Problem(
                        table,
                        f"built from other cells than those stored ({len(missing)} stored cells "
                        f"absent from it, {len(extra)} in it no longer stored, {len(changed)} "
                        f"changed since); rebuild it by running the `{chapter.name}` chapter",
                    )
                )
    return n, problems
