"""The committed cpu results against their stored headline numbers (a regression check of
the results themselves: a changed cell, a lost cell or a silently altered table shows up
as a changed headline)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from compression_robustness.evaluate.reference import (
    HEADLINES,
    Headline,
    chapter_headlines,
    headlines,
)

REFERENCE = json.loads(
    (Path(__file__).resolve().parent / "reference" / "cpu_headlines.json").read_text()
)
CURRENT = headlines("cpu")


def test_every_chapter_with_results_has_headlines():
    assert set(REFERENCE) == set(HEADLINES)
    assert all(REFERENCE[c] for c in REFERENCE), "a chapter without headline numbers"


@pytest.mark.parametrize("chapter", sorted(HEADLINES))
def test_committed_cpu_results_match_their_headlines(chapter):
    want, got = REFERENCE[chapter], CURRENT.get(chapter, {})
    assert sorted(got) == sorted(want), "groups added or lost"
    changed = {k: (want[k], got[k]) for k in want if got[k] != pytest.approx(want[k], abs=1e-9)}
    assert not changed, f"{chapter}: headline numbers changed (reference, now): {changed}"


def test_headlines_are_group_means_at_the_last_iteration():
    df = pd.DataFrame(
        {
            "model": ["a", "a", "a", "a", "b"],
            "iterations": [0, 5, 5, 5, 5],
            "accuracy": [0.9, 0.2, 0.4, float("nan"), 0.5],
        }
    )
    h = chapter_headlines(df, Headline(("model",), last="iterations"))
    assert h == {"model=a": 0.3, "model=b": 0.5}
    assert chapter_headlines(df, Headline(("model",)))["model=a"] == pytest.approx(0.5)
    # a hand-edited cell moves its headline
    edited = df.assign(accuracy=df["accuracy"].where(df["model"] != "b", 0.99))
    assert chapter_headlines(edited, Headline(("model",)))["model=b"] == 0.99
