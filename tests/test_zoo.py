import numpy as np
import pytest
import torch

from compression_robustness import attacks as A
from compression_robustness import data as D
from compression_robustness import zoo
from compression_robustness.compression import binary_layers
from compression_robustness.core.registry import UnknownNameError
from compression_robustness.runtime import estimator as E
from compression_robustness.studies.breakingbed import table1


# CIFAR-10 entries here; the MNIST-56 models of the pixel_noise chapter are tested in
# tests/test_studies_cheng.py
@pytest.mark.parametrize("name", zoo.names("cifar10"))
def test_every_zoo_entry_builds_runs_wraps_in_art_and_survives_an_attack(name):
    entry = zoo.ZOO.get(name)
    torch.manual_seed(0)
    model = zoo.build(entry, "smoke")
    spec = D.spec(entry.dataset)
    samples = {"cifar10": "cifar10_samples20", "mnist": "mnist_samples20"}[entry.dataset]
    x = D.load(samples).x[:4]
    y = D.load(samples).y[:4]
    xr = x.clone().requires_grad_(True)
    model(xr).sum().backward()
    assert torch.isfinite(xr.grad).all()
    assert (len(binary_layers(model)) > 0) == (entry.family == "binary")
    est = E.make_classifier(model, spec, batch_size=4)
    atk = A.create("pgd", est, eps=2.0, alpha=0.5, max_iter=1, record_at=[0, 1])
    adv = atk.generate(x.numpy(), y.numpy())
    assert np.abs(adv - x.numpy()).max() <= 2 / 255 + 1e-6
    assert list(atk.record["iterations"]) == [0, 1]


def test_recipes_name_their_compression_and_the_cpu_profile_is_bounded():
    r = zoo.ZOO.get("resnet20-prune-kernel").recipes["cpu"]
    assert r["epochs"] <= 30
    assert zoo.ZOO.get("resnet20-kd").teacher == "resnet56-vanilla"
    assert zoo.ZOO.get("resnet20-abc-3x3").compression()["binary"]["M"] == 3
    assert zoo.ZOO.get("resnet20-prune-weight").schedule("cpu")["compression"]["prune"]["allocator"]
    cpu = zoo.default_models("cpu")
    assert {f"resnet20-{v}" for v in ("vanilla", "kd", "xnor", "abc-5x5")} <= set(cpu)
    assert "resnet56-vanilla" in cpu
    assert all(zoo.ZOO.get(n).recipes["paper"]["epochs"] >= 60 for n in zoo.BREAKINGBED_MODELS)


def test_unknown_zoo_model_is_refused_with_the_valid_names():
    with pytest.raises(UnknownNameError) as e:
        table1.validate_zoo("smoke", "cifar10", ["resnet20-xnorr"])
    assert "resnet20-xnor" in str(e.value) and "`model`" in str(e.value)


def test_breakingbed_chapters_default_to_the_breakingbed_zoo_and_name_what_is_missing():
    bb = zoo.breakingbed_models("cpu")
    assert set(bb) <= set(zoo.BREAKINGBED_MODELS) and "resnet20-xnor" in bb
    cfg = table1.validate_zoo("cpu", "cifar10", [])
    assert cfg.models == [n for n in bb if zoo.ZOO.get(n).dataset == "cifar10"]
    assert table1.zoo_missing("cpu", "cifar10", cfg.models) == []
    some = ["resnet20-vanilla", "resnet20-prune-weight"]
    missing = table1.zoo_missing("cpu", "cifar10", some)
    assert set(missing) == set(cfg.models) - set(some)
