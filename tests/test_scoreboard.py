"""The scoreboard over the committed cpu results: every claim once, one verdict set, and the
committed table equal to what the committed results decide."""

import pandas as pd
import pytest

from compression_robustness.evaluate import claims as CL
from compression_robustness.studies import scoreboard as SB


@pytest.fixture(scope="module")
def board():
    return SB.scoreboard("cpu")


def test_every_claim_of_the_four_papers_is_decided_once(board):
    cat = CL.claim_catalogue()
    assert board["claim_id"].tolist() == cat.index.tolist()
    assert set(board["verdict"]) <= {str(v) for v in CL.Verdict}
    assert (board["chapter"].str.len() > 0).all()
    chapters = set(board["chapter"])
    assert chapters <= {
        "zoo", "pgd", "stress_strain", "boxplots", "cam", "imagenet", "bnn_mnist",
        "transferability", "pixel_noise", "audit", "scoreboard",
    }  # fmt: skip


def test_verdicts_other_than_untestable_show_a_number(board):
    tested = board[board["verdict"] != str(CL.Verdict.UNTESTABLE)]
    assert (tested["ours (95% CI)"].str.len() > 0).all()
    assert not tested["ours (95% CI)"].str.contains("nan", case=False).any()


def test_overridden_verdicts_say_why(board):
    inc = board[board["verdict"] == str(CL.Verdict.INCONCLUSIVE)]
    assert (inc["why"].str.len() > 0).all()
    unt = board[board["verdict"] == str(CL.Verdict.UNTESTABLE)]
    assert (unt["why"].str.len() > 0).all()


def test_committed_scoreboard_matches_the_committed_results(board):
    path = SB.table_path("cpu")
    if not path.is_file():
        pytest.skip("no committed scoreboard table yet")
    committed = pd.read_parquet(path)
    pd.testing.assert_frame_equal(committed.reset_index(drop=True), board.reset_index(drop=True))


def test_counts_add_up(board):
    t = SB.verdict_table(board).set_index("paper")
    assert t.loc["all", "claims"] == len(board) == 136
    assert t.drop(index="all")["claims"].sum() == 136


def test_html_table_has_no_index_and_links_chapters(board):
    html = SB.html_table(board.head(3))
    assert "<th></th>" not in html and 'href="' in html and "NaN" not in html
