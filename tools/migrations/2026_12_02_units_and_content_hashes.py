"""Migration of the committed results (2026-12-02, library redesign), idempotent.

1. Every stored cell gets its content hash and key in its Parquet metadata (cells written
   before this carried neither; their content is unchanged).
2. The sweep and anytime cells' ``eps_unit`` was a free string copied from the attack's
   description ("0-255 pixel units (L-inf)", ...); it is now the attack's ``Unit`` enum
   value ("0-255", "c", "none"). Those cells are re-keyed from their stored config_json
   (nothing is recomputed).
3. Every chapter's consolidated table is rebuilt and records the cells it holds.

Usage: python tools/migrations/2026_12_02_units_and_content_hashes.py [PROFILE ...]
"""

from __future__ import annotations

import sys

import pandas as pd

from compression_robustness import attacks as A
from compression_robustness.core import paths
from compression_robustness.evaluate.integrity import CONTENT_KEY, write_cell
from compression_robustness.evaluate.store import ResultStore, rekey

LEGACY_UNITS = {
    "0-255 pixel units (L-inf)": "0-255",
    "0-255 pixel units (L-inf); step alpha in the same units": "0-255",
    "0-255 pixel units (L-inf bound); strength also = rounds (max_iter)": "0-255",
    "0-255 pixel units (L-inf); strength also = generations (max_iter)": "0-255",
    "trade-off constant c (dimensionless; ART's initial_const, not confidence)": "c",
    "none: strength = iterations (overshoot 0.02, dimensionless)": "none",
}


def add_content_hashes(profile: str) -> int:
    import pyarrow.parquet as pq

    n = 0
    for f in sorted(paths.results_dir(profile).glob("*/*.parquet")):
        if CONTENT_KEY in (pq.read_schema(f).metadata or {}):
            continue
        write_cell(f, pd.read_parquet(f))
        n += 1
    return n


def unit_of(config: dict) -> dict:
    unit = config.get("eps_unit")
    if unit in LEGACY_UNITS:
        new = LEGACY_UNITS[unit]
        assert new == A.ATTACKS.get(config["attack"]).unit.value, config["attack"]
        config["eps_unit"] = new
    return config


def main(profiles: list[str]) -> None:
    for profile in profiles:
        print(f"{profile}: content hashes added to {add_content_hashes(profile)} cells")
        for chapter in ("sweep", "anytime"):
            moved = rekey(profile, chapter, unit_of)
            print(f"{profile}/{chapter}: {moved} cells re-keyed (eps_unit as the Unit enum)")
        root = paths.results_dir(profile)
        for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            ResultStore(profile, d.name).table()
        print(f"{profile}: consolidated tables rebuilt")


if __name__ == "__main__":
    main(sys.argv[1:] or ["cpu"])
