"""The claims of the paper, decided from this profile's committed results by the claims
engine (:mod:`compression_robustness.evaluate.claims`)."""

from __future__ import annotations

from compression_robustness.evaluate.claims import Decision


def decisions(profile: str) -> list[Decision]:
    """One decision per claim of the paper in ``data/reference/claims.csv``."""
    return []
