"""The device setting: one request (argument, else CRS_DEVICE, else auto) for estimators and
training, with one clear error before any compute when the machine cannot honour it."""

import pytest
import torch

from compression_robustness.core import device as DV
from compression_robustness.core.provenance import provenance
from compression_robustness.core.registry import ConfigError
from compression_robustness.data import spec
from compression_robustness.models import build_arch
from compression_robustness.runtime import estimator as E
from compression_robustness.runtime import train as TR

NO_CUDA = not torch.cuda.is_available()


@pytest.fixture
def no_env(monkeypatch):
    monkeypatch.delenv(DV.DEVICE_ENV, raising=False)


def test_cpu_and_auto_resolve_without_cuda(no_env):
    assert DV.resolve_device("cpu") == torch.device("cpu")
    assert DV.resolve_device(torch.device("cpu")) == torch.device("cpu")
    if NO_CUDA:
        assert DV.resolve_device() == torch.device("cpu")
        assert DV.resolve_device("auto") == torch.device("cpu")
    assert DV.device_name(torch.device("cpu")) == "cpu"


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cuda0", "tpu"])
def test_a_misspelt_device_names_the_setting_and_the_choices(no_env, bad):
    with pytest.raises(ConfigError, match=r"parameter `device`.*valid: auto, cpu, cuda, cuda:N"):
        DV.resolve_device(bad)


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_cuda_without_cuda_is_one_clear_error(no_env, monkeypatch):
    for req in ("cuda", "cuda:0"):
        with pytest.raises(ConfigError, match="parameter `device`.*CUDA is not available"):
            DV.resolve_device(req)
    monkeypatch.setenv(DV.DEVICE_ENV, "cuda")
    with pytest.raises(ConfigError, match=f"environment variable {DV.DEVICE_ENV}"):
        DV.resolve_device()


def test_a_gpu_index_beyond_the_machine_is_refused(no_env, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert DV.resolve_device("cuda:1") == torch.device("cuda", 1)
    assert DV.resolve_device("auto") == torch.device("cuda", 0)
    with pytest.raises(ConfigError, match="has 2 CUDA device"):
        DV.resolve_device("cuda:3")


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_estimators_and_training_refuse_cuda_before_any_compute(no_env, monkeypatch):
    model = build_arch("lenet5", 10, 1)
    with pytest.raises(ConfigError, match="CUDA is not available"):
        E.make_classifier(model, spec("mnist"), device="cuda")
    monkeypatch.setenv(DV.DEVICE_ENV, "cuda")
    with pytest.raises(ConfigError, match=DV.DEVICE_ENV):
        E.make_classifier(model, spec("mnist"))

    def no_data(*a, **k):
        raise AssertionError("training touched its data before checking the device")

    monkeypatch.setattr(TR, "_training_data", no_data)
    with pytest.raises(ConfigError, match=DV.DEVICE_ENV):
        TR.train(model, {"seed": 0, "dataset": "mnist"}, progress=False)


def test_the_estimator_runs_on_the_resolved_device_and_results_record_it(no_env):
    model = build_arch("lenet5", 10, 1)
    est = E.make_classifier(model, spec("mnist"), batch_size=4, device="cpu")
    assert est.torch_device == torch.device("cpu") and est._device.type == "cpu"
    x = torch.rand(3, 1, 28, 28)
    g, logits, _ = est.torch_loss_grad(x, torch.tensor([0, 1, 2]))
    assert g.device == x.device and logits.shape == (3, 10)
    assert provenance()["device"] == DV.device_name(DV.resolve_device())


@pytest.mark.skipif(NO_CUDA, reason="needs CUDA (runs on a GPU machine)")
def test_training_on_cuda_matches_the_cpu_within_round_off(no_env, tmp_path, monkeypatch):
    """On a GPU the training images are resident and augmented there, from the CPU's
    draws: the same run on both devices ends at weights equal up to float round-off."""
    import numpy as np

    folder = tmp_path / "data" / "cifar10"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 64), ("test", 16)):
        np.save(folder / f"{split}_x.npy", rng.integers(0, 256, (n, 32, 32, 3)).astype(np.uint8))
        np.save(folder / f"{split}_y.npy", np.arange(n) % 10)
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRS_DATA_MIRROR", "")
    monkeypatch.setenv("CRS_OFFLINE", "1")
    recipe = TR.full_recipe(arch="resnet20", dataset="cifar10", epochs=2, batch_size=16, lr=0.01)
    nets = {}
    for dev in ("cpu", "cuda"):
        torch.manual_seed(0)
        nets[dev] = build_arch("resnet20")
        info = TR.train(nets[dev], recipe, progress=False, device=dev)
        assert info["device"].startswith(dev)
    for (k, a), b in zip(nets["cpu"].state_dict().items(), nets["cuda"].state_dict().values(),
                         strict=True):  # fmt: skip
        if a.is_floating_point():
            torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-3, msg=k)
