"""One device setting for everything that runs a model: ``auto``, ``cpu``, ``cuda`` or
``cuda:N``.

:func:`resolve_device` turns a request (an argument, else the ``CRS_DEVICE`` environment
variable, else ``auto``) into a :class:`torch.device`: ``auto`` is the current CUDA device
when CUDA is available, else the CPU. A request that this machine cannot honour (CUDA
without CUDA, ``cuda:3`` on a machine with two GPUs, a misspelt name) is one
:class:`~compression_robustness.core.registry.ConfigError` naming the setting, raised
before any compute. :func:`device_name` says what ran (recorded with every result cell).
"""

from __future__ import annotations

import os
import re

import torch

from compression_robustness.core.registry import ConfigError

#: environment variable holding the default device request
DEVICE_ENV = "CRS_DEVICE"
#: the accepted spellings of a request
DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N")
_PATTERN = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def device_request(device: str | None = None) -> tuple[str, str]:
    """``(request, where it came from)``: the argument, else ``$CRS_DEVICE``, else auto."""
    if device is not None:
        return str(device).strip().lower(), "parameter `device`"
    env = os.environ.get(DEVICE_ENV, "").strip().lower()
    if env:
        return env, f"environment variable {DEVICE_ENV}"
    return "auto", "parameter `device`"


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The :class:`torch.device` of a request (see the module docstring)."""
    if isinstance(device, torch.device):
        device = str(device)
    req, where = device_request(device)
    if not _PATTERN.match(req):
        raise ConfigError(
            f"{where} is {req!r}; valid: {', '.join(DEVICE_CHOICES)} (N: a GPU index)"
        )
    if req == "cpu" or (req == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if req == "auto":
        return torch.device("cuda", torch.cuda.current_device())
    if not torch.cuda.is_available():
        built = (
            "built with CUDA " + torch.version.cuda if torch.version.cuda else "a CPU-only build"
        )
        raise ConfigError(
            f"{where} is {req!r}, but CUDA is not available on this machine (torch "
            f"{torch.__version__}, {built}); use 'cpu' or 'auto'"
        )
    index = int(req.split(":")[1]) if ":" in req else torch.cuda.current_device()
    n = torch.cuda.device_count()
    if index >= n:
        raise ConfigError(f"{where} is {req!r}, but this machine has {n} CUDA device(s)")
    return torch.device("cuda", index)


def device_name(device: torch.device) -> str:
    """``cpu`` or ``cuda:0 (NVIDIA H200)``: what a result was computed on."""
    if device.type != "cuda":
        return device.type
    return f"{device} ({torch.cuda.get_device_name(device)})"


def art_device_type(device: torch.device) -> str:
    """ART's ``device_type`` for ``device`` (ART says ``gpu`` and uses the current CUDA
    device, so a ``cuda:N`` device is made current first)."""
    if device.type == "cuda":
        torch.cuda.set_device(device)
        return "gpu"
    return "cpu"
