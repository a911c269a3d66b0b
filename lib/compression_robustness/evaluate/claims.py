"""Reproduction notes: a paper's claim, this study's evidence, and a verdict."""

from __future__ import annotations


def claim_row(claim: str, evidence: str, holds: bool | None) -> dict[str, str]:
    """One row of a reproduction-notes table: a paper's claim, our evidence, the verdict."""
    verdict = "not testable here" if holds is None else ("supported" if holds else "not supported")
    return {"claim": claim, "this study": evidence, "verdict": verdict}
