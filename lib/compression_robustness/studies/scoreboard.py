"""The scoreboard: every claim of the four papers with its verdict, from committed results.

Each paper's ``claims.decisions(profile)`` decides its own claims through the claims engine
(:mod:`compression_robustness.evaluate.claims`); this module gathers them, checks that every
claim of ``data/reference/claims.csv`` is decided exactly once, writes the table
``data/results/<profile>/scoreboard.parquet`` and gives each chapter its slice.
Nothing here computes an attack or loads a model: it reads results tables only.
"""

from __future__ import annotations

import html

import pandas as pd

from compression_robustness.core import paths
from compression_robustness.core.params import check_profile
from compression_robustness.core.provenance import sha256_file
from compression_robustness.evaluate import claims as CL
from compression_robustness.evaluate.integrity import write_table
from compression_robustness.studies.breakingbed import claims as breakingbed
from compression_robustness.studies.cheng import claims as cheng
from compression_robustness.studies.galloway import claims as galloway
from compression_robustness.studies.zhao import claims as zhao

#: the papers in the book's order, each with the module that decides its claims
PAPERS = {
    "breakingbed": breakingbed,
    "galloway": galloway,
    "zhao": zhao,
    "cheng": cheng,
}

#: how the book names the papers
PAPER_TITLES = {
    "breakingbed": "BreakingBED (Vemparala et al.)",
    "galloway": "Galloway et al.",
    "zhao": "Zhao et al.",
    "cheng": "Cheng & Hu",
}

TABLE = "scoreboard"


def validate_scoreboard(profile: str) -> str:
    """The chapter's one parameter: the profile whose committed results decide the claims."""
    return check_profile(profile)


def decisions(profile: str, papers=tuple(PAPERS)) -> list[CL.Decision]:
    return [d for p in papers for d in PAPERS[p].decisions(profile)]


def scoreboard(profile: str, *, strict: bool = True) -> pd.DataFrame:
    """One row per claim of the four papers (:data:`~compression_robustness.evaluate.claims.
    SCOREBOARD_COLUMNS`), in the catalogue's order. ``strict``: a claim without a decision
    is an error (else it is left out)."""
    df = CL.decisions_frame(decisions(profile))
    cat = CL.claim_catalogue()
    missing = [c for c in cat.index if c not in set(df["claim_id"])]
    if missing and strict:
        raise ValueError(
            f"{len(missing)} claims have no decision: {', '.join(missing[:10])}"
            + (" ..." if len(missing) > 10 else "")
        )
    order = {c: i for i, c in enumerate(cat.index)}
    return df.sort_values("claim_id", key=lambda s: s.map(order)).reset_index(drop=True)


def table_path(profile: str):
    return paths.results_dir(profile) / f"{TABLE}.parquet"


def inputs(profile: str) -> dict[str, str]:
    """The results tables the scoreboard is decided from, with their sha256."""
    root = paths.results_dir(profile)
    return {
        f.name: sha256_file(f)
        for f in sorted(root.glob("*.parquet"))
        if f.stem != TABLE and root.is_dir()
    }


def write(profile: str, df: pd.DataFrame) -> bool:
    """Commit the scoreboard as the profile's results table (atomically, and only when it
    changed), recording the sha256 of every results table it was decided from."""
    return write_table(table_path(profile), df, inputs(profile))


def committed(profile: str) -> pd.DataFrame:
    return pd.read_parquet(table_path(profile))


def chapter_slice(df: pd.DataFrame, chapter: str) -> pd.DataFrame:
    """The claims that ``chapter`` decides, formatted for the page (no index, no NaN)."""
    out = df[df["chapter"] == chapter]
    cols = ["claim_id", "statement", "paper value", "ours (95% CI)", "verdict", "why"]
    return out[cols].fillna("–").replace("", "–")


def verdict_table(df: pd.DataFrame) -> pd.DataFrame:
    """Claims per paper (by title) and verdict, with totals."""
    t = CL.verdict_counts(df)
    t["paper"] = t["paper"].map(lambda p: PAPER_TITLES.get(p, p))
    return t


def html_table(df: pd.DataFrame) -> str:
    """The claims as an HTML table: no index, '–' for empty cells, the chapter as a link."""
    out = df[
        ["section", "statement", "paper value", "ours (95% CI)", "verdict", "why", "chapter"]
    ].copy()
    out = out.fillna("–").replace("", "–")
    out["chapter"] = [
        f'<a href="{c}.html">{c}</a>' if c and c != "–" else "–" for c in out["chapter"]
    ]
    for col in ("section", "statement", "paper value", "ours (95% CI)", "why"):
        out[col] = out[col].map(html.escape)
    return out.to_html(index=False, escape=False, border=0, classes="scoreboard")
