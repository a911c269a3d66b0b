import pytest
import torch

from compression_robustness import models as M
from compression_robustness import zoo
from compression_robustness.runtime import checkpoints as C
from compression_robustness.zoo import entry as zoo_entry


def test_roundtrip_and_manifest(tmp_path):
    torch.manual_seed(0)
    net = M.build_arch("resnet20")
    where = C.CheckpointPaths.for_recipe(tmp_path, "r20", {"epochs": 1})
    man = C.save(net, where, {"recipe": {"epochs": 1}, "test_accuracy": 0.5})
    assert where.weights.suffix == ".safetensors"
    assert man["sha256"] == C.sha256_file(where.weights)
    other = M.build_arch("resnet20")
    assert not C.state_dict_equal(net, other)
    loaded = C.load_into(other, where)
    assert C.state_dict_equal(net, other)
    assert loaded["test_accuracy"] == 0.5 and len(loaded["sha256"]) == 64
    assert "git_commit" in loaded["provenance"]


def test_corrupted_checkpoint_is_refused(tmp_path):
    net = M.build_arch("resnet20")
    where = C.CheckpointPaths.for_recipe(tmp_path, "r20", {"epochs": 1})
    C.save(net, where, {"recipe": {"epochs": 1}})
    raw = bytearray(where.weights.read_bytes())
    raw[-10] ^= 0xFF  # flip bits in the weights
    where.weights.write_bytes(bytes(raw))
    with pytest.raises(C.CheckpointIntegrityError, match="refusing"):
        C.load_into(M.build_arch("resnet20"), where)


def test_recipe_hash_names_the_checkpoint(tmp_path):
    a = C.CheckpointPaths.for_recipe(tmp_path, "n", {"epochs": 1, "lr": 0.1})
    b = C.CheckpointPaths.for_recipe(tmp_path, "n", {"lr": 0.1, "epochs": 1})
    c = C.CheckpointPaths.for_recipe(tmp_path, "n", {"epochs": 2, "lr": 0.1})
    assert a == b and a != c


def test_zoo_never_retrains_an_existing_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("CRS_DATA_DIR", str(tmp_path))
    calls = []

    def fake_train(model, recipe, **kw):
        calls.append(recipe["arch"])
        return {
            "test_accuracy": 0.1,
            "train_seconds": 0.0,
            "n_train": 0,
            "n_test": 0,
            "history": [],
        }

    monkeypatch.setattr(zoo_entry, "train", fake_train)
    first = zoo.get("resnet20-vanilla", "smoke", progress=False)
    second = zoo.get("resnet20-vanilla", "smoke", progress=False)
    assert calls == ["resnet20"], "the second request retrained"
    assert first.sha256 == second.sha256
    assert C.state_dict_equal(first.model, second.model)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        zoo.get("resnet56-vanilla", "smoke", train_if_missing=False)


def test_large_weights_go_to_the_ignored_cache(tmp_path, monkeypatch):
    """Weights over the limit are written outside git; the manifest alone gives the sha."""
    monkeypatch.setattr(C, "MAX_COMMITTED_BYTES", 1000)
    net = M.build_arch("resnet20")
    where = C.CheckpointPaths.for_recipe(
        tmp_path / "ckpt", "r20", {"epochs": 1}, large_folder=tmp_path / "cache"
    )
    man = C.save(net, where, {"recipe": {"epochs": 1}})
    assert not where.weights.exists() and where.large.is_file()
    assert man["weights_committed"] is False and man["weights_bytes"] > 1000
    assert where.exists() and where.weights_file() == where.large
    other = M.build_arch("resnet20")
    C.load_into(other, where)
    assert C.state_dict_equal(net, other)
    where.large.unlink()  # as on a fresh clone: the manifest is there, the weights are not
    assert where.has_manifest() and not where.exists()
    with pytest.raises(FileNotFoundError, match="no weights"):
        C.load_into(M.build_arch("resnet20"), where)


def test_small_weights_stay_in_the_committed_folder(tmp_path):
    net = M.build_arch("resnet20")
    where = C.CheckpointPaths.for_recipe(
        tmp_path / "ckpt", "r20", {"epochs": 1}, large_folder=tmp_path / "cache"
    )
    man = C.save(net, where, {"recipe": {"epochs": 1}})
    assert where.weights.is_file() and not where.large.exists()
    assert man["weights_committed"] is True
