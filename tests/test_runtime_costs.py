"""The cost model against BreakingBED's Table 1 (Vemparala et al. 2021): memory (MB), NCC (10^6).

Costs are computed on freshly built models (random init); the pruned rows use
``prune_masks(..., mac_fraction=0.5)``. Tolerances: 5% for vanilla/KD/binary rows, 15% for the
pruned rows. Checks that an honest formula cannot meet are strict xfails whose reason gives
the measured value and the cause (see ``costs.py`` and ``compression/pruning.py``).
"""

import pytest
import torch

from compression_robustness import models as M
from compression_robustness.compression import binarize, prune_masks
from compression_robustness.runtime.costs import model_costs, sparsity_pattern
from compression_robustness.studies.paper import BREAKINGBED_TABLE1

# (arch, row) -> (memory MB, NCC 10^6), BreakingBED Table 1 (from the library's paper module)
_ROW = {"prune-channel": "channel", "prune-kernel": "kernel", "prune-weight": "weight"}
TABLE1 = {
    (arch, _ROW.get(v, v.replace("-", ""))): (d["memory_mb"], d["ncc"])
    for (arch, v), d in BREAKINGBED_TABLE1.items()
}
PRUNED = {"channel", "kernel", "weight"}

_UNIFORM = (
    "our allocator prunes every layer at one uniform rate, which at 50% MACs keeps ~50% of the "
    "block weights; the paper's AMC allocation evidently kept more weights for the same MACs "
    "(e.g. by pruning the high-resolution early layers, where a weight costs more MACs, harder)"
)
_ROUNDED = (
    "{v} MB vs the paper's 0.04 ({d}): 1 bit per block-conv weight + fp32 stem conv and fc{extra} "
    "rounds to the paper's 0.04, but the 5% tolerance is tighter than its 2-decimal rounding. "
    "Counting XNOR's per-channel alpha instead of folding it into BN would give 0.040 here but "
    "0.118 vs 0.11 for ResNet56"
)
_ABC_R20 = (
    "{v} MB vs the paper's {p} ({d}): {M} bits per block-conv weight + fp32 stem conv and fc. The "
    "paper's ResNet20 ABC rows equal {M} x its XNOR row (as if the whole model, fp layers "
    "included, were stored {M} times); we found no consistent accounting that matches both these "
    "and the ResNet56 ABC rows, which ours match within 2.3%"
)
MEMORY_XFAIL = {
    ("resnet20", "channel"): f"0.526 MB vs 0.70 (-25%): {_UNIFORM}",
    ("resnet56", "channel"): f"1.687 MB vs 2.50 (-33%): {_UNIFORM}",
    ("resnet56", "kernel"): f"1.703 MB vs 2.19 (-22%): {_UNIFORM}",
    ("resnet20", "xnor"): _ROUNDED.format(v="0.0377", d="-5.7%", extra=""),
    ("resnet20", "abc1x1"): _ROUNDED.format(
        v="0.0380", d="-5.1%", extra=" + 3 fp32 scalars (alpha, beta, v) per layer"
    ),
    ("resnet20", "abc3x3"): _ABC_R20.format(M=3, v="0.105", p="0.12", d="-12%"),
    ("resnet20", "abc5x5"): _ABC_R20.format(M=5, v="0.172", p="0.20", d="-14%"),
}

_cache: dict = {}


def costs_of(arch: str, row: str) -> dict:
    """Costs of a freshly built model of Table 1's ``row`` (cached across the two metrics)."""
    if (arch, row) not in _cache:
        torch.manual_seed(0)
        net, masks = M.build_arch(arch), None
        if row in PRUNED:
            masks = prune_masks(net, row, mac_fraction=0.5)
        elif row == "xnor":
            binarize(net, "xnor")
        elif row.startswith("abc"):
            m, n = (int(v) for v in row[3:].split("x"))
            binarize(net, "abc", m, n)
        # "vanilla" and "kd": the KD student has the teacher's architecture, uncompressed
        _cache[arch, row] = model_costs(net, (3, 32, 32), masks=masks)
    return _cache[arch, row]


def _cases(metric: str):
    for (arch, row), paper in TABLE1.items():
        marks = []
        if metric == "memory_mb" and (arch, row) in MEMORY_XFAIL:
            marks = [pytest.mark.xfail(strict=True, reason=MEMORY_XFAIL[arch, row])]
        value = paper[0] if metric == "memory_mb" else paper[1]
        yield pytest.param(arch, row, value, marks=marks, id=f"{arch}-{row}")


@pytest.mark.parametrize("arch,row,paper", list(_cases("memory_mb")))
def test_memory_matches_table1(arch, row, paper):
    rel = 0.15 if row in PRUNED else 0.05
    assert costs_of(arch, row)["memory_mb"] == pytest.approx(paper, rel=rel)


@pytest.mark.parametrize("arch,row,paper", list(_cases("ncc")))
def test_ncc_matches_table1(arch, row, paper):
    rel = 0.15 if row in PRUNED else 0.05
    assert costs_of(arch, row)["ncc"] == pytest.approx(paper, rel=rel)


def test_exact_counts_of_vanilla_resnet20():
    c = costs_of("resnet20", "vanilla")
    # conv + fc weights + fc bias (He et al. 2016: 0.27M; BN's 1,376 affine numbers excluded)
    assert c["params"] == 268_346 and c["memory_mb"] == 268_346 * 4 / 1e6
    assert c["fp_macs"] == 40_551_040 and c["binary_macs"] == 0 and c["index_bits"] == 0


def test_binary_accounting_of_xnor_and_abc():
    xnor, abc = costs_of("resnet20", "xnor"), costs_of("resnet20", "abc3x3")
    stem_fc_macs = 32 * 32 * 16 * 27 + 64 * 10
    assert xnor["fp_macs"] == abc["fp_macs"] == stem_fc_macs
    assert abc["binary_macs"] == 9 * xnor["binary_macs"] == 9 * (40_551_040 - stem_fc_macs)
    assert xnor["ncc"] == pytest.approx((stem_fc_macs + xnor["binary_macs"] / 48) / 1e6)
    block_weights = 268_346 - 432 - 650
    assert xnor["binary_params"] == block_weights and xnor["scale_params"] == 0
    assert xnor["memory_mb"] == pytest.approx((block_weights / 8 + 1082 * 4) / 1e6)
    assert abc["scale_params"] == 18 * (3 + 2 * 3)  # alpha_m, beta_n, v_n per layer


def test_index_overhead_follows_the_mask_structure():
    assert costs_of("resnet20", "channel")["index_bits"] == 0
    block_weights = 268_346 - 432 - 650
    assert costs_of("resnet20", "kernel")["index_bits"] == block_weights // 9
    assert costs_of("resnet20", "weight")["index_bits"] == block_weights
    ones = torch.ones(4, 3, 3, 3)
    assert sparsity_pattern(None) == sparsity_pattern(ones) == "dense"
    filt = ones.clone()
    filt[1] = 0
    filt[:, 2] = 0
    assert sparsity_pattern(filt) == "structured"
    kern = ones.clone()
    kern[1, 2] = 0
    assert sparsity_pattern(kern) == "kernel"
    w = ones.clone()
    w[1, 2, 0, 0] = 0
    assert sparsity_pattern(w) == "weight"
