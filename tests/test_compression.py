"""The compression methods of the model zoo: KD loss, mask pruning, XNOR/ABC binarisation."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from compression_robustness import models as M
from compression_robustness.compression import (
    PRUNING,
    ABCConv2d,
    XNORConv2d,
    apply_masks,
    binarize,
    binary_layers,
    kd_loss,
    make_kd_loss,
    mask_hook,
    masks_from_zeros,
    prune_masks,
    set_surrogate,
    surrogate_mode,
)
from compression_robustness.compression import binary as binary_module
from compression_robustness.compression.binary import _MultiLevelSTE
from compression_robustness.core.registry import UnknownNameError
from compression_robustness.models import Normalize
from compression_robustness.runtime.costs import model_costs

REGULARITIES = ["filter", "channel", "kernel", "weight"]


def _net(arch="resnet20", seed=0):
    torch.manual_seed(seed)
    return M.build_arch(arch)


# --------------------------------------------------------------------------- knowledge distillation
def test_kd_loss_matches_a_hand_computed_two_class_case():
    # row 1: teacher/T = [ln 3, 0] -> p_t = (3/4, 1/4); student logits 0 -> p_s = (1/2, 1/2)
    # row 2: teacher = student -> KL 0. Both rows: CE of uniform logits = ln 2.
    T = 2.0
    student = torch.zeros(2, 2)
    teacher = torch.tensor([[T * math.log(3.0), 0.0], [0.0, 0.0]])
    y = torch.tensor([0, 1])
    kl_row1 = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    expected = 0.1 * math.log(2.0) + 0.9 * T**2 * (kl_row1 + 0.0) / 2  # batchmean
    got = kd_loss(student, teacher, y, T=T, kl_weight=0.9, ce_weight=0.1)
    assert got.item() == pytest.approx(expected, rel=1e-6)
    assert kd_loss(student, teacher, y, T=T, kl_weight=0.0, ce_weight=1.0).item() == (
        pytest.approx(math.log(2.0), rel=1e-6)
    )


def test_kd_loss_default_weights_and_teacher_is_detached():
    torch.manual_seed(0)
    s = torch.randn(4, 10, requires_grad=True)
    t = torch.randn(4, 10, requires_grad=True)
    y = torch.randint(0, 10, (4,))
    got = kd_loss(s, t, y)  # T=30, 0.9 KL, 0.1 CE
    sd, td = s.detach().double(), t.detach().double()
    p_t = F.softmax(td / 30, 1)
    kl = (p_t * (p_t.log() - F.log_softmax(sd / 30, 1))).sum(1).mean()
    ref = 0.1 * F.cross_entropy(sd, y) + 0.9 * 900 * kl
    assert got.item() == pytest.approx(ref.item(), rel=1e-4)  # float32 vs float64
    got.backward()
    assert s.grad is not None and t.grad is None


def test_make_kd_loss_feeds_the_teacher_normalised_input_without_gradients():
    torch.manual_seed(0)
    seen = {}

    class Teacher(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3 * 4 * 4, 10)

        def forward(self, x):
            seen["x"], seen["training"] = x.clone(), self.training
            return self.lin(x.flatten(1))

    teacher = Teacher().train()
    norm = Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))
    x = torch.rand(4, 3, 4, 4)
    y = torch.randint(0, 10, (4,))
    logits = torch.randn(4, 10, requires_grad=True)
    loss_fn = make_kd_loss(teacher, norm, T=4.0, kl_weight=0.7, ce_weight=0.3)
    loss = loss_fn(logits, y, x)
    assert torch.allclose(seen["x"], norm(x)) and seen["training"] is False
    with torch.no_grad():
        ref = kd_loss(logits, teacher(norm(x)), y, T=4.0, kl_weight=0.7, ce_weight=0.3)
    assert loss.item() == pytest.approx(ref.item(), rel=1e-6)
    loss.backward()
    assert logits.grad is not None
    assert all(p.grad is None for p in teacher.parameters())


# --------------------------------------------------------------------------- pruning
def test_pruning_registry_lists_the_four_regularities():
    assert PRUNING.names() == sorted(REGULARITIES)
    with pytest.raises(UnknownNameError) as e:
        prune_masks(_net(), "block")
    assert all(r in str(e.value) for r in REGULARITIES) and "`regularity`" in str(e.value)


@pytest.mark.parametrize("arch", ["resnet20", "resnet56"])
@pytest.mark.parametrize("regularity", REGULARITIES)
def test_pruning_hits_the_mac_target_and_never_touches_stem_or_fc(arch, regularity):
    net = _net(arch)
    dense = model_costs(net)["fp_macs"]
    masks = prune_masks(net, regularity, mac_fraction=0.5)
    for name, mask in masks.items():
        assert name.startswith("layer"), name  # never conv1 / bn1 of the stem, never fc
        assert mask.shape == dict(net.named_parameters())[name].shape
        assert set(mask.unique().tolist()) <= {0.0, 1.0}
    achieved = model_costs(net, masks=masks)["fp_macs"]
    assert abs(achieved - 0.5 * dense) <= 0.02 * dense
    # the masks describe the model after apply_masks, and masks_from_zeros recovers the costs
    apply_masks(net, masks)
    assert model_costs(net, masks=masks_from_zeros(net))["fp_macs"] == achieved


def test_pruning_other_targets_and_bad_fraction():
    net = _net()
    dense = model_costs(net)["fp_macs"]
    masks = prune_masks(net, "kernel", mac_fraction=0.3)
    assert abs(model_costs(net, masks=masks)["fp_macs"] - 0.3 * dense) <= 0.02 * dense
    with pytest.raises(ValueError):
        prune_masks(net, "weight", mac_fraction=0.0)
    with pytest.raises(ValueError):  # the stem and fc alone are > 0.5% of the MACs
        prune_masks(net, "weight", mac_fraction=0.005)


def test_filter_and_channel_use_their_own_criterion():
    net = _net()
    b = net.layer1[0]
    with torch.no_grad():  # filter 3 of conv1 tiny, but its input-channel slice of conv2 huge
        b.conv1.weight[3] *= 1e-3
        b.conv2.weight[:, 3] *= 1e3
    f = prune_masks(net, "filter")["layer1.0.conv1.weight"]
    c = prune_masks(net, "channel")["layer1.0.conv1.weight"]
    assert f[3].sum() == 0 and c[3].sum() > 0


@pytest.mark.parametrize("regularity", ["filter", "channel"])
def test_structured_pruning_removes_channels_exactly(regularity):
    net = _net()
    masks = prune_masks(net, regularity)
    apply_masks(net, masks)
    outs = {}
    hooks = [
        net.get_submodule(f"{n}.relu1").register_forward_hook(
            lambda mod, i, o, n=n: outs.__setitem__(n, o)
        )
        for n in ("layer1.0", "layer2.2", "layer3.1")
    ]
    x = torch.randn(4, 3, 32, 32)
    for mode in (True, False):
        net.train(mode)
        net(x)
        for n, out in outs.items():
            removed = masks[f"{n}.bn1.weight"] == 0
            assert 0 < removed.sum() < len(removed)
            assert (out[:, removed] == 0).all()
            assert (out[:, ~removed] != 0).any()
    for h in hooks:
        h.remove()


@pytest.mark.parametrize("regularity", REGULARITIES)
def test_mask_hook_keeps_pruned_weights_zero_during_sgd(regularity):
    net = _net()
    masks = prune_masks(net, regularity)
    apply_masks(net, masks)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    hook = mask_hook(masks)
    params = dict(net.named_parameters())
    before = {n: params[n].detach().clone() for n in masks}
    torch.manual_seed(1)
    net.train()
    for _ in range(3):
        x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
        hook(net)
    for n, mask in masks.items():
        assert (params[n][mask == 0] == 0).all(), n
    assert any(not torch.equal(params[n], before[n]) for n in masks)  # the rest trained


# --------------------------------------------------------------------------- binary layers
def test_xnor_weights_are_plus_minus_alpha_per_channel_and_activations_plus_minus_one():
    torch.manual_seed(0)
    conv = XNORConv2d(8, 6, 3, padding=1, bias=False)
    w = conv.effective_weight().detach()
    for o in range(6):
        alpha = conv.weight[o].abs().mean().item()
        vals = w[o].unique()
        assert len(vals) == 2
        assert vals.tolist() == pytest.approx([-alpha, alpha], rel=1e-6)
    x = torch.randn(4, 8, 32, 32)
    x[0, 0, 0, :4] = 0.0  # sign(0) is +1, not 0
    assert set(conv.binary_input(x).unique().tolist()) == {-1.0, 1.0}
    assert torch.allclose(conv(x), conv.explicit_forward(x), atol=1e-5)


def _distinct(t, tol=1e-6):
    """Distinct values up to float rounding (a vectorised sum may differ in the last bit)."""
    v = t.flatten().sort().values
    return v[torch.cat([torch.tensor([True]), v.diff() > tol])]


def _gap(values, levels):
    """Largest distance from a value to its nearest level."""
    return (values.view(-1, 1) - levels.view(1, -1)).abs().min(1).values.max().item()


def _combinations(scales):
    sums = [0.0]
    for s in scales:
        sums = [v + s for v in sums] + [v - s for v in sums]
    return torch.tensor(sums)


@pytest.mark.parametrize("M_,N_", [(1, 1), (3, 3), (5, 5), (2, 4)])
@pytest.mark.parametrize("per_channel", [False, True])
def test_abc_weights_and_activations_take_the_binary_levels(M_, N_, per_channel):
    torch.manual_seed(0)
    conv = ABCConv2d(8, 6, 3, padding=1, bias=False, M=M_, N=N_, per_channel=per_channel)
    bases, alpha = conv.weight_bases()
    assert set(bases.unique().tolist()) == {-1.0, 1.0}
    w = conv.effective_weight().detach()
    for o in range(6):
        a = alpha[:, o] if per_channel else alpha
        vals = _distinct(w[o])
        # nested thresholds: at most M + 1 sign patterns, each a +-alpha combination
        assert len(vals) <= M_ + 1
        assert _gap(vals, _combinations(a)) < 1e-6
    x = torch.randn(4, 8, 32, 32)
    acts = _distinct(conv.binary_input(x).detach())
    assert len(acts) <= N_ + 1
    levels = _combinations(conv.beta.detach())
    assert _gap(acts, levels) < 1e-6
    A, _ = conv.activation_bases(x)
    assert set(A.unique().tolist()) <= {-1.0, 1.0}


def test_abc_least_squares_alpha_is_optimal():
    torch.manual_seed(0)
    conv = ABCConv2d(8, 6, 3, bias=False, M=3, N=1)
    bases, alpha = conv.weight_bases()
    b = bases.detach().reshape(3, -1).T
    ref = torch.linalg.lstsq(b.double(), conv.weight.detach().flatten().double().unsqueeze(1))
    assert torch.allclose(alpha.double(), ref.solution.squeeze(1), atol=1e-5)


@pytest.mark.parametrize("M_,N_,per_channel", [(3, 3, False), (5, 2, True), (2, 5, False)])
def test_abc_fast_path_equals_the_explicit_m_by_n_sum(M_, N_, per_channel):
    torch.manual_seed(0)
    conv = ABCConv2d(8, 6, 3, stride=2, padding=1, bias=False, M=M_, N=N_, per_channel=per_channel)
    with torch.no_grad():
        conv.beta.copy_(torch.rand(N_) + 0.1)
        conv.shift.add_(0.1 * torch.randn(N_))
    x = torch.randn(4, 8, 32, 32)
    with torch.no_grad():
        fast, slow = conv(x), conv.explicit_forward(x)
    assert fast.shape == (4, 6, 16, 16)
    assert torch.allclose(fast, slow, atol=1e-4, rtol=1e-5)


def test_abc_straight_through_gradients_reach_weights_shifts_and_scales():
    torch.manual_seed(0)
    conv = ABCConv2d(4, 4, 3, padding=1, bias=False, M=3, N=3)
    x = torch.randn(2, 4, 8, 8, requires_grad=True)
    conv(x).square().sum().backward()
    for g in (x.grad, conv.weight.grad, conv.shift.grad, conv.beta.grad):
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0


BINARY_KINDS = [("xnor", 1, 1), ("abc", 1, 1), ("abc", 3, 3), ("abc", 5, 5)]


@pytest.mark.parametrize("kind,M_,N_", BINARY_KINDS)
def test_binarized_resnet_runs_forward_and_backward(kind, M_, N_):
    net = binarize(_net(), kind, M_, N_)
    layers = binary_layers(net)
    assert len(layers) == 18  # every conv of the 9 blocks
    assert type(net.conv1) is nn.Conv2d and type(net.fc) is nn.Linear
    assert all(isinstance(m, nn.BatchNorm2d) for m in (net.bn1, net.layer1[0].bn1))
    x = torch.randn(4, 3, 32, 32, requires_grad=True)
    assert net.features(x).shape == (4, 64, 8, 8)
    out = net(x)
    assert out.shape == (4, 10) and torch.isfinite(out).all()
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for layer in layers:
        assert layer.weight.grad is not None and torch.isfinite(layer.weight.grad).all()


def test_binarize_keeps_weights_and_rejects_bad_arguments():
    net = _net()
    w = net.layer2[1].conv2.weight.detach().clone()
    binarize(net, "abc", 2, 2)
    assert torch.equal(net.layer2[1].conv2.weight, w)
    with pytest.raises(ValueError):
        binarize(net, "xnor")  # already binarised
    with pytest.raises(ValueError):
        binarize(_net(), "xnor", M=3, N=3)
    with pytest.raises(UnknownNameError):
        binarize(_net(), "ternary")


@pytest.mark.parametrize("kind,M_,N_", [("xnor", 1, 1), ("abc", 3, 3)])
def test_surrogate_changes_the_forward_and_gives_input_gradients(kind, M_, N_):
    net = binarize(_net(), kind, M_, N_).eval()
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        hard = net(x)
        with surrogate_mode(net):
            soft = net(x)
        assert torch.equal(net(x), hard)  # the context manager restored the binary forward
    assert not torch.allclose(hard, soft)
    set_surrogate(net, True)
    xr = x.clone().requires_grad_(True)
    net(xr).logsumexp(1).sum().backward()
    assert torch.isfinite(xr.grad).all() and xr.grad.abs().sum() > 0
    set_surrogate(net, False)
    assert all(not m.surrogate for m in binary_layers(net))
    with pytest.raises(ValueError):
        set_surrogate(_net(), True)  # nothing to switch in a full-precision model


def _multilevel_grads(x, shift, beta, grad):
    x, s, b = (t.clone().requires_grad_() for t in (x, shift, beta))
    y = _MultiLevelSTE.apply(x, s, b)
    y.backward(grad)
    return y.detach(), x.grad, s.grad, b.grad


def test_abc_activation_kernels_compiled_match_eager_and_the_hand_gradients(monkeypatch):
    """The compiled ABC activation is bit-identical to eager in value and input gradient;
    both follow the documented straight-through formulas."""
    torch.manual_seed(0)
    x = torch.randn(2, 8, 16, 16).clamp(-1, 1)
    shift = 0.5 - torch.tensor([-0.5, 0.0, 0.5]) + 0.05 * torch.randn(3)
    beta = torch.tensor([0.3, 0.5, 0.2])
    grad = torch.randn_like(x)
    monkeypatch.setattr(binary_module, "COMPILE_MIN_NUMEL", x.numel() + 1)  # eager
    eager = _multilevel_grads(x, shift, beta, grad)
    monkeypatch.setattr(binary_module, "COMPILE_MIN_NUMEL", 0)  # compiled
    compiled = _multilevel_grads(x, shift, beta, grad)
    assert torch.equal(eager[0], compiled[0]) and torch.equal(eager[1], compiled[1])
    for e, c in zip(eager[2:], compiled[2:], strict=True):
        assert torch.allclose(e, c, rtol=1e-5, atol=1e-5)
    z = x.unsqueeze(0) + shift.view(-1, 1, 1, 1, 1)
    signs = torch.where(z - 0.5 >= 0, 1.0, -1.0)
    window = ((z >= 0) & (z <= 1)).float() * 2 * beta.view(-1, 1, 1, 1, 1)
    assert torch.allclose(eager[0], (beta.view(-1, 1, 1, 1, 1) * signs).sum(0))
    assert torch.allclose(eager[1], grad * window.sum(0), atol=1e-6)
    assert torch.allclose(eager[2], (grad * window).flatten(1).sum(1), rtol=1e-4)
    assert torch.allclose(eager[3], (grad * signs).flatten(1).sum(1), rtol=1e-4)
