"""Training is deterministic for a given recipe and seed: two trainings in two fresh
processes (the way two clones or two sessions train) give the same checkpoint sha256.

The cause of the nondeterminism this guards against: the zoo built the model (its random
initial weights) before the trainer seeded torch's global generator, so every process
started from other weights; ``zoo.get`` now seeds every generator from the recipe's seed
before building the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import needs_mirror

SCRIPT = """
import json, sys, torch
torch.set_num_threads(int(sys.argv[1]))
from compression_robustness import zoo
from compression_robustness.core import recipes as R
entry = zoo.ZooEntry(
    "lenet5-determinism", "lenet5", "mnist",
    {p: {**R.SMOKE_MNIST, "train_subset": 256, "test_subset": 100, "precision": sys.argv[2]}
     for p in ("smoke", "cpu", "paper")},
    profiles=(),
)
zoo.register(entry)
zm = zoo.get("lenet5-determinism", "smoke", progress=False)
print(json.dumps({"sha256": zm.sha256, "accuracy": zm.accuracy}))
"""


def _train_once(tmp_path, threads: int, tag: str, precision: str = "fp32") -> dict:
    env = {**os.environ, "CRS_DATA_DIR": str(tmp_path / tag)}
    # LeNet5 on 256 images is small enough to run bf16 where the CPU only emulates it
    env["CRS_ALLOW_EMULATED_BF16"] = "1"
    # the dataset cache is shared read-only through the mirror; each run trains from scratch
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(threads), precision],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@needs_mirror
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_two_trainings_in_fresh_processes_give_the_same_checkpoint(tmp_path, precision):
    """bf16 autocast (the cpu-next zoo's training precision) is covered too."""
    a = _train_once(tmp_path, 1, "a", precision)
    b = _train_once(tmp_path, 1, "b", precision)
    assert a["sha256"] == b["sha256"], (a, b)
    assert a["accuracy"] == b["accuracy"]


@needs_mirror
def test_two_concurrent_first_runs_train_once_and_share_the_checkpoint(tmp_path):
    """The second process waits on the checkpoint's lock and then loads what the first
    trained: one checkpoint, one manifest, no temporary files, the same sha256."""
    env = {**os.environ, "CRS_DATA_DIR": str(tmp_path / "shared")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, "1", "fp32"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e[-2000:] for _, e in outs]
    shas = {json.loads(o.strip().splitlines()[-1])["sha256"] for o, _ in outs}
    assert len(shas) == 1
    folder = tmp_path / "shared" / "checkpoints" / "smoke"
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".safetensors")
    trained = sum("training lenet5-determinism" in e for _, e in outs)
    assert trained == 1, "both processes trained"
