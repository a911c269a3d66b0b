"""Fixed-point layers, DNS masks in training, the transfer helper, adversarial training,
EoT on the stochastic model, and the Galloway and Zhao chapters' validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from compression_robustness import attacks as A
from compression_robustness.attacks import transfer
from compression_robustness.compression import adversarial, dns, fixed_point
from compression_robustness.core.registry import ConfigError
from compression_robustness.data.datasets import DatasetSpec
from compression_robustness.models import count_params
from compression_robustness.models.mnist import CifarNet, GallowayCNN, LeNet5
from compression_robustness.models.quant import quantize
from compression_robustness.runtime.estimator import FastPyTorchClassifier, make_classifier
from compression_robustness.studies.galloway import bnn_mnist as galloway
from compression_robustness.studies.zhao import transferability as zhao

SPEC = DatasetSpec("toy", 2, (1, 8, 8), (0.0,), (1.0,))


def test_architectures_have_the_papers_parameter_counts():
    assert count_params(LeNet5()) == 431_080  # Zhao et al.: 431K
    assert abs(count_params(CifarNet()) - 1.3e6) < 0.05e6  # Zhao et al.: 1.3M
    for kind in "abcs":
        out = GallowayCNN(8, kind)(torch.rand(2, 1, 28, 28))
        assert out.shape == (2, 10)


def test_fixed_point_layer_uses_the_quantised_weights_exactly():
    lin = nn.Linear(3, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.30, -0.70, 1.20]]))
    fixed_point.apply_fixed_point(lin, bits=4, int_bits=1)  # step 1/8, range [-1, 0.875]
    x = torch.eye(3)
    # 0.30*8 = 2.4 -> 2 -> 0.25; -0.70*8 = -5.6 -> -6 -> -0.75; 1.2 clips to 7/8
    assert torch.equal(lin(x).flatten(), torch.tensor([0.25, -0.75, 0.875]))
    assert torch.equal(lin(x).flatten(), quantize(lin.weight, 4, 1).flatten())


def test_dns_training_hook_follows_the_alpha_beta_rule():
    lin = nn.Linear(10, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.linspace(0.1, 1.0, 10).view(1, 10))
    dns.apply_dns(lin, density=0.5)
    assert lin.dns_mask.sum() == 5
    a, b = dns.dns_thresholds(lin.weight, 0.5, 0.1)
    with torch.no_grad():  # one weight into each region
        lin.weight[0, 9] = a / 2  # was kept: must be cut (below a)
        lin.weight[0, 0] = 2 * b  # was cut: must be spliced back (above b)
    a, b = dns.dns_thresholds(lin.weight, 0.5, 0.1)
    band = ((lin.weight.abs() >= a) & (lin.weight.abs() < b)).flatten()
    before = lin.dns_mask.clone()
    dns.dns_hook(0.5, 0.1, every=1)(lin)
    m = lin.dns_mask.flatten()
    assert m[9] == 0 and m[0] == 1
    assert torch.equal(m[band], before.flatten()[band])  # the band keeps its decision
    # pruned weights still get gradients (they can recover), and the forward uses W*T
    x = torch.ones(1, 10)
    lin(x).sum().backward()
    assert torch.all(lin.weight.grad != 0)
    assert torch.allclose(lin(x), (lin.weight * lin.dns_mask).sum())


class _NoGradients(FastPyTorchClassifier):
    """A target that refuses every gradient request."""

    def torch_loss_grad(self, x, y):
        raise AssertionError("the target's gradient was used")

    def loss_gradient(self, *a, **k):
        raise AssertionError("the target's gradient was used")

    def class_gradient(self, *a, **k):
        raise AssertionError("the target's gradient was used")


def _toy_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 2))


def test_transfer_helper_never_uses_the_targets_gradients():
    x = torch.rand(20, 1, 8, 8)
    y = torch.randint(0, 2, (20,))
    source = make_classifier(_toy_model(0), SPEC, 8)
    tm = _toy_model(1).eval()
    tm.requires_grad_(False)
    target = _NoGradients(tm, SPEC, 8)
    x_adv = transfer.generate(A.RecordingBIM(source, eps=0.1, eps_step=0.1, max_iter=2), x, y)
    rows = transfer.transfer_rows(x, y, x_adv, {"t": target})
    assert rows[0]["target"] == "t" and 0 <= rows[0]["accuracy"] <= 1
    assert rows[0]["mean_abs_perturbation"] > 0
    # the substitute sees the target through labels only
    calls = []

    def oracle(xq):
        calls.append(len(xq))
        return transfer.predict_labels(target, xq)

    net, info = transfer.train_substitute(
        oracle, x[:10], lambda: _toy_model(2), SPEC, rounds=2, epochs=1
    )
    assert info["n_queries"] == sum(calls) == 20 and info["n_train"] == 20


def _toy_data(n: int, seed: int):
    """Two features: a *non-robust* one that always agrees with the label (every pixel
    shifted by ±0.03) and a *robust* one that agrees 85% of the time (one half of the
    image brighter by 0.3). Standard training leans on the first; an ε = 0.1 attacker
    erases it but not the second (Tsipras et al.'s construction, in miniature)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = 0.4 + 0.05 * torch.rand(n, 1, 8, 8, generator=g)
    x += (0.06 * y - 0.03).view(n, 1, 1, 1)
    agree = torch.rand(n, generator=g) < 0.85
    half = torch.where(agree, y, 1 - y)
    x[half == 0, :, :, :4] += 0.3
    x[half == 1, :, :, 4:] += 0.3
    return x.clamp(0, 1), y


def _fit(loss_fn, net, x, y, steps=150):
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    for _ in range(steps):
        logits = net(x)
        loss = loss_fn(logits, y, x) if loss_fn else F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_adversarial_training_lowers_fgsm_success():
    x, y = _toy_data(512, 0)
    xt, yt = _toy_data(512, 1)
    plain, robust = _toy_model(3), _toy_model(3)
    _fit(None, plain, x, y)
    _fit(adversarial.adversarial_loss(robust, "pgd", eps=0.1, steps=3, seed=0), robust, x, y)
    accs = []
    for m in (plain, robust):
        est = make_classifier(m, SPEC, 64)
        assert transfer.predict_labels(est, xt).eq(yt).float().mean() > 0.75
        accs.append(galloway.fgsm_accuracy(est, xt, yt, 0.1, 64))
    assert accs[1] > accs[0] + 0.2, accs


class _Stochastic(nn.Module):
    """A linear model whose weights are redrawn around ``w`` on every forward pass."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = nn.Parameter(torch.randn(64, 2, generator=g))

    def forward(self, x):
        noise = 4.0 * torch.randn_like(self.w)
        return x.flatten(1) @ (self.w + noise) / 8


def test_eot_gradient_is_the_sample_mean_and_at_least_as_strong():
    x = torch.rand(400, 1, 8, 8)
    with torch.no_grad():
        y = (x.flatten(1) @ _Stochastic().w).argmax(1)
    plain = make_classifier(_Stochastic(), SPEC, 400)
    eot = galloway.eot_classifier(_Stochastic(), SPEC, samples=32, batch_size=400)
    accs = {}
    for name, est in (("plain", plain), ("eot", eot)):
        runs = []
        for s in range(3):
            torch.manual_seed(s)
            runs.append(galloway.fgsm_accuracy(est, x, y, 0.1, 400))
        accs[name] = np.mean(runs)
    assert accs["eot"] <= accs["plain"], accs
    # the EoT gradient is the mean of the per-sample gradients
    torch.manual_seed(5)
    g_eot, _, _ = eot.torch_loss_grad(x[:4], y[:4])
    torch.manual_seed(5)
    gs = [FastPyTorchClassifier.torch_loss_grad(eot, x[:4], y[:4])[0] for _ in range(32)]
    assert torch.allclose(g_eot, torch.stack(gs).mean(0), atol=1e-6)


def test_binary_model_binarises_weights_and_activations():
    m = GallowayCNN(4, "b").eval()
    seen = []
    m.act1.register_forward_hook(lambda _m, _i, o: seen.append(o))
    m(torch.rand(2, 1, 28, 28))
    assert set(seen[0].unique().tolist()) <= {-1.0, 1.0}
    s = GallowayCNN(4, "s").eval()
    x = torch.rand(2, 1, 28, 28)
    torch.manual_seed(0)
    a = s(x)
    torch.manual_seed(1)
    assert not torch.equal(a, s(x))  # stochastic at test time


@pytest.mark.parametrize(
    "fn, kwargs, message",
    [
        (zhao.validate_transferability, {"step": -0.1}, "`step`"),
        (zhao.validate_transferability, {"lenet_densities": [3]}, "`lenet_densities`"),
        (zhao.validate_transferability, {"archs": ["vgg"]}, "`archs`"),
        (galloway.validate_bnn, {"fgsm_eps": [-0.1]}, "`fgsm_eps`"),
        (galloway.validate_bnn, {"widths": [48]}, "`widths`"),
        (galloway.validate_bnn, {"cw_models": ["galloway-z9"]}, "`cw_models`"),
        (galloway.validate_bnn, {"cw_binary_search_steps": 0}, "`cw_binary_search_steps`"),
        (galloway.validate_bnn, {"cw_abort_early": -1}, "`cw_abort_early`"),
    ],
)
def test_chapters_refuse_bad_parameters(fn, kwargs, message):
    tr = dict(
        profile="smoke", archs=["lenet5"], lenet_densities=[5], lenet_bits=[4],
        cifar_densities=[5], cifar_bits=[4], n_mnist=8, n_cifar=8, step=0.02, iterations=2,
        deepfool_iter=2, deepfool_grads=3, grid_eps=[0.02], grid_iterations=[1], seed=0, batch_size=8,
    )  # fmt: skip
    bnn = dict(
        profile="smoke", kinds=["a"], widths=[32], exclude=[], seeds={}, fgsm_eps=[0.1],
        adv_models=[], cw_models=[], cw_c=1.0, cw_iter=2, cw_binary_search_steps=1, cw_abort_early=0, eot_samples=2,
        blackbox_targets=[], sub_seed_images=10, sub_rounds=1, sub_epochs=1,
        n_examples=8, n_cw=8, seed=0, batch_size=8,
    )  # fmt: skip
    base = tr if fn is zhao.validate_transferability else bnn
    with pytest.raises(ConfigError, match=message):
        fn(**{**base, **kwargs})


def test_paper_labels():
    assert galloway.label("galloway-a64-pgdadv") == "A64+*"
    assert galloway.label("galloway-b32") == "B32"
    assert galloway.label("galloway-a64-fgsmadv") == "A64+"
    assert zhao.model_info("lenet5-dns5")["density"] == 0.05
    assert zhao.model_info("cifarnet-q8")["bits"] == 8


def test_masking_table_flags_flat_fgsm_curves():
    G = galloway
    fgsm = pd.DataFrame(
        {
            "model": ["m1", "m1", "m2", "m2"],
            "attack": "fgsm",
            "eps": [0.1, 0.3] * 2,
            "accuracy": [0.70, 0.02, 0.90, 0.89],  # m2 keeps its accuracy as eps grows
        }
    )
    grads = pd.DataFrame(
        {
            "model": ["m1", "m2"],
            "label": ["B64", "B256"],
            "model_seed": [0, 1],
            "zero_gradient_share": [0.0, 0.9],
            "median_logit_range": [12.3, 1500.0],
        }
    )
    t = G.masking_table(fgsm, grads)
    assert list(t["model"]) == ["B64 (seed 0)", "B256 (seed 1)"]
    assert list(t["flat"]) == [False, True]
    assert list(t["FGSM ε=0.3 (%)"]) == [2.0, 89.0] and list(t["zero gradient (%)"]) == [0.0, 90.0]


def test_fgsm_tables_put_the_papers_numbers_beside_ours():
    """The paper's FGSM accuracy (data/reference, as printed) sits beside ours per ε;
    models the paper has no row for show a dash."""
    assert galloway.paper_fgsm()[("galloway-a64", 0.1)] == "74 ± 4"  # slides, line 72
    rows = [
        {"model": m, "kind": kind, "k": 64, "adversarial_training": adv, "attack": "fgsm",
         "eps": e, "accuracy": acc, "clean_accuracy": 0.98, "model_seed": 0}
        for m, kind, adv, acc in (
            ("galloway-a64", "a", "none", 0.7), ("galloway-s64", "s", "none", 0.3),
            ("galloway-a64-pgdadv", "a", "pgdadv", 0.8),
        )
        for e in (0.1, 0.3)
    ]  # fmt: skip
    plain, adv = galloway.fgsm_tables(pd.DataFrame(rows))
    assert plain.loc["A64", "FGSM ε=0.1"] == "70.0" and plain.loc["A64", "paper ε=0.1"] == "74 ± 4"
    assert plain.loc["S64", "paper ε=0.3"] == "–"
    assert adv.loc["A64+*", "paper ε=0.1"] == "94.7 ± 0.2"


def test_the_cw_table_puts_the_papers_numbers_beside_ours():
    cw = pd.DataFrame(
        {"model": ["galloway-b32", "galloway-b64-pgdadv"], "accuracy": [0.6, 0.68],
         "mean_l2": [0.49, 0.35], "success_rate": [0.29, 0.23], "n_examples": [50, 50]}
    )  # fmt: skip
    t = galloway.cw_table(cw)
    assert t.loc["B32", "paper accuracy"] == "7 ± 1"  # slides: C&W table, B32
    assert t.loc["B32", "paper mean_l2"] == "2.88 ± 0.02"
    assert t.loc["B64+*", "paper accuracy"] == "–"  # the paper's B+ is FGSM-trained
