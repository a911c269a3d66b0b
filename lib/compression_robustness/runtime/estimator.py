"""Turn a model into a fast ART ``PyTorchClassifier``.

:func:`make_classifier` returns a :class:`FastPyTorchClassifier`: an ordinary ART
``PyTorchClassifier`` (``clip_values=(0, 1)``, normalisation as ART preprocessing, logits
out), so every ART attack accepts it, plus torch-native helpers that the library's own
attacks use to avoid numpy round trips. Speed choices live here, behind the API:

* parameters are frozen (``requires_grad_(False)``), so a backward pass computes only the
  input gradient, not every weight gradient;
* the model runs in ``channels_last`` memory format, which is faster on CPU;
* batches are large (``batch_size``, default 256);
* optionally (``compile=True``, or the environment variable ``CRS_COMPILE=1``) the gradient
  passes run through ``torch.compile`` (Inductor). A model that does not compile falls back
  to eager with one log line, and :attr:`FastPyTorchClassifier.compile_status` says which
  path ran. Forward-only queries (:meth:`~FastPyTorchClassifier.torch_predict`, ART's
  ``predict``) always run eager under ``inference_mode``: black-box attacks query with
  ever-changing batch sizes, and each new size would be a new compile.

Compiled and eager gradients agree up to float round-off (Inductor fuses and reorders the
elementwise work), so attack results agree up to that round-off.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from art.estimators.classification import PyTorchClassifier
from torch import nn

from compression_robustness.compression.binary import BinaryConv2d
from compression_robustness.core.device import art_device_type, resolve_device
from compression_robustness.data.datasets import DatasetSpec
from compression_robustness.models import Normalize

DEFAULT_BATCH_SIZE = 256
#: Environment variable that switches ``torch.compile`` on for every estimator built with
#: ``compile=None`` (the default): ``1``/``true``/``yes``/``on``.
COMPILE_ENV = "CRS_COMPILE"

log = logging.getLogger(__name__)


def compile_default() -> bool:
    """Whether estimators compile by default: ``CRS_COMPILE`` is set to a true value.

    Off unless asked for: a compile costs about a minute per (model, batch size) on this
    project's CPUs (measured in ``benchmarks/attack_speed.py``), which only pays off over
    many thousand image-steps (a sweep, not a test or a smoke run).
    """
    return os.environ.get(COMPILE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def art_preprocessing(spec: DatasetSpec) -> tuple[np.ndarray, np.ndarray]:
    """The dataset's normalisation as ART's ``preprocessing=(mean, std)``, shaped (C, 1, 1)."""
    c = spec.shape[0]
    return (
        np.asarray(spec.mean, dtype=np.float32).reshape(c, 1, 1),
        np.asarray(spec.std, dtype=np.float32).reshape(c, 1, 1),
    )


def art_classifier_kwargs(
    model: nn.Module, spec: DatasetSpec, device: str | torch.device | None = None
) -> dict:
    """The ``PyTorchClassifier`` arguments of every estimator here: cross-entropy on logits,
    inputs in [0, 1], the dataset's normalisation as ART preprocessing, on ``device``
    (default: :func:`~compression_robustness.core.device.resolve_device`)."""
    device = resolve_device(device)
    return {
        "model": model,
        "loss": nn.CrossEntropyLoss(),
        "input_shape": spec.shape,
        "nb_classes": spec.num_classes,
        "clip_values": (0.0, 1.0),
        "preprocessing": art_preprocessing(spec),
        "device_type": art_device_type(device),
    }


def stock_classifier(
    model: nn.Module, spec: DatasetSpec, device: str | torch.device | None = None
) -> PyTorchClassifier:
    """A plain ART ``PyTorchClassifier`` (no speed-ups) with the same normalisation: the
    reference the library's fast path is compared and benchmarked against."""
    return PyTorchClassifier(**art_classifier_kwargs(model, spec, device))


class NormalizedNet(nn.Module):
    """``model(normalise(x))`` with the normalised input in ``channels_last``: the part of a
    gradient pass that ``torch.compile`` covers (Inductor fuses the normalisation and the
    layout change into the first convolution's input)."""

    def __init__(self, normalize: nn.Module, model: nn.Module):
        super().__init__()
        self.normalize, self.model = normalize, model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(self.normalize(x).contiguous(memory_format=torch.channels_last))


class OnDevice(nn.Module):
    """``net`` on ``device`` for callers whose tensors live elsewhere: the input is copied
    to ``device`` and the output back to the input's device (autograd follows both
    copies), so an attack's loop keeps its tensors on the CPU whatever the model's device.
    On the CPU it is the identity wrapper."""

    def __init__(self, net: Callable[[torch.Tensor], torch.Tensor], device: torch.device):
        super().__init__()
        self.net, self.device = net, device

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device == self.device:
            return self.net(x)
        return self.net(x.to(self.device, non_blocking=True)).to(x.device)


#: At most this many batch sizes are compiled per model (the full batch and the tail batch);
#: other sizes run eager rather than pay another compile.
MAX_COMPILED_SIZES = 2


class CompiledNet:
    """``torch.compile(net, dynamic=False)`` and the batch sizes compiled so far.

    Static shapes keep the kernels specialised; each new batch size is one more compile
    (about a minute here), so only :data:`MAX_COMPILED_SIZES` sizes are compiled and
    :meth:`accepts` turns other sizes away (their callers run eager).
    """

    def __init__(self, net: NormalizedNet, backend: str | Callable):
        self.fn = torch.compile(net, backend=backend, dynamic=False)
        self.sizes: set[int] = set()
        self.failure: str | None = None  # set once compiling failed: later estimators skip it

    def accepts(self, n: int) -> bool:
        return n in self.sizes or len(self.sizes) < MAX_COMPILED_SIZES


def compile_skip_reason(model: nn.Module) -> str | None:
    """Why ``model`` is better run eager even when compiling is asked for, or ``None``.

    Binarised layers (XNOR, ABC-Net): their sign functions turn the compiled kernels' float
    round-off into flipped activations, so compiled gradients differ from eager ones by as
    much as the gradients themselves (not round-off), and the compiled XNOR ResNet20 ran no
    faster than eager (ABC-Net's scale reads also break the graph); measured in
    ``benchmarks/attack_speed.py --zoo``.
    """

    if any(isinstance(m, BinaryConv2d) for m in model.modules()):
        return "binarised layers run eager (compiled round-off flips their signs; no faster)"
    return None


def compiled_net(net: NormalizedNet, backend: str | Callable = "inductor") -> CompiledNet:
    """The :class:`CompiledNet` of ``net``, shared by every estimator of the same model,
    normalisation and backend (a sweep compiles a model once per batch size, not once per
    cell)."""
    key = (
        tuple(net.normalize.mean.flatten().tolist()),
        tuple(net.normalize.std.flatten().tolist()),
        backend if isinstance(backend, str) else id(backend),
    )
    cache = net.model.__dict__.setdefault("_crs_compiled", {})  # plain dict: not a submodule
    if key not in cache:
        cache[key] = CompiledNet(net, backend)
    return cache[key]


class FastPyTorchClassifier(PyTorchClassifier):
    """ART's ``PyTorchClassifier`` with torch-native forward and input-gradient helpers.

    The helpers apply the same ``(x - mean) / std`` normalisation as ART's preprocessing, so
    they compute exactly what :meth:`predict` and :meth:`loss_gradient` compute.

    With ``compile=True`` the helpers :meth:`torch_loss_grad`, :meth:`with_net` and
    :meth:`torch_eval_logits` run the model through ``torch.compile``; if compiling or
    running the compiled graph raises, they log one warning and continue eager for good.
    :attr:`compile_status` is ``"off"``, ``"pending"`` (compiles on the first gradient
    call), ``"compiled"``, ``"eager fallback: <error>"`` or ``"eager: <reason>"`` (a model
    :func:`compile_skip_reason` keeps eager, such as a binarised one).
    """

    def __init__(
        self,
        model: nn.Module,
        spec: DatasetSpec,
        batch_size: int,
        compile: bool = False,
        compile_backend: str | Callable = "inductor",
        device: str | torch.device | None = None,
        **kwargs,
    ):
        dev = resolve_device(device)
        super().__init__(**art_classifier_kwargs(model, spec, dev), **kwargs)
        self.torch_device = dev
        self.raw_model = model
        self.spec = spec
        self.default_batch_size = batch_size
        self.normalize = Normalize(spec.mean, spec.std).to(dev)
        self.net = NormalizedNet(self.normalize, model)
        self._eager = OnDevice(self.net, dev)
        skip = compile_skip_reason(model) if compile else None
        if skip:
            log.warning("not compiling %s: %s", type(model).__name__, skip)
            compile = False
        self._compiled = compiled_net(self.net, compile_backend) if compile else None
        self.compile_status = "pending" if compile else (f"eager: {skip}" if skip else "off")
        if self._compiled is not None and self._compiled.failure is not None:
            self.compile_status = f"eager fallback: {self._compiled.failure}"
            self._compiled = None

    def predict(self, x: np.ndarray, batch_size: int = 128, **kwargs) -> np.ndarray:
        """ART's ``predict`` on float32 inputs: ART attacks that propose float64 candidates
        (BoundaryAttack) reach a float32 network."""
        return super().predict(np.asarray(x, dtype=np.float32), batch_size=batch_size, **kwargs)

    # -- torch-native helpers ------------------------------------------------------------
    def torch_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for a float tensor batch in [0, 1] (no numpy round trip; eager), on the
        input's device."""
        return self._eager(x)

    def with_net(
        self,
        fn: Callable[[Callable[[torch.Tensor], torch.Tensor]], Any],
        n: int,
        allow_compile: bool = True,
    ) -> Any:
        """``fn(forward)`` with ``forward`` = the compiled model when compiling, else eager.

        ``fn`` runs a gradient computation (forward and ``autograd.grad``), or a forward
        pass under ``no_grad`` (a separate compiled graph), on a batch of ``n`` examples
        with the ``forward`` it is given. The compiled model is used when
        ``allow_compile`` and the batch size is (or may become) one of the compiled sizes.
        If the compiled path raises (while compiling the forward or the backward graph, or
        running either), this logs one warning, records it in :attr:`compile_status` and
        reruns ``fn`` eager, as does every later call.
        """
        self.raw_model.eval()
        cn = self._compiled
        if cn is None or not allow_compile or not cn.accepts(n):
            return fn(self._eager)
        try:
            out = fn(OnDevice(cn.fn, self.torch_device))
        except Exception as err:  # noqa: BLE001  (any compile failure: fall back to eager)
            self._compiled = None
            msg = " ".join(f"{type(err).__name__}: {err}".split())[:300]
            cn.failure = msg
            self.compile_status = f"eager fallback: {msg}"
            log.warning(
                "torch.compile failed for %s; running eager (%s)",
                type(self.raw_model).__name__,
                msg,
            )
            return fn(self._eager)
        cn.sizes.add(n)
        self.compile_status = "compiled"
        return out

    def torch_eval_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of one batch without gradient, through the compiled model when compiling
        (as :meth:`with_net`): an attack's evaluation of a point it did not differentiate
        at, such as PGD's last iterate. Same values as :meth:`torch_predict` up to float
        round-off."""

        def run(forward):
            with torch.no_grad():
                return forward(x)

        return self.with_net(run, len(x))

    @torch.inference_mode()
    def torch_predict(self, x: torch.Tensor, batch_size: int | None = None) -> torch.Tensor:
        """Logits for a tensor of any length, batched, under ``inference_mode``."""
        self.raw_model.eval()
        bs = batch_size or self.default_batch_size
        return torch.cat([self.torch_logits(x[i : i + bs]) for i in range(0, len(x), bs)])

    def torch_loss_grad(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One forward and one backward pass: ``(grad of summed CE wrt x, logits, per-example CE)``.

        The gradient is of the *summed* per-example loss, so each example's gradient does not
        depend on what else is in the batch.
        """

        def run(forward):
            with torch.enable_grad():
                xg = x.detach().requires_grad_(True)
                logits = forward(xg)
                losses = F.cross_entropy(logits, y, reduction="none")
                (grad,) = torch.autograd.grad(losses.sum(), xg)
            return grad, logits.detach(), losses.detach()

        return self.with_net(run, len(x))


def make_classifier(
    model: nn.Module,
    spec: DatasetSpec,
    batch_size: int = DEFAULT_BATCH_SIZE,
    compile: bool | None = None,
    compile_backend: str | Callable = "inductor",
    device: str | torch.device | None = None,
) -> FastPyTorchClassifier:
    """Wrap a trained model (expecting normalised input) for ART: frozen, channels_last, eval,
    on ``device`` (``None``: ``CRS_DEVICE``, else CUDA when available; see
    :func:`~compression_robustness.core.device.resolve_device`).

    ``compile``: run the gradient passes through ``torch.compile`` (``None``: the
    ``CRS_COMPILE`` environment variable decides, off by default; see
    :func:`compile_default`). ``compile_backend`` is passed to ``torch.compile``.
    """
    dev = resolve_device(device)
    model = model.eval().to(dev, memory_format=torch.channels_last)
    model.requires_grad_(False)
    if compile is None:
        compile = compile_default()
    return FastPyTorchClassifier(
        model, spec, batch_size, compile=bool(compile), compile_backend=compile_backend, device=dev
    )


def classifier_for(
    zoo_model, batch_size: int = DEFAULT_BATCH_SIZE, compile: bool | None = None
) -> FastPyTorchClassifier:
    """The ART classifier of a :class:`compression_robustness.zoo.ZooModel`."""
    return make_classifier(zoo_model.model, zoo_model.spec, batch_size, compile=compile)


def accuracy(est: PyTorchClassifier, x: np.ndarray | torch.Tensor, y) -> float:
    """Top-1 accuracy through the estimator."""
    y = np.asarray(y)
    if isinstance(est, FastPyTorchClassifier):
        xt = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.asarray(x))
        pred = est.torch_predict(xt).argmax(1).numpy()
    else:
        pred = est.predict(np.asarray(x), batch_size=DEFAULT_BATCH_SIZE).argmax(1)
    return float((pred == y).mean())


class EoTClassifier(FastPyTorchClassifier):
    """A classifier whose input gradient is the mean over ``eot_samples`` stochastic passes
    (expectation over transformation, Athalye et al. 2018); predictions stay one pass."""

    eot_samples = 1

    def torch_loss_grad(self, x, y):
        grads, logits, losses = [], None, None
        for _ in range(self.eot_samples):
            g, logits, losses = super().torch_loss_grad(x, y)
            grads.append(g)
        return torch.stack(grads).mean(0), logits, losses


def eot_classifier(
    model: nn.Module,
    spec: DatasetSpec,
    samples: int,
    batch_size: int = 256,
    device: str | torch.device | None = None,
):
    """The :class:`EoTClassifier` of ``model``, on ``device`` (as :func:`make_classifier`)."""
    dev = resolve_device(device)
    model = model.eval().to(dev, memory_format=torch.channels_last)
    model.requires_grad_(False)
    est = EoTClassifier(model, spec, batch_size, device=dev)
    est.eot_samples = int(samples)
    return est
