"""Numbers and statements reported by the reproduced papers, with their sources.

The book quotes them through ``glue`` beside our own results; nothing here is a result
of this study.
"""

from __future__ import annotations

import pandas as pd

from compression_robustness.core import paths
from compression_robustness.models.m56 import DISPLAY


def reference_table(name: str) -> pd.DataFrame:
    """A transcribed paper table of ``data/reference/`` (``<paper>_<table>.csv``: one row per
    number, with its table, row, column, our model key, quantity, value, unit and source)."""
    path = paths.reference_dir() / f"{name}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no transcribed paper table {path}")
    return pd.read_csv(path, dtype={"model": str}, keep_default_na=False, na_values=[""])


def reference_values(name: str, quantity: str) -> dict[str, float]:
    """``model -> value`` of one quantity of a transcribed table (rows with a model key)."""
    t = reference_table(name)
    t = t[(t["quantity"] == quantity) & t["model"].notna()]
    return dict(zip(t["model"], t["value"].astype(float), strict=True))


def _breakingbed_table1() -> dict[tuple[str, str], dict[str, float]]:
    out: dict[tuple[str, str], dict[str, float]] = {}
    for q in ("accuracy", "memory_mb", "ncc"):
        for model, v in reference_values("breakingbed_table1", q).items():
            arch, _, variant = model.partition("-")
            if arch in ("resnet20", "resnet56"):  # the ImageNet rows are Tables 4-6's
                out.setdefault((arch, variant), {})[q] = v
    return out


#: BreakingBED Table 1 (from ``data/reference/breakingbed_table1.csv``): clean accuracy (%),
#: memory demand (MB) and normalised compute complexity (NCC, 10^6 MACs, an XNOR counting
#: 1/48) of every CIFAR-10 variant, keyed by (arch, zoo variant). The paper has no
#: filter-pruned row.
BREAKINGBED_TABLE1 = _breakingbed_table1()


# =========================================================================== pixel_noise
def _cheng_table1() -> dict[tuple[str, str, int], float]:
    out = {}
    for r in reference_table("cheng_table1").itertuples():
        k = int(r.row.rsplit(", ", 1)[1].split()[0])  # "ResNet-50, 200 attacks"
        out[(DISPLAY[r.model.split("-", 1)[0]], r.column, k)] = float(r.value)
    return out


#: Cheng & Hu (2020), "Architectural resilience to foreground-and-background adversarial
#: noise" (arXiv:2003.10045), Table 1 (from ``data/reference/cheng_table1.csv``): test
#: accuracy (%) of the five models on MNIST at 56x56 under 0, 10, 40, 100 and 200
#: single-pixel attacks of each perturbation (WtB White->Black, BtW Black->White, RPI
#: Random Pixel Invert, EtA Edge->Altered). Keys: (model label, perturbation, attacks k).
CHENG_HU_TABLE1 = _cheng_table1()

#: The paper's training target: 99.0% validation accuracy (Cheng & Hu 2020, as quoted in the issue).
CHENG_HU_TARGET_ACCURACY = 0.99
# --- class activation maps (Table 3) and ImageNet (Tables 4-6)
#: BreakingBED Table 3: third quartile (Q3) of the CAM intensity (0-255) on a CIFAR-10
#: "automobile" test image, clean and after 1 and 5 DeepFool iterations, for ResNet56
#: variants (the paper gives no ResNet20 row; XNOR only clean). Keyed by zoo variant.
BREAKINGBED_CAM_Q3 = {
    "vanilla": {0: 184.0, 1: 171.0, 5: 135.0},
    "prune-channel": {0: 162.0, 1: 152.0, 5: 121.0},
    "xnor": {0: 98.0},
}
BREAKINGBED_CAM_ARCH = "resnet56"
#: BreakingBED's reading of Table 3: binarised networks have small, concentrated regions
#: of interest (a low Q3).

#: BreakingBED Table 5 (ImageNet, PGD): torchvision ResNet50 keeps 5.9% top-1 accuracy
#: after 5 PGD iterations at the paper's eps = 0.1 (units not stated in the paper).
BREAKINGBED_IMAGENET_PGD = {"model": "resnet50", "eps": 0.1, "iterations": 5, "accuracy": 0.059}
#: torchvision's ResNet50 (IMAGENET1K_V1) top-1 on the ImageNet validation set (its docs).
TORCHVISION_RESNET50_TOP1 = 0.7613
# --- Zhao et al.
#: Zhao et al. (SysML 2019), "To compress or not to compress": the baselines' parameter
#: counts and test accuracies as the paper reports them (quoted in this project's issue 6).
ZHAO_BASELINES = {
    "lenet5": {"params": 431_000, "accuracy": 0.9936, "dataset": "MNIST"},
    "cifarnet": {"params": 1_300_000, "accuracy": 0.8593, "dataset": "CIFAR-10"},
}
#: Zhao et al.'s summary claims (abstract and conclusions).
ZHAO_CLAIMS = {
    "pruned_transfer": "adversarial samples generated from heavily pruned models remain "
    "effective on uncompressed models",
    "quant_integer_bits": "the transferability of adversarial samples is highly sensitive to "
    "integer precision; smaller integer bitwidths marginally limit transfer",
    "transferable": "adversarial samples remain transferable for both pruned and quantised models",
}
#: Zhao et al.'s attack settings: IFGSM and IFGM with eps = 0.02 for 12 iterations,
#: clipped to [0, 1]; DeepFool (L2) stopping at the decision boundary.
ZHAO_ATTACKS = {"step": 0.02, "iterations": 12}
#: Galloway et al. (ICLR 2018), "Attacking Binarized Neural Networks": their conclusions
#: (abstract). Their tables' numbers are not quoted in this project (not verified here).
GALLOWAY_CLAIMS = {
    "white_box": "binarised networks improve robustness against some (white-box) attacks, "
    "and in the worst case perform on par with full-precision models",
    "stochastic": "stochastically quantising the weights of just one layer can sharply "
    "reduce the impact of iterative attacks",
    "black_box": "black-box (substitute-model) attacks work about equally well on binarised "
    "and full-precision models",
}
