import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from compression_robustness import models as M
from compression_robustness.core.registry import ConfigError
from compression_robustness.runtime import train as T
from compression_robustness.runtime.train import (
    TrainState,
    augment_batch,
    full_recipe,
    split_train_val,
    train,
)


@pytest.fixture
def tiny_cifar(isolated_data):
    """A tiny CIFAR-10-shaped cache in an isolated data dir (random pixels, real layout)."""
    folder = isolated_data / "cifar10"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 48), ("test", 16)):
        np.save(folder / f"{split}_x.npy", rng.integers(0, 256, (n, 32, 32, 3)).astype(np.uint8))
        np.save(folder / f"{split}_y.npy", np.arange(n) % 10)
    return isolated_data


RECIPE = full_recipe(arch="resnet20", dataset="cifar10", epochs=3, batch_size=16, lr=0.05)


def _fresh():
    torch.manual_seed(0)
    return M.build_arch("resnet20")


def test_killed_training_resumes_to_the_same_weights(tiny_cifar, tmp_path):
    ref = _fresh()
    info_ref = train(ref, RECIPE, progress=False)
    stem = tmp_path / "run"
    net = _fresh()
    assert train(net, RECIPE, progress=False, state_path=stem, stop_after_epoch=1) is None
    assert TrainState(stem).exists()
    resumed = _fresh()  # a new process would start from a fresh model
    info = train(resumed, RECIPE, progress=False, state_path=stem)
    for (k, a), b in zip(ref.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert [h["epoch"] for h in info["history"]] == [1, 2, 3]
    assert info["test_accuracy"] == info_ref["test_accuracy"]


def test_state_of_another_recipe_is_refused(tiny_cifar, tmp_path):
    stem = tmp_path / "run"
    train(_fresh(), RECIPE, progress=False, state_path=stem, stop_after_epoch=1)
    with pytest.raises(RuntimeError, match="another recipe"):
        train(_fresh(), {**RECIPE, "lr": 0.01}, progress=False, state_path=stem)


def test_state_files_are_each_no_larger_than_the_weights(tiny_cifar, tmp_path):
    # so a model whose weights may be committed has a committable training state too
    stem = tmp_path / "run"
    net = _fresh()
    train(net, RECIPE, progress=False, state_path=stem, stop_after_epoch=2)
    weights = sum(t.numel() * t.element_size() for t in net.state_dict().values())
    files = TrainState(stem).files()
    assert [f.name for f in files] == [
        "run.state-e002-model.safetensors",
        "run.state-e002-opt.safetensors",
    ]
    assert all(f.stat().st_size <= weights + 64 * 1024 for f in files)  # + header and RNG state


def test_a_kill_while_saving_keeps_the_previous_state(tiny_cifar, tmp_path, monkeypatch):
    ref = _fresh()
    train(ref, RECIPE, progress=False)
    stem = tmp_path / "run"
    train(_fresh(), RECIPE, progress=False, state_path=stem, stop_after_epoch=1)
    # the next save dies after writing its tensors, before the JSON that names them
    real = T.atomic_write

    def dies_on_json(path, write):
        if str(path).endswith(".state.json"):
            raise KeyboardInterrupt
        real(path, write)

    monkeypatch.setattr(T, "atomic_write", dies_on_json)
    with pytest.raises(KeyboardInterrupt):
        train(_fresh(), RECIPE, progress=False, state_path=stem, stop_after_epoch=2)
    monkeypatch.setattr(T, "atomic_write", real)
    assert json.loads(TrainState(stem).meta.read_text())["epoch"] == 1
    resumed = _fresh()
    info = train(resumed, RECIPE, progress=False, state_path=stem)
    assert [h["epoch"] for h in info["history"]] == [1, 2, 3]
    for (k, a), b in zip(ref.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert TrainState(stem).files()[0].name.startswith("run.state-e003-")


def test_a_state_file_of_another_epoch_is_refused(tiny_cifar, tmp_path):
    stem = tmp_path / "run"
    train(_fresh(), RECIPE, progress=False, state_path=stem, stop_after_epoch=1)
    st = TrainState(stem)
    meta = json.loads(st.meta.read_text())
    meta["epoch"] = 2  # a JSON that no longer describes its files
    st.meta.write_text(json.dumps(meta))
    with pytest.raises(RuntimeError, match="holds epoch 1"):
        train(_fresh(), RECIPE, progress=False, state_path=stem)


def test_the_one_file_state_of_earlier_runs_still_resumes(tiny_cifar, tmp_path):
    ref = _fresh()
    train(ref, RECIPE, progress=False)
    stem = tmp_path / "run"
    train(_fresh(), RECIPE, progress=False, state_path=stem, stop_after_epoch=1)
    st = TrainState(stem)  # rewrite it in the earlier format: one tensors file, no names
    meta = json.loads(st.meta.read_text())
    tensors = {}
    for f in st.files():
        tensors.update(load_file(str(f)))
        f.unlink()
    save_file(tensors, str(st.legacy))
    del meta["files"]
    st.meta.write_text(json.dumps(meta))
    assert st.exists()
    resumed = _fresh()
    train(resumed, RECIPE, progress=False, state_path=stem)
    for (k, a), b in zip(ref.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert not st.legacy.exists()


def test_augmentation_is_a_seeded_crop_and_flip():
    x = torch.rand(8, 3, 32, 32)
    a = augment_batch(x, "crop_flip", torch.Generator().manual_seed(1))
    b = augment_batch(x, "crop_flip", torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == x.shape
    assert torch.equal(augment_batch(x, "none", torch.Generator()), x)


def test_validation_images_are_held_out_of_training():
    tr, val = split_train_val(100, 30, 10, seed=3)
    assert len(tr) == 30 and len(val) == 10 and not set(tr) & set(val)
    again = split_train_val(100, 30, 10, seed=3)
    assert np.array_equal(tr, again[0]) and np.array_equal(val, again[1])
    tr_all, val_all = split_train_val(100, None, 10, seed=3)
    assert np.array_equal(val, val_all) and len(tr_all) == 90 and set(tr) <= set(tr_all)
    with pytest.raises(ValueError, match="exceed"):
        split_train_val(100, 95, 10, seed=3)


VAL_RECIPE = full_recipe(
    arch="resnet20",
    dataset="cifar10",
    epochs=3,
    batch_size=8,
    lr=0.05,
    train_subset=32,
    val_subset=16,
    val_every=16,
)


def test_training_stops_at_the_first_check_that_reaches_the_target(tiny_cifar):
    # a target of 0 is met by the first check: after val_every=16 images (2 steps)
    info = train(_fresh(), {**VAL_RECIPE, "target_accuracy": 0.0}, progress=False)
    assert info["target_reached"] and info["images_seen"] == 16 and info["n_val"] == 16
    assert [h["epoch"] for h in info["history"]] == [1]
    assert info["history"][0]["val_checks"] == [
        {"epoch": 1, "images": 16, "val_acc": info["val_accuracy"]}
    ]
    # an unreachable target runs every epoch, checking every 16 images and at each epoch end
    info = train(_fresh(), {**VAL_RECIPE, "target_accuracy": 1.01}, progress=False)
    assert not info["target_reached"] and info["images_seen"] == 3 * 32
    checks = [c["images"] for h in info["history"] for c in h["val_checks"]]
    assert checks == [16, 32, 48, 64, 80, 96]
    # an epoch that is not a whole number of batches counts the images, not the batch slots
    recipe = {**VAL_RECIPE, "batch_size": 12, "val_every": 24, "target_accuracy": 1.01}
    info = train(_fresh(), recipe, progress=False)
    checks = [c["images"] for h in info["history"] for c in h["val_checks"]]
    assert checks == [24, 32, 56, 64, 88, 96] and info["images_seen"] == 96


def test_stopped_training_resumes_as_stopped(tiny_cifar, tmp_path):
    recipe = {**VAL_RECIPE, "val_every": None, "target_accuracy": 1.01}
    ref = _fresh()
    info_ref = train(ref, recipe, progress=False)
    stem = tmp_path / "run"
    assert train(_fresh(), recipe, progress=False, state_path=stem, stop_after_epoch=2) is None
    resumed = _fresh()
    info = train(resumed, recipe, progress=False, state_path=stem)
    for a, b in zip(ref.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert info["val_accuracy"] == info_ref["val_accuracy"]
    assert [c for h in info["history"] for c in h["val_checks"]] == [
        c for h in info_ref["history"] for c in h["val_checks"]
    ]


def test_bf16_precision_autocasts_training_and_keeps_float32_weights(tiny_cifar, monkeypatch):
    monkeypatch.setenv(T.ALLOW_EMULATED_BF16_ENV, "1")  # tiny: fine where bf16 is emulated
    net = _fresh()
    seen = set()
    net.conv1.register_forward_hook(lambda m, i, o: seen.add((m.training, o.dtype)))
    info = train(net, {**RECIPE, "epochs": 1, "precision": "bf16"}, progress=False)
    # training forward passes ran in bfloat16, the final evaluation in float32
    assert seen == {(True, torch.bfloat16), (False, torch.float32)}
    assert all(p.dtype == torch.float32 for p in net.parameters())
    assert np.isfinite(info["history"][0]["train_loss"])


def test_bf16_on_a_cpu_without_native_bf16_is_refused_before_any_compute(tiny_cifar, monkeypatch):
    monkeypatch.delenv(T.ALLOW_EMULATED_BF16_ENV, raising=False)
    monkeypatch.setattr(T, "cpu_flags", lambda: {"avx", "avx2", "fma"})
    monkeypatch.setattr(T, "_training_data", lambda r: pytest.fail("loaded data first"))
    with pytest.raises(ConfigError, match="`precision` is bf16.*no native bfloat16"):
        train(_fresh(), {**RECIPE, "precision": "bf16"}, progress=False)
    T.check_precision_supported({**RECIPE, "precision": "fp32"})  # fp32 is always fine
    monkeypatch.setattr(T, "cpu_flags", lambda: {"avx512f", "avx512_bf16"})
    T.check_precision_supported({**RECIPE, "precision": "bf16"})
    monkeypatch.setattr(T, "cpu_flags", lambda: {"avx2"})
    monkeypatch.setenv(T.ALLOW_EMULATED_BF16_ENV, "1")
    T.check_precision_supported({**RECIPE, "precision": "bf16"})


def test_history_records_the_cpu_of_each_epoch(tiny_cifar):
    info = train(_fresh(), {**RECIPE, "epochs": 1}, progress=False)
    assert info["history"][0]["cpu"] == T.cpu_name() != ""


def test_unknown_precision_names_the_key():
    with pytest.raises(ValueError, match="`precision`"):
        full_recipe(arch="resnet20", dataset="cifar10", precision="fp8")


def test_augmentation_draws_on_the_cpu_whatever_device_the_images_are_on():
    # a batch held on an accelerator is augmented there, from the very draws of the CPU run
    # (the meta device stands in for a GPU: same shapes, no data)
    x = torch.rand(8, 3, 32, 32)
    g_cpu, g_dev = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    a, b = augment_batch(x, "crop_flip", g_cpu), augment_batch(x.to("meta"), "crop_flip", g_dev)
    assert b.device.type == "meta" and b.shape == a.shape
    assert torch.equal(g_cpu.get_state(), g_dev.get_state())


def test_training_images_are_resident_on_an_accelerator_when_they_fit(monkeypatch):
    data = T._Data(
        torch.rand(4, 3, 8, 8), torch.arange(4), torch.rand(2, 3, 8, 8), torch.arange(2), None
    )
    assert T._resident(data, torch.device("cpu")) is data  # the CPU path is untouched
    held = T._resident(data, torch.device("meta"))
    assert {t.device.type for t in (held.x_tr, held.y_tr, held.x_val, held.y_val)} == {"meta"}
    monkeypatch.setattr(T, "RESIDENT_MAX_BYTES", 4 * 3 * 8 * 8 * 4)  # too big by the val set
    assert T._resident(data, torch.device("meta")) is data


def _small():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(4, 10),
    )


SMALL = {**RECIPE, "epochs": 1}


def test_compiled_training_runs_through_torch_compile_and_says_so(tiny_cifar, monkeypatch):
    eager, compiled = _small(), _small()
    info_e = train(eager, SMALL, progress=False, compile=False)
    calls, real_compile = [], torch.compile

    def fake_compile(net, **kw):  # Dynamo without a C++ toolchain: quick and exact enough
        calls.append(kw)
        return real_compile(net, backend="aot_eager", dynamic=kw.get("dynamic"))

    monkeypatch.setattr(T.torch, "compile", fake_compile)
    monkeypatch.setenv(T.COMPILE_TRAIN_ENV, "1")
    info_c = train(compiled, SMALL, progress=False)  # compile=None reads the environment
    assert calls == [{"dynamic": False}]
    assert info_e["compiled"] is False and info_c["compiled"] is True
    assert info_c["history"][0]["compiled"] is True and "compiled" not in info_e["history"][0]
    for (k, a), b in zip(eager.state_dict().items(), compiled.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=k)


def test_a_network_that_does_not_compile_trains_eager_to_the_same_weights(tiny_cifar, monkeypatch):
    eager, fallback = _small(), _small()
    train(eager, SMALL, progress=False, compile=False)

    def broken(x):
        raise RuntimeError("BackendCompilerFailed: no compiler")

    monkeypatch.setattr(T.torch, "compile", lambda net, **kw: broken)
    info = train(fallback, SMALL, progress=False, compile=True)
    assert info["compiled"] is False
    for (k, a), b in zip(eager.state_dict().items(), fallback.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
