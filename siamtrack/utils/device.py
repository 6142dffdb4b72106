"""The one device rule (docs/config.md, ``MODEL.DEVICE``).

* Unset — detectron2's default ``"cuda"``, replaced by :func:`siamtrack.config.add_siamtrack_config`
  with :func:`default_device` — means CUDA when this machine has it, else the CPU;
  :func:`siamtrack.config.load_config` (every command) says so in one info line per process
  when it falls back (:func:`announce_cpu_fallback`).
* Set explicitly (a YAML file, an override, an argument), it is kept; :func:`resolve_device`
  checks it wherever a model is built, so ``cuda`` on a machine without CUDA is a one-line
  :class:`DeviceError`, not a fallback.
"""
import logging

import torch

from .errors import InputError, first_line

__all__ = ["DeviceError", "default_device", "announce_cpu_fallback", "resolve_device"]

logger = logging.getLogger(__name__)
_fallback_said = False


class DeviceError(InputError):
    """``MODEL.DEVICE`` names no usable device; one line meant for users."""


def default_device():
    """``"cuda"`` when a GPU is usable, else ``"cpu"``."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def announce_cpu_fallback():
    """Log, once per process, that the default device is the CPU because CUDA is not available
    (nothing when it is)."""
    global _fallback_said
    if not _fallback_said and not torch.cuda.is_available():
        _fallback_said = True
        logger.info("CUDA is not available: MODEL.DEVICE defaults to cpu")


def resolve_device(name):
    """``torch.device(name)``, checked to exist on this machine; raises :class:`DeviceError`."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError) as exc:
        raise DeviceError(f"unknown device {name!r} ({first_line(exc)})") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"MODEL.DEVICE {name!r} requested but CUDA is not available on this machine; "
                              "use MODEL.DEVICE cpu, or leave MODEL.DEVICE unset (CUDA when present, else cpu)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(f"device {name!r} does not exist ({torch.cuda.device_count()} CUDA devices)")
    elif device.type != "cpu":
        raise DeviceError(f"unsupported device {name!r}; use cpu or cuda[:N]")
    return device
