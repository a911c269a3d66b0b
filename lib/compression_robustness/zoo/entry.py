"""The model zoo: named, trained models with per-profile recipes and cached checkpoints.

A zoo name such as ``resnet20-vanilla`` maps to a :class:`ZooEntry`: the base
architecture, the dataset, the compression steps (none for vanilla) and a training
recipe per profile. :func:`get` returns the trained model, training it once when its
checkpoint is missing; checkpoints are keyed by a hash of the recipe, so a second request
never retrains.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from compression_robustness import compression as K
from compression_robustness import data as D
from compression_robustness import models as M
from compression_robustness.core import paths
from compression_robustness.core.io import atomic_write, file_lock
from compression_robustness.core.params import check_zoo_profile, recipe_profile
from compression_robustness.core.registry import Registry
from compression_robustness.models import Normalize
from compression_robustness.runtime import checkpoints as C
from compression_robustness.runtime import ray_executor as RX
from compression_robustness.runtime.costs import model_costs
from compression_robustness.runtime.train import TrainState, full_recipe, seed_everything, train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ZooEntry:
    """A named model: architecture, dataset, compression and a training recipe per profile.

    Compression is declared, not coded: ``method`` names a registered
    :class:`~compression_robustness.compression.CompressionMethod` (its settings go into the
    recipe; it gives the built model its structure and prepares it for training: masks, an
    after-step hook, a loss); ``parent`` initialises the weights from another zoo model's
    checkpoint; ``teacher`` is the zoo model a distillation method learns from. All of it,
    with the parent's and teacher's checkpoint sha256, goes into the recipe, whose hash
    names the checkpoint.
    """

    name: str
    arch: str
    dataset: str
    recipes: dict[str, dict[str, Any]]  # profile -> recipe overrides
    family: str = "vanilla"
    description: str = ""
    profiles: tuple[str, ...] = ("smoke", "cpu", "paper")  # profiles that train it by default
    parent: str | None = None
    teacher: str | None = None
    method: str | None = None  # a registered compression method
    builder: Callable[[ZooEntry, str], nn.Module] | None = field(default=None, compare=False)

    @property
    def variant(self) -> str:
        return self.name.split("-", 1)[1]

    def compression(self) -> dict[str, Any]:
        return K.create(self.method).compression() if self.method else {}

    def schedule(self, profile: str) -> dict[str, Any]:
        """The training schedule and compression of ``profile``; pure (trains nothing)."""
        check_zoo_profile(profile)
        key = recipe_profile(profile)
        if key not in self.recipes:
            raise KeyError(
                f"zoo model {self.name!r} has no recipe for {profile!r}; it has: "
                + ", ".join(self.recipes)
            )
        r = full_recipe(arch=self.arch, dataset=self.dataset, **self.recipes[key])
        comp = self.compression()
        if comp:
            r["compression"] = comp
        return r

    def recipe(self, profile: str) -> dict[str, Any]:
        """The full recipe: the schedule plus the parent's and teacher's checkpoint sha256.

        Resolving those hashes trains the parent or teacher when its checkpoint is missing
        (a dependency); use :meth:`schedule` to describe a model without that side effect.
        """
        r = self.schedule(profile)
        if self.parent:
            r["parent"] = {"name": self.parent, "sha256": checkpoint_sha(self.parent, profile)}
        if self.teacher:
            r["teacher"] = {"name": self.teacher, "sha256": checkpoint_sha(self.teacher, profile)}
        return r


@dataclass
class ZooModel:
    name: str
    model: nn.Module
    manifest: dict[str, Any]
    spec: D.DatasetSpec

    @property
    def sha256(self) -> str:
        return self.manifest["sha256"]

    @property
    def accuracy(self) -> float:
        return self.manifest["test_accuracy"]


ZOO: Registry[ZooEntry] = Registry("zoo model", param="model")


def register(entry: ZooEntry) -> ZooEntry:
    return ZOO.register(entry.name, entry)


def default_models(profile: str) -> list[str]:
    """The zoo models a profile trains by default (those the profile's chapters use); for
    the staging set ``cpu-next``, every model that has a recipe in it and that some profile
    trains by default (not ResNet110, a teacher trained only when asked for)."""
    check_zoo_profile(profile)
    if profile == "cpu-next":
        return [n for n in ZOO.names() if profile in ZOO.get(n).recipes and ZOO.get(n).profiles]
    key = recipe_profile(profile)
    return [n for n in ZOO.names() if key in ZOO.get(n).profiles]


def names(dataset: str | None = None) -> list[str]:
    return [n for n in ZOO.names() if dataset is None or ZOO.get(n).dataset == dataset]


def build(entry: ZooEntry, profile: str) -> nn.Module:
    """The untrained model with the entry's structure (binarised layers included)."""
    if entry.builder is not None:
        return entry.builder(entry, profile)
    spec = D.spec(entry.dataset)
    model = M.build_arch(entry.arch, spec.num_classes, spec.shape[0])
    return K.create(entry.method).build(model) if entry.method else model


def checkpoint_sha(name: str, profile: str) -> str:
    """The sha256 of a zoo model's checkpoint, training it first when it has no manifest.

    Only the manifest is read, so results keyed by this sha stay readable where the weights
    are not committed (see :mod:`~compression_robustness.runtime.checkpoints`).
    """
    where = checkpoint_paths(name, profile)
    if not where.has_manifest():
        get(name, profile)
    return C.read_manifest(where)["sha256"]


def is_trained(name: str, profile: str, *, weights: bool = True) -> bool:
    """Whether ``name`` has a checkpoint manifest in ``profile`` (and, with ``weights``,
    its weights here), found without training anything: the parent's and teacher's
    manifests are looked up first, because the recipe that names the checkpoint holds their
    sha256."""
    entry = ZOO.get(name)
    for dep in (entry.parent, entry.teacher):
        if dep and not is_trained(dep, profile, weights=False):
            return False
    where = checkpoint_paths(name, profile)
    return where.exists() if weights else where.has_manifest()


def checkpoint_manifest(name: str, profile: str) -> dict[str, Any]:
    """The checkpoint manifest of a zoo model (trains it first when there is none)."""
    checkpoint_sha(name, profile)
    return C.read_manifest(checkpoint_paths(name, profile))


def checkpoint_paths(name: str, profile: str) -> C.CheckpointPaths:
    entry = ZOO.get(name)
    return C.CheckpointPaths.for_recipe(
        paths.checkpoints_dir(profile),
        name,
        entry.recipe(profile),
        large_folder=paths.large_checkpoints_dir(profile),
    )


def _prepare(entry: ZooEntry, profile: str):
    """The model to train, with its loss and after-step hook, from the entry's compression
    (or from the entry's own ``prepare_fn`` hook, see :class:`HookedZooEntry`)."""
    hook = getattr(entry, "prepare_fn", None)
    if hook is not None:
        return hook(entry, profile)
    spec = D.spec(entry.dataset)
    model = M.build_arch(entry.arch, spec.num_classes, spec.shape[0])
    if entry.parent:
        model.load_state_dict(get(entry.parent, profile).model.state_dict())
    if not entry.method:
        return model, None, None, None
    method = K.create(entry.method)
    method.build(model)
    teacher = get(entry.teacher, profile).model if entry.teacher else None
    prep = method.prepare_model(
        model, K.PrepareContext(spec.shape, Normalize(spec.mean, spec.std), teacher)
    )
    masks, after_step, loss_fn = prep.masks, prep.after_step, prep.loss_fn
    return model, masks, after_step, loss_fn


def get(
    name: str, profile: str, *, train_if_missing: bool = True, progress: bool = True
) -> ZooModel:
    """The trained model ``name`` for ``profile`` (eval mode, on CPU).

    A missing checkpoint is trained (and its parent or teacher first, if they are missing
    too), resuming from the last finished epoch of an interrupted run.
    """
    entry = ZOO.get(name)
    recipe = entry.recipe(profile)
    where = checkpoint_paths(name, profile)
    if not where.exists():
        if where.has_manifest():
            log.warning(
                "the weights of %s (profile %s) are not here (%s bytes, over the %s-byte limit "
                "for committed weights); retraining, which writes a new manifest",
                name,
                profile,
                C.read_manifest(where).get("weights_bytes", "?"),
                C.MAX_COMMITTED_BYTES,
            )
        if os.environ.get(RX.REFUSE_TRAINING_ENV):
            raise FileNotFoundError(
                f"no checkpoint for {name!r} in profile {profile!r} on this worker "
                f"({where.weights}); a cell task does not train: the driver trains missing "
                "checkpoints ahead of the cells (zoo.train_missing), so a worker on another "
                "machine needs the driver's data/ (a shared filesystem)"
            )
        if not train_if_missing:
            raise FileNotFoundError(
                f"no checkpoint for {name!r} in profile {profile!r} at {where.weights}; "
                f"train it with `make models PROFILE={profile}` or allow training"
            )
        # one process trains; a second one waits here, then loads what the first wrote
        with file_lock(where.manifest, what=f"the checkpoint of {name} ({profile})"):
            if not where.exists():
                _train(entry, profile, recipe, where, progress)
    model = build(entry, profile)
    manifest = C.load_into(model, where)
    model.eval()
    return ZooModel(name, model, manifest, D.spec(entry.dataset))


def _train(entry: ZooEntry, profile: str, recipe: dict[str, Any], where, progress: bool) -> None:
    """Train the entry from its preparation (resuming an interrupted run) and save it."""
    name = entry.name
    log.warning("training %s for profile %s (no checkpoint at %s)", name, profile, where.weights)
    seed_everything(recipe["seed"])  # the initial weights too, not only the training
    model, masks, after_step, loss_fn = _prepare(entry, profile)
    # The resumable training state sits beside the weights it will become: committed
    # (so training resumes across machines) only when the model is small enough.
    nbytes = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    # the state is two files, each at most the size of the weights (see TrainState)
    big = where.large is not None and nbytes > C.MAX_COMMITTED_BYTES
    stem = (where.large if big else where.weights).with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    info = train(
        model,
        recipe,
        progress=progress,
        state_path=stem,
        loss_fn=loss_fn,
        after_step=after_step,
    )
    spec = D.spec(entry.dataset)
    C.save(
        model,
        where,
        {
            "name": name,
            "profile": profile,
            "recipe": recipe,
            "dataset": entry.dataset,
            "family": entry.family,
            "test_accuracy": info["test_accuracy"],
            "train_seconds": info["train_seconds"],
            "n_train": info["n_train"],
            "n_test": info["n_test"],
            "history": info["history"],
            # the validation stopping rule's outcome, for recipes that have one
            **{
                k: info[k]
                for k in (
                    "n_val",
                    "val_accuracy",
                    "images_seen",
                    "target_reached",
                    "device",
                    "compiled",
                )
                if k in info
            },
            "costs": model_costs(model.eval(), spec.shape, masks),
        },
    )
    TrainState(stem).remove()


def _dependencies(name: str) -> list[str]:
    entry = ZOO.get(name)
    return [d for d in (entry.parent, entry.teacher) if d]


def training_waves(names: list[str], profile: str) -> list[list[str]]:
    """The models among ``names`` and their parents and teachers that have no checkpoint
    manifest in ``profile``, in waves: a model's parent and teacher are trained in an
    earlier wave (or are trained already). Nothing is trained here."""
    todo: dict[str, None] = {}

    def visit(n: str) -> None:
        if n in todo or is_trained(n, profile, weights=False):
            return
        for d in _dependencies(n):
            visit(d)
        todo[n] = None

    for n in names:
        visit(ZOO.get(n).name)
    waves = []
    while todo:
        wave = [n for n in todo if all(d not in todo for d in _dependencies(n))]
        if not wave:
            raise ValueError(f"the zoo's parents and teachers form a cycle among {list(todo)}")
        waves.append(wave)
        todo = {n: None for n in todo if n not in wave}
    return waves


def train_missing(names: list[str], profile: str, *, progress: bool = True) -> list[str]:
    """Train, once, every checkpoint that the models ``names`` need and that has no manifest
    in ``profile`` (their parents and teachers first), before any cell needs it; returns
    the names trained.

    Serially (the default) they train here one after the other, as :func:`get` would on
    first use. With ``CRS_EXECUTOR=ray``, each wave of :func:`training_waves` is one Ray task
    per checkpoint: the task gets the checkpoints its model starts from as bytes, trains in
    the worker (resumable there, under the checkpoint's lock) and returns the trained
    checkpoint as bytes, which the driver writes under the same lock."""
    waves = training_waves(list(names), profile)
    trained = [n for w in waves for n in w]
    if not trained:
        return []
    if RX.executor() != "ray":
        for n in trained:
            get(n, profile, progress=progress)
        return trained
    for wave in waves:
        jobs = [
            (n, profile, [ZOO.get(m) for m in (n, *_ancestors(n))],
             _checkpoint_files(_ancestors(n), profile))
            for n in wave
        ]  # fmt: skip
        for i, files in RX.run_tasks(jobs, _train_task, profile=profile, kind="train"):
            _write_checkpoint_files(files, profile)
            log.warning("trained %s (%s) in a Ray task", wave[i], profile)
    return trained


def _ancestors(name: str) -> list[str]:
    out: dict[str, None] = {}
    stack = _dependencies(name)
    while stack:
        d = stack.pop()
        if d not in out:
            out[d] = None
            stack.extend(_dependencies(d))
    return list(out)


def _checkpoint_files(names: list[str], profile: str) -> list[tuple[str, str, bytes]]:
    """``(folder kind, file name, bytes)`` of the manifests and weights of ``names``."""
    out = []
    for n in names:
        where = checkpoint_paths(n, profile)
        out.append(("committed", where.manifest.name, where.manifest.read_bytes()))
        w = where.weights_file()
        if w is None:
            raise FileNotFoundError(
                f"the weights of {n!r} ({profile}) are not here: {where.weights}"
            )
        out.append(("large" if w == where.large else "committed", w.name, w.read_bytes()))
    return out


def _write_checkpoint_files(files: list[tuple[str, str, bytes]], profile: str) -> None:
    """Write checkpoint files that are not here yet (weights before their manifest, each
    atomically, under the checkpoint's lock); a file already here is kept as it is. Weights
    whose sha256 is not their manifest's are refused before anything is written."""
    folders = {
        "committed": paths.checkpoints_dir(profile),
        "large": paths.large_checkpoints_dir(profile),
    }
    manifests = {name: json.loads(blob) for kind, name, blob in files if name.endswith(".json")}
    for _, name, blob in files:
        if name.endswith(".safetensors"):
            want = manifests.get(name[: -len(".safetensors")] + ".json", {}).get("sha256")
            if want != hashlib.sha256(blob).hexdigest():
                raise ValueError(f"checkpoint {name}: its weights do not match their manifest")
    order = sorted(files, key=lambda f: f[1].endswith(".json"))  # weights first
    for kind, name, blob in order:
        target = folders[kind] / name
        manifest = folders["committed"] / (Path(name).stem + ".json")
        with file_lock(manifest, what=f"the checkpoint {Path(name).stem} ({profile})"):
            if not target.exists():
                atomic_write(target, lambda tmp, blob=blob: tmp.write_bytes(blob))


def _train_task(job: tuple) -> list[tuple[str, str, bytes]]:
    """A Ray training task: register the entries the driver has and this worker lacks (a
    model registered in a notebook, say), write the checkpoints the model starts from,
    train it (or load it, when another process trained it meanwhile) and return its
    checkpoint files."""
    name, profile, entries, deps = job
    for e in entries:
        if e.name not in ZOO:
            register(e)
    _write_checkpoint_files(deps, profile)
    get(name, profile, progress=False)
    return _checkpoint_files([name], profile)


@dataclass(frozen=True)
class HookedZooEntry(ZooEntry):
    """A zoo entry whose structure (``builder``) and preparation for training
    (``prepare_fn(entry, profile) -> (model, masks, after_step, loss_fn)``) are hooks;
    ``extra`` holds their settings and goes into the recipe's ``compression``."""

    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    prepare_fn: Callable[[ZooEntry, str], tuple] | None = field(default=None, compare=False)

    def compression(self) -> dict[str, Any]:
        return {**super().compression(), **self.extra}
