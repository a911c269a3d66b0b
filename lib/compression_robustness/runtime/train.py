"""Supervised training with seeded, per-profile recipes and tqdm progress.

A recipe is a plain dict (so it can be hashed into the checkpoint's name):

``arch, dataset, epochs, batch_size, lr, momentum, nesterov, weight_decay, schedule
("onecycle" | "step" | "cosine"), milestones (for "step"), augment ("crop_flip" | "none"),
train_subset (None = all), seed``.

Optional keys (left out of :data:`DEFAULT_RECIPE` so that recipes without them, and their
checkpoint names, are unchanged): ``test_subset`` (evaluate on that many test images) and
the paper-style stopping rule "train until the validation accuracy reaches a target":
``val_subset`` (images held out of the training split, never trained on), ``val_every``
(training images between two validation checks; every epoch also ends with one) and
``target_accuracy`` (stop at the first check at or above it). See :func:`split_train_val`.
``precision``: ``"bf16"`` runs the training forward and backward passes under bfloat16
autocast (about 2.1x the images per second of float32 for CifarNet on one AVX-512-BF16
core); weights, optimiser state, validation and the test accuracy stay float32.

``torch.compile`` for training is a setting of the run, not of the recipe, like the device
(``compile=True`` or ``CRS_COMPILE_TRAIN=1``; off by default): the compiled kernels round
differently from eager ones, so the manifest records ``compiled`` beside ``device``. On
one CPU thread it paid only for the binarised models (bf16, compiled/eager: ResNet20 0.99x,
ResNet56 0.88x, XNOR ResNet20 1.30x; ``benchmarks/results/2026-12-02_train_speed_1thread
.json``); ``benchmarks/gpu_check.sh`` measures it on a GPU.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn
from tqdm import tqdm

from compression_robustness import data as D
from compression_robustness.core.device import device_name, resolve_device
from compression_robustness.core.io import atomic_write
from compression_robustness.core.provenance import content_hash, cpu_flags, cpu_name, sha256_file
from compression_robustness.core.registry import ConfigError
from compression_robustness.models import Normalize

log = logging.getLogger(__name__)

DEFAULT_RECIPE: dict[str, Any] = {
    "epochs": 30,
    "batch_size": 128,
    "lr": 0.1,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 5e-4,
    "schedule": "onecycle",
    "milestones": None,
    "augment": "crop_flip",
    "train_subset": None,
    "label_smoothing": 0.0,
    "seed": 0,
}


#: recipe keys that may be absent (see the module docstring)
OPTIONAL_KEYS = frozenset(
    {"test_subset", "val_subset", "val_every", "target_accuracy", "precision"}
)
PRECISIONS = ("fp32", "bf16")


def split_train_val(
    n_total: int, train_subset: int | None, val_subset: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint training and validation indices into a training split of ``n_total``.

    The validation images are the first ``val_subset`` of a seeded permutation, the
    training images the next ``train_subset`` (all the rest when ``None``); both sorted.
    """
    if not 0 < val_subset < n_total:
        raise ValueError(f"`val_subset` must be in 1..{n_total - 1}, got {val_subset}")
    perm = np.random.default_rng(seed).permutation(n_total)
    val, rest = perm[:val_subset], perm[val_subset:]
    if train_subset is not None:
        if train_subset > len(rest):
            raise ValueError(
                f"`train_subset` {train_subset} + `val_subset` {val_subset} exceed the "
                f"{n_total} training images"
            )
        rest = rest[:train_subset]
    return np.sort(rest), np.sort(val)


def full_recipe(**overrides: Any) -> dict[str, Any]:
    valid = set(DEFAULT_RECIPE) | {"arch", "dataset"} | OPTIONAL_KEYS
    unknown = set(overrides) - valid
    if unknown:
        raise ValueError(f"unknown recipe keys {sorted(unknown)}; valid: {sorted(valid)}")
    if overrides.get("precision", "fp32") not in PRECISIONS:
        raise ValueError(f"`precision` must be one of {PRECISIONS}, got {overrides['precision']!r}")
    return {**DEFAULT_RECIPE, **overrides}


#: CPU flags of native bfloat16 arithmetic (AVX-512 BF16, AMX); without them PyTorch
#: emulates bf16 on the CPU, about 40x slower than float32 (measured on an AVX2-only EPYC:
#: 11.9 s per ResNet20 step against 0.8 s)
NATIVE_BF16_FLAGS = {"avx512_bf16", "amx_bf16"}
#: set to 1 to train a bf16 recipe on a CPU without native bf16 anyway (tests, tiny runs)
ALLOW_EMULATED_BF16_ENV = "CRS_ALLOW_EMULATED_BF16"


def check_precision_supported(recipe: dict[str, Any], device: torch.device | None = None) -> None:
    """Refuse, before any compute, a bf16 recipe on a CPU that would emulate bf16 (a CUDA
    ``device`` runs bf16 natively).

    The recipe's precision is part of its hash (bf16 and fp32 give different weights), so it
    cannot silently fall back to fp32: train it on a CPU with native bf16 (or a GPU), or set
    ``CRS_ALLOW_EMULATED_BF16=1`` to accept the slowdown.
    """
    if recipe.get("precision", "fp32") != "bf16":
        return
    if device is not None and device.type == "cuda":
        return
    if os.environ.get(ALLOW_EMULATED_BF16_ENV, "").strip() in ("1", "true", "yes"):
        return
    flags = cpu_flags()
    if flags is not None and not flags & NATIVE_BF16_FLAGS:
        raise ConfigError(
            f"recipe `precision` is bf16, but this CPU ({cpu_name()}) has no native bfloat16 "
            f"({' or '.join(sorted(NATIVE_BF16_FLAGS))}): training would run about 40x slower "
            f"than float32. Train it on a CPU with native bf16, or set "
            f"{ALLOW_EMULATED_BF16_ENV}=1 to accept that"
        )


def augment_batch(x: torch.Tensor, kind: str, gen: torch.Generator) -> torch.Tensor:
    """Random crop with 4-pixel zero padding and horizontal flip, vectorised over the batch.

    The offsets and flips are drawn from ``gen`` (a CPU generator) whatever device ``x`` is
    on, and applied where ``x`` is: a batch held on the GPU is augmented there, with the
    very crops and flips the CPU would apply."""
    if kind == "none":
        return x
    if kind != "crop_flip":
        raise ValueError(f"unknown augment {kind!r}")
    n, _, h, w = x.shape
    pad, dev = 4, x.device
    xp = F.pad(x, (pad, pad, pad, pad))
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen).to(dev)
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen).to(dev)
    rows = (dy.view(n, 1) + torch.arange(h, device=dev).view(1, h)).view(n, 1, h, 1)
    cols = (dx.view(n, 1) + torch.arange(w, device=dev).view(1, w)).view(n, 1, 1, w)
    bidx = torch.arange(n, device=dev).view(n, 1, 1, 1)
    cidx = torch.arange(x.shape[1], device=dev).view(1, -1, 1, 1)
    out = xp[bidx, cidx, rows, cols]
    flip = (torch.rand(n, generator=gen) < 0.5).to(dev).view(n, 1, 1, 1)
    return torch.where(flip, out.flip(-1), out)  # a select, not a mask: no host sync


def _lr_lambda(recipe: dict[str, Any], total_steps: int, steps_per_epoch: int) -> Callable:
    sched = recipe["schedule"]
    if sched == "onecycle":
        warm = max(1, int(0.15 * total_steps))

        def f(step: int) -> float:
            if step < warm:
                return 0.1 + 0.9 * step / warm
            t = (step - warm) / max(1, total_steps - warm)
            return 0.5 * (1 + math.cos(math.pi * t)) * 0.999 + 0.001

        return f
    if sched == "cosine":
        return lambda step: 0.5 * (1 + math.cos(math.pi * step / total_steps))
    if sched == "step":
        ms = recipe["milestones"] or []
        return lambda step: 0.1 ** sum(step >= m * steps_per_epoch for m in ms)
    raise ValueError(f"unknown schedule {sched!r}")


@torch.inference_mode()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500) -> float:
    """Top-1 accuracy of ``model`` (which includes normalisation) on ``x, y``."""
    model.eval()
    p = next(model.parameters(), None)
    dev = p.device if p is not None else torch.device("cpu")
    correct = 0
    for i in range(0, len(y), batch_size):
        xb = x[i : i + batch_size].to(dev).contiguous(memory_format=torch.channels_last)
        correct += (model(xb).argmax(1) == y[i : i + batch_size].to(dev)).sum().item()
    return correct / max(1, len(y))


@dataclass
class _Data:
    """The images a run trains, validates and tests on."""

    x_tr: torch.Tensor
    y_tr: torch.Tensor
    x_val: torch.Tensor | None
    y_val: torch.Tensor | None
    test: D.Split


def _training_data(recipe: dict[str, Any]) -> _Data:
    """The training images (a seeded subset, minus the held-out validation images when the
    recipe has a stopping rule) and the test images."""
    tr = D.load(recipe["dataset"], "train")
    x_tr, y_tr = tr.x, tr.y
    x_val = y_val = None
    if recipe.get("val_subset"):
        i_tr, i_val = split_train_val(
            len(y_tr), recipe.get("train_subset"), recipe["val_subset"], recipe["seed"]
        )
        x_val, y_val = x_tr[torch.from_numpy(i_val)], y_tr[torch.from_numpy(i_val)]
        x_tr, y_tr = x_tr[torch.from_numpy(i_tr)], y_tr[torch.from_numpy(i_tr)]
    elif recipe.get("train_subset"):
        idx = torch.from_numpy(D.subset_indices(len(y_tr), recipe["train_subset"], recipe["seed"]))
        x_tr, y_tr = x_tr[idx], y_tr[idx]
    te = D.load(recipe["dataset"], "test")
    if recipe.get("test_subset"):
        te = D.load_subset(recipe["dataset"], "test", recipe["test_subset"], recipe["seed"])
    return _Data(x_tr, y_tr, x_val, y_val, te)


#: training sets up to this size are held on an accelerator for the whole run (CIFAR-10's
#: 50,000 images are 614 MB in float32), so that no batch crosses the bus; larger ones
#: stay on the CPU and travel batch by batch
RESIDENT_MAX_BYTES = 4 << 30


def _resident(data: _Data, dev: torch.device) -> _Data:
    """``data`` with its training and validation images on ``dev`` when ``dev`` is an
    accelerator and they fit :data:`RESIDENT_MAX_BYTES`; unchanged on the CPU."""
    if dev.type == "cpu":
        return data
    nbytes = sum(t.numel() * t.element_size() for t in (data.x_tr, data.x_val) if t is not None)
    if nbytes > RESIDENT_MAX_BYTES:
        return data

    def move(t: torch.Tensor | None) -> torch.Tensor | None:
        return None if t is None else t.to(dev)

    return _Data(move(data.x_tr), move(data.y_tr), move(data.x_val), move(data.y_val), data.test)


def _optimiser(model: nn.Module, recipe: dict[str, Any], total: int, steps_per_epoch: int):
    """SGD with weight decay on weights only (not biases and norms), and the schedule."""
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.SGD(
        [
            {"params": decay, "weight_decay": recipe["weight_decay"]},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=recipe["lr"],
        momentum=recipe["momentum"],
        nesterov=recipe["nesterov"] and recipe["momentum"] > 0,
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(recipe, total, steps_per_epoch))
    return opt, sched


def _loss(recipe: dict[str, Any], loss_fn: Callable | None) -> Callable:
    """``loss_fn`` when given (distillation, adversarial training), else cross-entropy."""
    if loss_fn is not None:
        return loss_fn
    smoothing = recipe.get("label_smoothing", 0.0)
    return lambda logits, y, x: F.cross_entropy(logits, y, label_smoothing=smoothing)


class _StoppingRule:
    """The paper-style rule "train until the validation accuracy reaches a target": checks
    every ``val_every`` training images and at the end of every epoch."""

    def __init__(self, net: nn.Module, data: _Data, recipe: dict[str, Any], history: list):
        self.net, self.data = net, data
        self.active = data.x_val is not None
        self.target = recipe.get("target_accuracy")
        self.bs = recipe["batch_size"]
        self.every_steps = (
            max(1, round(recipe["val_every"] / self.bs))
            if self.active and recipe.get("val_every")
            else None
        )
        self.checks: list[dict[str, Any]] = [c for h in history for c in h.get("val_checks", [])]
        self.reached = (
            bool(self.checks)
            and self.target is not None
            and self.checks[-1]["val_acc"] >= self.target
        )

    def due(self, step: int, steps_per_epoch: int) -> bool:
        """A check within the epoch after optimiser step ``step`` (1-based)."""
        return bool(self.every_steps) and step % self.every_steps == 0 and step < steps_per_epoch

    def check(self, epoch: int, step: int, bar) -> bool:
        """One validation check; True when the target is reached."""
        acc = evaluate(self.net, self.data.x_val, self.data.y_val)
        self.net.train()
        n = len(self.data.y_tr)
        self.checks.append(
            {"epoch": epoch + 1, "images": epoch * n + min(step * self.bs, n), "val_acc": acc}
        )
        bar.set_postfix(epoch=epoch + 1, val=f"{acc:.4f}")
        self.reached = self.target is not None and acc >= self.target
        return self.reached


def seed_everything(seed: int) -> None:
    """Seed every random generator that building or training a model draws from: torch's
    global generator (weight initialisation, dropout), numpy's and Python's."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def train(
    model: nn.Module,
    recipe: dict[str, Any],
    *,
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    progress: bool = True,
    after_step: Callable[[nn.Module], None] | None = None,
    state_path: Path | None = None,
    stop_after_epoch: int | None = None,
    device: str | torch.device | None = None,
    compile: bool | None = None,
) -> dict[str, Any]:
    """Train ``model`` (raw, expects normalised inputs) on ``recipe['dataset']``.

    ``loss_fn(logits, y, x)`` replaces cross-entropy (knowledge distillation uses it);
    ``after_step(model)`` runs after every optimiser step (pruning masks use it).

    With ``state_path`` (a file stem), the full training state (weights, optimiser,
    schedule, random generator, epoch, history, elapsed time) is written atomically after
    every epoch, and a later call with the same recipe resumes from the last finished
    epoch, giving the same weights as an uninterrupted run. ``stop_after_epoch`` stops
    early (returns ``None``) as a kill would, for tests and bounded sessions.

    ``device`` (``None``: ``CRS_DEVICE``, else CUDA when available; see
    :func:`~compression_robustness.core.device.resolve_device`): the model trains there,
    under the recipe's precision (bf16 autocast on that device); the data order and the
    augmentation are drawn on the CPU from the seeded generator, so they do not depend on
    the device. On an accelerator the training images are held there for the whole run
    (up to :data:`RESIDENT_MAX_BYTES`) and augmented there, and the running loss is summed
    there, so a step waits for no transfer and no host sync.

    ``compile`` (``None``: ``CRS_COMPILE_TRAIN``): the training forward pass runs through
    ``torch.compile`` (:class:`TrainForward`); validation and the test stay eager.

    Returns a dict with ``test_accuracy``, ``train_seconds``, ``device``, ``compiled`` and
    the per-epoch history.
    """
    dev = resolve_device(device)
    check_precision_supported(recipe, dev)
    seed_everything(recipe["seed"])
    gen = torch.Generator().manual_seed(recipe["seed"])
    spec = D.spec(recipe["dataset"])
    data = _resident(_training_data(recipe), dev)
    net = nn.Sequential(Normalize(spec.mean, spec.std), model).to(
        dev, memory_format=torch.channels_last
    )
    bs, epochs = recipe["batch_size"], recipe["epochs"]
    steps_per_epoch = math.ceil(len(data.y_tr) / bs)
    total = steps_per_epoch * epochs
    opt, sched = _optimiser(model, recipe, total, steps_per_epoch)
    loss = _loss(recipe, loss_fn)
    history: list[dict[str, Any]] = []
    start_epoch, elapsed = 0, 0.0
    if state_path is not None and TrainState(state_path).exists():
        start_epoch, elapsed, history = TrainState(state_path).load(recipe, model, opt, sched, gen)
    rule = _StoppingRule(net, data, recipe, history)
    fwd = TrainForward(net, compile_training(compile))
    t0 = time.perf_counter() - elapsed
    bar = tqdm(
        total=total,
        initial=start_epoch * steps_per_epoch,
        desc=f"train {recipe['arch']}",
        disable=not progress,
        unit="step",
    )
    for epoch in range(start_epoch, epochs):
        if rule.reached:
            break
        n_checks = len(rule.checks)
        row = _epoch(fwd, model, data, recipe, opt, sched, gen, loss, after_step, rule, epoch, bar)
        if rule.active:  # the history's order of keys: epoch, loss, accuracy, checks, images
            row = {**row, "val_checks": rule.checks[n_checks:], "images": row.pop("images")}
        history.append(row)
        if state_path is not None:
            TrainState(state_path).save(
                recipe, model, opt, sched, gen, epoch + 1, time.perf_counter() - t0, history
            )
        last = epoch + 1 >= epochs or rule.reached
        if stop_after_epoch is not None and epoch + 1 >= stop_after_epoch and not last:
            bar.close()
            return None
    bar.close()
    out = _summary(net, model, data, history, rule, time.perf_counter() - t0)
    model.to("cpu")  # checkpoints are written from (and read back to) the CPU
    return {**out, "device": device_name(dev), "compiled": fwd.compiled}


#: the progress bar shows the running loss every this many steps (each read is a host sync)
POSTFIX_EVERY = 20
#: set to 1 (or true/yes/on) to train through ``torch.compile`` when ``compile=None``
COMPILE_TRAIN_ENV = "CRS_COMPILE_TRAIN"


def compile_training(flag: bool | None = None) -> bool:
    """Whether training compiles: ``flag``, else ``CRS_COMPILE_TRAIN``."""
    if flag is not None:
        return bool(flag)
    return os.environ.get(COMPILE_TRAIN_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


class TrainForward:
    """The training forward pass: the network itself, or ``torch.compile(net)`` with static
    shapes (the full batch and the tail batch are one compile each). A network that does
    not compile trains eager, with one log line, and :attr:`compiled` says so afterwards."""

    def __init__(self, net: nn.Module, compiled: bool):
        self.net, self.compiled = net, compiled
        self.fn = torch.compile(net, dynamic=False) if compiled else net

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if not self.compiled:
            return self.net(x)
        try:
            return self.fn(x)
        except Exception as e:  # a compile failure, raised before any weight changed
            log.warning(
                "torch.compile failed for training (%s: %s); training eager",
                type(e).__name__,
                str(e).splitlines()[0] if str(e) else "",
            )
            self.compiled, self.fn = False, self.net
            return self.net(x)


def _epoch(fwd, model, data, recipe, opt, sched, gen, loss_of, after_step, rule, epoch, bar):
    """One epoch over a seeded permutation of the training images; its history row."""
    fwd.net.train()
    bs, n = recipe["batch_size"], len(data.y_tr)
    steps = math.ceil(n / bs)
    bf16 = recipe.get("precision", "fp32") == "bf16"
    perm = torch.randperm(n, generator=gen).to(data.x_tr.device)
    dev = next(model.parameters()).device
    # summed on the device: float64, as Python floats would be, without a sync per step
    run_loss = torch.zeros((), dtype=torch.float64, device=dev)
    run_correct = torch.zeros((), dtype=torch.int64, device=dev)
    seen = 0
    for s in range(steps):
        bi = perm[s * bs : (s + 1) * bs]
        xb = augment_batch(data.x_tr[bi], recipe["augment"], gen)
        xb = xb.to(dev, non_blocking=True).contiguous(memory_format=torch.channels_last)
        yb = data.y_tr[bi].to(dev, non_blocking=True)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            logits = fwd(xb)
            loss = loss_of(logits, yb, xb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if after_step is not None:
            after_step(model)
        run_loss += loss.detach().double() * len(yb)
        run_correct += (logits.argmax(1) == yb).sum()
        seen += len(yb)
        bar.update(1)
        if not bar.disable and (s % POSTFIX_EVERY == 0 or s + 1 == steps):
            bar.set_postfix(epoch=epoch + 1, loss=f"{run_loss.item() / seen:.3f}")
        if rule.due(s + 1, steps) and rule.check(epoch, s + 1, bar):
            break
    if rule.active and not rule.reached:
        rule.check(epoch, s + 1, bar)
    row = {
        "epoch": epoch + 1,
        "train_loss": run_loss.item() / seen,
        "train_acc": run_correct.item() / seen,
    }
    row["cpu"] = cpu_name()  # a run resumed on another kind of CPU says so, epoch by epoch
    if fwd.compiled:  # and one resumed with(out) torch.compile
        row["compiled"] = True
    if rule.active:
        row["images"] = epoch * n + seen
    return row


def _summary(net, model, data, history, rule, train_seconds: float) -> dict[str, Any]:
    """Test accuracy, training time and history of a finished run."""
    acc = evaluate(net, data.test.x, data.test.y)
    model.eval()
    out = {
        "test_accuracy": acc,
        "train_seconds": round(train_seconds, 1),
        "n_train": len(data.y_tr),
        "n_test": len(data.test.y),
        "history": history,
        "final_train_acc": float(np.mean([history[-1]["train_acc"]])),
    }
    if rule.active:
        out.update(
            n_val=len(data.y_val),
            val_accuracy=rule.checks[-1]["val_acc"],
            images_seen=history[-1]["images"],
            target_accuracy=rule.target,
            target_reached=bool(rule.reached),
        )
    return out


class TrainState:
    """The resumable state of a training run, consistent even when the process is killed
    while saving it.

    Tensors go to safetensors and the rest to JSON, so resuming never unpickles anything.
    The tensors are split in two files, each no larger than the weights: the model's weights
    with the generator state (``<stem>.state-eNNN-model.safetensors``) and the optimiser's
    buffers (``...-opt.safetensors``). Both are named after the epoch they hold, and the
    JSON (``<stem>.state.json``), written last and atomically, names them with their
    sha256. A kill between the writes leaves the previous JSON and its files; the files of
    other epochs are removed only after the JSON moved on.
    """

    PARTS = ("model", "opt")

    def __init__(self, stem: Path):
        stem = Path(stem)
        self.stem = stem
        self.meta = stem.with_name(stem.name + ".state.json")
        self.legacy = stem.with_name(stem.name + ".state.safetensors")  # one-file format

    def part(self, epoch: int, name: str) -> Path:
        return self.stem.with_name(f"{self.stem.name}.state-e{epoch:03d}-{name}.safetensors")

    def files(self) -> list[Path]:
        """Every tensors file of this state, of any epoch (the JSON's and stale ones)."""
        return sorted(self.stem.parent.glob(f"{self.stem.name}.state-e*-*.safetensors"))

    def exists(self) -> bool:
        if not self.meta.is_file():
            return False
        meta = json.loads(self.meta.read_text())
        if "files" not in meta:
            return self.legacy.is_file()
        return all((self.meta.parent / f).is_file() for f in meta["files"])

    def remove(self) -> None:
        for f in (self.meta, self.legacy, *self.files()):
            f.unlink(missing_ok=True)

    def save(self, recipe, model, opt, sched, gen, epoch, elapsed, history) -> None:
        stamp = {"epoch": str(epoch), "recipe_hash": content_hash(recipe)}
        parts = {
            "model": {
                f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()
            }
        }
        parts["model"]["gen"] = gen.get_state()
        opt_sd = opt.state_dict()
        parts["opt"] = {
            f"opt.{idx}.{k}": v.detach().cpu().contiguous()
            for idx, st in opt_sd["state"].items()
            for k, v in st.items()
            if isinstance(v, torch.Tensor)
        }
        self.meta.parent.mkdir(parents=True, exist_ok=True)
        files = {}
        for name, tensors in parts.items():
            path = self.part(epoch, name)
            atomic_write(path, lambda tmp, t=tensors: save_file(t, str(tmp), metadata=stamp))
            files[path.name] = sha256_file(path)
        meta = {
            "recipe_hash": stamp["recipe_hash"],
            "epoch": epoch,
            "files": files,
            "elapsed": elapsed,
            "history": history,
            "param_groups": opt_sd["param_groups"],
            "sched": {k: v for k, v in sched.state_dict().items() if k != "lr_lambdas"},
        }
        atomic_write(self.meta, lambda tmp: tmp.write_text(json.dumps(meta)))
        for f in (self.legacy, *self.files()):
            if f.name not in files:
                f.unlink(missing_ok=True)

    def _tensors(self, meta: dict) -> dict[str, torch.Tensor]:
        if "files" not in meta:  # the one-file format of earlier runs
            return load_file(str(self.legacy))
        tensors: dict[str, torch.Tensor] = {}
        for fname, sha in meta["files"].items():
            path = self.meta.parent / fname
            if sha256_file(path) != sha:
                raise RuntimeError(
                    f"training state {path} does not match its sha256 in {self.meta}"
                )
            with safe_open(str(path), "pt") as f:
                stamp = f.metadata() or {}
                if stamp.get("epoch") != str(meta["epoch"]):
                    raise RuntimeError(
                        f"training state {path} holds epoch {stamp.get('epoch')}, "
                        f"but {self.meta} says epoch {meta['epoch']}"
                    )
            tensors.update(load_file(str(path)))
        return tensors

    def load(self, recipe, model, opt, sched, gen):
        meta = json.loads(self.meta.read_text())
        if meta["recipe_hash"] != content_hash(recipe):
            raise RuntimeError(f"training state {self.meta} belongs to another recipe")
        tensors = self._tensors(meta)
        model.load_state_dict(
            {k[len("model.") :]: v for k, v in tensors.items() if k.startswith("model.")}
        )
        state: dict[int, dict[str, torch.Tensor]] = {}
        for k, v in tensors.items():
            if k.startswith("opt."):
                _, idx, name = k.split(".", 2)
                state.setdefault(int(idx), {})[name] = v
        opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
        sched_sd = sched.state_dict()
        sched_sd.update(meta["sched"])
        sched.load_state_dict(sched_sd)
        gen.set_state(tensors["gen"])
        return meta["epoch"], meta["elapsed"], meta["history"]
