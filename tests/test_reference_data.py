"""The transcribed paper tables and claims in data/reference/: their shape, cell counts,
uniqueness, and spot values re-read from the paper texts in ../shared/papers/ (the source
line of each spot value is cited beside it)."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

REF = Path(__file__).resolve().parents[1] / "data" / "reference"
COLUMNS = [
    "paper",
    "table",
    "row",
    "column",
    "model",
    "quantity",
    "value",
    "plus_minus",
    "unit",
    "source",
]
PAPERS = {"breakingbed", "galloway", "cheng", "zhao"}
SOURCE_FILE = {
    "breakingbed": "breakingbed.txt",
    "galloway": "galloway-attacking-bnns-slides.txt",
    "cheng": "cheng-architectural-resilience.txt",
    "zhao": "zhao-to-compress-or-not.txt",
}

# file -> (paper, table, number of values, distinct rows, distinct columns)
TABLES = {
    "breakingbed_table1.csv": ("breakingbed", "Table 1", 72, 24, 3),
    "breakingbed_table2.csv": ("breakingbed", "Table 2", 40, 6, 11),
    "breakingbed_table4.csv": ("breakingbed", "Table 4", 30, 6, 5),
    "breakingbed_table5.csv": ("breakingbed", "Table 5", 54, 6, 9),
    "breakingbed_table6.csv": ("breakingbed", "Table 6", 126, 6, 21),
    "galloway_fgsm.csv": ("galloway", "FGSM", 27, 9, 3),
    "galloway_fgsm_pgdadv.csv": ("galloway", "FGSM after PGD adversarial training", 18, 6, 3),
    "galloway_cw.csv": ("galloway", "C&W", 22, 2, 11),
    "galloway_blackbox.csv": ("galloway", "Black-box", 15, 5, 3),
    "cheng_table1.csv": ("cheng", "Table 1", 100, 25, 4),
    "cheng_table2.csv": ("cheng", "Table 2", 9, 9, 1),
    "zhao_text.csv": ("zhao", "Text", 21, 13, 16),
}

# (file, row, column) -> (value, plus_minus or None), each re-read from the paper text
SPOT = {
    # breakingbed.txt:123 "XNOR [36]  82.71 %  0.04  1.3" (ResNet20 group of Table 1)
    ("breakingbed_table1.csv", "ResNet20 XNOR", "Acc. [%]"): (82.71, None),
    ("breakingbed_table1.csv", "ResNet20 XNOR", "NCC [10^6]"): (1.3, None),
    # breakingbed.txt:135 "ABC(5×5) [27]  92.82 %  0.55  66" (ResNet56 group)
    ("breakingbed_table1.csv", "ResNet56 ABC(5×5)", "Memory demand [MB]"): (0.55, None),
    # breakingbed.txt:136 "ImageNet  ResNet50 [17]  75.43 %  102.01  10216"
    ("breakingbed_table1.csv", "ResNet50", "NCC [10^6]"): (10216.0, None),
    # breakingbed.txt:193 "CW | 0.01, 0.1, 1.0, 5.0, 10.0 | 1,10, 20, 50"
    ("breakingbed_table2.csv", "CW", "Strength ϵ #5"): (10.0, None),
    ("breakingbed_table2.csv", "CW", "Iterations i #2"): (10.0, None),
    # breakingbed.txt:196 "GenAttack | 8, 12 | 50,100, 150, 200 popsize=6, 16"
    ("breakingbed_table2.csv", "GenAttack", "popsize #2"): (16.0, None),
    # breakingbed.txt:234 "ResNet50 [17] | 75.43 % | 22.18 | 16.24 | 12.08 | 7.46"
    ("breakingbed_table4.csv", "ResNet50", "eps=2"): (22.18, None),
    # breakingbed.txt:237 "ResNet18-XNOR [36] | 49.10 % | 7.57 | 4.54 | 2.19 | 0.93"
    ("breakingbed_table4.csv", "ResNet18-XNOR", "eps=16"): (0.93, None),
    # breakingbed.txt:247 "| 0.5 | 1.33 | 0.17 | 0.04 | 0.01" (ResNet18)
    ("breakingbed_table5.csv", "ResNet18", "eps=0.5, i=5"): (0.01, None),
    # breakingbed.txt:252 "ResNet18-ABC(1×1) [27] (51.91) | 0.1 | 18.35 | ..."
    ("breakingbed_table5.csv", "ResNet18-ABC(1×1)", "clean acc. (row label)"): (51.91, None),
    # breakingbed.txt:254 "ResNet18-ABC(3×3) [27] (59.83) | 0.1 | 23.90 | 20.81 | 17.80 | 15.07"
    ("breakingbed_table5.csv", "ResNet18-ABC(3×3)", "eps=0.1, i=5"): (15.07, None),
    # breakingbed.txt:274 "12.0  7.33/20.25 ... 0.88/86.80" (ResNet18-Ch.Prune)
    ("breakingbed_table6.csv", "ResNet18-Ch.Prune", "eps=12.0, i=1000, TA"): (86.80, None),
    # breakingbed.txt:279 "ResNet18-ABC(3×3) [27] (59.83 %)  8.0  26.00/0.68 ..."
    ("breakingbed_table6.csv", "ResNet18-ABC(3×3)", "eps=8.0, i=200, OA"): (26.00, None),
    ("breakingbed_table6.csv", "ResNet18-ABC(3×3)", "eps=8.0, i=200, TA"): (0.68, None),
    # galloway-attacking-bnns-slides.txt:77 "256  <b>89±1%</b> <b>83±1%</b> <b>78±1%</b>" (B)
    ("galloway_fgsm.csv", "B (K=256)", "eps=0.1"): (89.0, 1.0),
    # galloway-attacking-bnns-slides.txt:79 "128  64±3%  26±9%  11±5%" (C)
    ("galloway_fgsm.csv", "C (K=128)", "eps=0.2"): (26.0, 9.0),
    # galloway-attacking-bnns-slides.txt:95 "256  95.9±0.2%  92.9±0.3%  85±1%" (A+*)
    ("galloway_fgsm_pgdadv.csv", "A+* (K=256)", "eps=0.3"): (85.0, 1.0),
    # galloway-attacking-bnns-slides.txt:96 "C+*  64  92.9±0.4%  83.6±0.6%  67±2%"
    ("galloway_fgsm_pgdadv.csv", "C+* (K=64)", "eps=0.1"): (92.9, 0.4),
    # galloway-attacking-bnns-slides.txt:114 "Accuracy  3±1%  2.9±0.6%  15±2%  29±3%" (B32+..)
    ("galloway_cw.csv", "Accuracy", "B64+"): (2.9, 0.6),
    # galloway-attacking-bnns-slides.txt:119 "Mean $L_2$ dist.  –  1.9±0.3  3.0±0.4  3.5±0.1"
    ("galloway_cw.csv", "Mean L2 dist.", "S64"): (1.9, 0.3),
    # galloway-attacking-bnns-slides.txt:142 "A+*  95.8 ± 0.4%  96.4 ± 0.3%  96.7 ± 0.3%"
    ("galloway_blackbox.csv", "A+*", "Filters=256"): (96.7, 0.3),
    # galloway-attacking-bnns-slides.txt:143 "B  46 ± 5%  55 ± 4%  39 ± 3%"
    ("galloway_blackbox.csv", "B", "Filters=128"): (55.0, 4.0),
    # cheng-architectural-resilience.txt:210 "200  48.91  55.91  36.31  56.34" (ResNet-50V2)
    ("cheng_table1.csv", "ResNet-50V2, 200 attacks", "EtA"): (56.34, None),
    # cheng-architectural-resilience.txt:222 "200  53.07  13.28  17.73  48.49" (EfficientNet-B1)
    ("cheng_table1.csv", "EfficientNet-B1, 200 attacks", "BtW"): (13.28, None),
    # cheng-architectural-resilience.txt:228 "200  40.57  39.58  31.04  60.90" (FC network)
    ("cheng_table1.csv", "Fully Connected Network, 200 attacks", "EtA"): (60.90, None),
    # cheng-architectural-resilience.txt:181 "DeepFool  13.0" and :186 "Pointwise  91.0"
    ("cheng_table2.csv", "DeepFool", "Attacks Classified by ResNet-50/CNN"): (13.0, None),
    ("cheng_table2.csv", "Pointwise", "Attacks Classified by ResNet-50/CNN"): (91.0, None),
    # zhao-to-compress-or-not.txt:106 "... classifies MNIST digits with an accuracy of 99.36%"
    ("zhao_text.csv", "LeNet5", "MNIST accuracy"): (99.36, None),
    # zhao-to-compress-or-not.txt:113 "85.93% classification accuracy." (CifarNet)
    ("zhao_text.csv", "CifarNet", "CIFAR10 accuracy"): (85.93, None),
    # zhao-to-compress-or-not.txt:166 "We used an $\epsilon$ of 0.02 and ... for 12 epochs"
    ("zhao_text.csv", "Attacks (IFGM, IFGSM, DeepFool)", "epsilon"): (0.02, None),
}

CLAIMS_PER_PAPER = {"breakingbed": 58, "galloway": 12, "cheng": 29, "zhao": 37}


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, dtype=str, keep_default_na=False, encoding="utf-8")


def cell(df: pd.DataFrame, row: str, column: str) -> pd.Series:
    hit = df[(df["row"] == row) & (df["column"] == column)]
    assert len(hit) == 1, f"{row!r} / {column!r}: {len(hit)} matches"
    return hit.iloc[0]


def values(name: str) -> dict[tuple[str, str], float]:
    df = load(name)
    return {(r, c): float(v) for r, c, v in zip(df["row"], df["column"], df["value"], strict=True)}


def test_the_directory_holds_exactly_the_expected_files():
    got = {p.name for p in REF.glob("*.csv")}
    assert got == set(TABLES) | {"claims.csv"}
    assert (REF / "README.md").is_file()


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_shape_and_values(name):
    paper, table, n_values, n_rows, n_cols = TABLES[name]
    df = load(name)
    assert list(df.columns) == COLUMNS
    assert set(df["paper"]) == {paper}
    assert set(df["table"]) == {table}
    assert name.startswith(paper + "_")
    assert len(df) == n_values
    assert df["row"].nunique() == n_rows
    assert df["column"].nunique() == n_cols
    assert not df.duplicated(["paper", "table", "row", "column"]).any()
    for col in ("row", "column", "quantity", "unit", "source"):
        assert (df[col].str.strip() != "").all(), f"empty {col}"
    # every value is a finite number, every ± (where given) a finite non-negative number
    v = pd.to_numeric(df["value"], errors="raise")
    assert all(math.isfinite(x) for x in v)
    pm = pd.to_numeric(df.loc[df["plus_minus"] != "", "plus_minus"], errors="raise")
    assert all(math.isfinite(x) and x >= 0 for x in pm)
    # the source names the paper's file and a line number
    assert df["source"].str.match(re.escape(SOURCE_FILE[paper]) + r":\d+ ").all()


@pytest.mark.parametrize("key", sorted(SPOT), ids=lambda k: f"{k[0]}:{k[1]}:{k[2]}")
def test_spot_values_reread_from_the_paper(key):
    name, row, column = key
    value, plus_minus = SPOT[key]
    r = cell(load(name), row, column)
    assert float(r["value"]) == pytest.approx(value, abs=1e-9)
    if plus_minus is None:
        assert r["plus_minus"] == ""
    else:
        assert float(r["plus_minus"]) == pytest.approx(plus_minus, abs=1e-9)


def test_every_table_has_a_spot_value():
    assert {k[0] for k in SPOT} == set(TABLES)


def test_model_keys():
    pat = {
        "breakingbed": r"resnet(20|56)-(vanilla|kd|prune-(channel|kernel|weight|filter)|xnor"
        r"|abc-[135]x[135])|resnet50|resnet18(-prune-channel|-xnor|-abc-1x1|-abc-3x3)?",
        "galloway": r"galloway-[abcs](32|64|128|256)(-fgsmadv|-pgdadv)?",
        "cheng": r"m56_(resnet50|resnet50v2|vgg19|efficientnet_b1|fc|resnet18|resnet34"
        r"|resnet101)-vanilla",
        "zhao": r"lenet5|cifarnet",
    }
    for name in TABLES:
        df = load(name)
        bad = [
            m
            for m, p in zip(df["model"], df["paper"], strict=True)
            if m and not re.fullmatch(pat[p], m)
        ]
        assert not bad, f"{name}: unknown model keys {sorted(set(bad))}"
    # the 18 CIFAR-10 rows of BreakingBED Table 1 each map to a distinct model
    t1 = load("breakingbed_table1.csv")
    cifar = t1[t1["model"].str.match(r"resnet(20|56)-")]
    assert cifar["model"].nunique() == 18
    assert (t1["model"] != "").all()


def test_breakingbed_clean_accuracies_agree_across_tables():
    t1 = load("breakingbed_table1.csv")
    acc = {
        m: float(v)
        for m, v, q in zip(t1["model"], t1["value"], t1["quantity"], strict=True)
        if q == "accuracy" and not m.startswith(("resnet20", "resnet56"))
    }
    assert len(acc) == 6
    for name, col in (
        ("breakingbed_table4.csv", "Nat. Acc"),
        ("breakingbed_table5.csv", "clean acc. (row label)"),
        ("breakingbed_table6.csv", "clean acc. (row label)"),
    ):
        df = load(name)
        sub = df[df["column"] == col]
        got = dict(zip(sub["model"], sub["value"].astype(float), strict=True))
        assert set(got) == set(acc)
        differ = {m for m in acc if got[m] != pytest.approx(acc[m])}
        # the paper's own slip: Table 5 prints (51.91) for ABC(1x1), Tables 1, 4, 6 print 51.07
        assert differ == ({"resnet18-abc-1x1"} if name.endswith("table5.csv") else set())


def test_breakingbed_pgd_claim_916_follows_from_table5():
    # breakingbed.txt:231/259 "9.16% higher attacked accuracy for ... ABC(3×3) compared to
    # the ResNet50 model at i = 5 and eps = 0.1"
    v = values("breakingbed_table5.csv")
    diff = v[("ResNet18-ABC(3×3)", "eps=0.1, i=5")] - v[("ResNet50", "eps=0.1, i=5")]
    assert diff == pytest.approx(9.16, abs=1e-9)


def test_breakingbed_table6_has_oa_and_ta_for_every_cell():
    df = load("breakingbed_table6.csv")
    attacked = df[df["column"] != "clean acc. (row label)"]
    assert (
        attacked["column"].str.endswith(", OA") == (attacked["quantity"] == "adv_accuracy")
    ).all()
    assert (
        attacked["column"].str.endswith(", TA") == (attacked["quantity"] == "target_accuracy")
    ).all()
    assert (attacked["quantity"] == "adv_accuracy").sum() == 60


def test_galloway_every_cell_has_a_plus_minus():
    for name in TABLES:
        if name.startswith("galloway_"):
            assert (load(name)["plus_minus"] != "").all(), name


def test_cheng_table2_repeats_table1_resnet50_rounded():
    # Table 2's WtB/BtW/EtA rows are Table 1's ResNet-50 values rounded half up to one decimal
    # (cheng-architectural-resilience.txt:183-189 against :202 and :204, e.g. 51.25 -> 51.3)
    t1 = load("cheng_table1.csv")
    t2 = values("cheng_table2.csv")
    col = "Attacks Classified by ResNet-50/CNN"
    for attack in ("WtB", "BtW", "EtA"):
        for n in (200, 40):
            ours = Decimal(cell(t1, f"ResNet-50, {n} attacks", attack)["value"])
            rounded = float(ours.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
            assert t2[(f"{attack} = ({n})", col)] == pytest.approx(rounded, abs=1e-9)


def test_cheng_clean_accuracy_is_the_same_for_every_perturbation():
    df = load("cheng_table1.csv")
    clean = df[df["row"].str.endswith(", 0 attacks")]
    assert len(clean) == 20
    assert (clean["quantity"] == "accuracy").all()
    assert clean.groupby("row")["value"].nunique().eq(1).all()
    assert (df.loc[~df.index.isin(clean.index), "quantity"] == "adv_accuracy").all()


def test_claims():
    df = load("claims.csv")
    assert list(df.columns) == ["paper", "claim_id", "section", "statement", "quantity"]
    assert set(df["paper"]) == PAPERS
    assert df["claim_id"].is_unique
    assert df["claim_id"].str.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+").all()
    for col in ("statement", "section", "quantity"):
        assert (df[col].str.strip() != "").all(), f"empty {col}"
    assert df.groupby("paper").size().to_dict() == CLAIMS_PER_PAPER
    prefix = {"breakingbed": "bb-", "galloway": "gw-", "cheng": "ch-", "zhao": "zh-"}
    assert all(c.startswith(prefix[p]) for p, c in zip(df["paper"], df["claim_id"], strict=True))
    # two claims the study checks, by id and wording
    by_id = dict(zip(df["claim_id"], df["statement"], strict=True))
    assert "i=15" in by_id["bb-pgd-kd-break-15-40"] and "i=40" in by_id["bb-pgd-kd-break-15-40"]
    assert "5-10%" in by_id["ch-resnet50v2-5-10-higher"]
