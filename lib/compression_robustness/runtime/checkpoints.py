"""Checkpoints: safetensors weights plus a JSON manifest with the file's sha256.

A checkpoint lives at ``data/checkpoints/<profile>/<name>-<recipe hash>.safetensors`` with
``.json`` beside it. The manifest holds the recipe, the dataset, the sha256 of the weights
file, the test accuracy and the training wall time. Loading verifies the sha256 and refuses
a mismatch; nothing is ever unpickled.

Only small weights are committed. A weights file larger than :data:`MAX_COMMITTED_BYTES`
(4 MB; the CIFAR ResNet20 zoo is about 1 MB a model) is written to the git-ignored cache
``data/cache/checkpoints/<profile>/`` instead, while its manifest stays in
``data/checkpoints/<profile>/`` and is committed. Results are keyed by the manifest's
sha256, so the book rebuilds from committed results without those weights; recomputing a
result whose model is missing retrains the model (``make models``).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes
from torch import nn

from compression_robustness.core.io import atomic_write
from compression_robustness.core.provenance import (
    canonical_json,
    content_hash,
    provenance,
    sha256_file,
)


class CheckpointIntegrityError(RuntimeError):
    """The weights file does not match the sha256 recorded in its manifest."""


#: Weights files larger than this are kept out of git (see the module docstring).
MAX_COMMITTED_BYTES = 4_000_000


@dataclass(frozen=True)
class CheckpointPaths:
    weights: Path  # the committed location
    manifest: Path
    large: Path | None = None  # the git-ignored location of weights over the size limit

    @classmethod
    def for_recipe(
        cls, folder: Path, name: str, recipe: dict[str, Any], large_folder: Path | None = None
    ) -> CheckpointPaths:
        stem = f"{name}-{content_hash(recipe, 12)}"
        large = (large_folder / f"{stem}.safetensors") if large_folder else None
        return cls(folder / f"{stem}.safetensors", folder / f"{stem}.json", large)

    def weights_file(self) -> Path | None:
        """The weights file that exists (committed location first), else ``None``."""
        for p in (self.weights, self.large):
            if p is not None and p.is_file():
                return p
        return None

    def has_manifest(self) -> bool:
        return self.manifest.is_file()

    def exists(self) -> bool:
        return self.manifest.is_file() and self.weights_file() is not None


def save(model: nn.Module, where: CheckpointPaths, manifest: dict[str, Any]) -> dict[str, Any]:
    """Write weights (atomically) and a manifest with their sha256; returns the manifest."""
    where.weights.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"recipe": canonical_json(manifest.get("recipe", {}))}
    blob = safetensors_bytes(
        state, metadata=meta
    )  # safetensors bytes, so the size is known up front
    digest = hashlib.sha256(blob).hexdigest()
    size = len(blob)
    committed = where.large is None or size <= MAX_COMMITTED_BYTES
    target = where.weights if committed else where.large
    atomic_write(target, lambda tmp: tmp.write_bytes(blob))
    for stale in (where.weights, where.large):  # one copy only
        if stale is not None and stale != target and stale.is_file():
            stale.unlink()
    full = {
        **manifest,
        "weights_file": where.weights.name,
        "weights_bytes": size,
        "weights_committed": committed,
        "sha256": digest,
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "provenance": provenance(),
    }
    atomic_write(
        where.manifest,
        lambda tmp: tmp.write_text(json.dumps(full, indent=2, sort_keys=True) + "\n"),
    )
    return full


def read_manifest(where: CheckpointPaths) -> dict[str, Any]:
    return json.loads(where.manifest.read_text())


def load_into(model: nn.Module, where: CheckpointPaths) -> dict[str, Any]:
    """Verify the sha256 and load the weights into ``model``; returns the manifest."""
    manifest = read_manifest(where)
    weights = where.weights_file()
    if weights is None:
        raise FileNotFoundError(f"no weights file for {where.manifest} ({where.weights.name})")
    digest = sha256_file(weights)
    if digest != manifest.get("sha256"):
        raise CheckpointIntegrityError(
            f"checkpoint {weights} has sha256 {digest[:16]}..., but its manifest "
            f"records {str(manifest.get('sha256'))[:16]}...; refusing to load it. Delete both "
            "files to retrain, or restore them from git."
        )
    state = load_file(str(weights))
    model.load_state_dict(state)
    return manifest


def state_dict_equal(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
