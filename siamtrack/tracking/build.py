"""The inference model of a config: device, weights and speed-ups (used by
:func:`~siamtrack.tracking.build_tracker`)."""
import logging

import torch
from detectron2.modeling import build_model

from ..modeling import fuse_conv_bn
from ..utils.errors import InputError, first_line

logger = logging.getLogger(__name__)

WEIGHTS_HELP = ("get pysot's trained weights as README.md explains (\"Getting pysot's weights\") and "
                "convert them with tools/convert_pysot_weights.py")


class DeviceError(InputError):
    """``MODEL.DEVICE`` names no usable device; one line meant for users."""


class WeightsError(InputError):
    """``MODEL.WEIGHTS`` cannot be read or does not fit the model; one line meant for users."""


def resolve_device(name):
    """``torch.device(name)``, checked to exist on this machine; raises :class:`DeviceError`."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError) as exc:
        raise DeviceError(f"unknown device {name!r} ({first_line(exc)})") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r} requested but CUDA is not available; use MODEL.DEVICE cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(f"device {name!r} does not exist ({torch.cuda.device_count()} CUDA devices)")
    elif device.type != "cpu":
        raise DeviceError(f"unsupported device {name!r}; use cpu or cuda[:N]")
    return device


def default_device():
    """``"cuda"`` when a GPU is present, else ``"cpu"``."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_weights(model, path):
    """Load ``path`` (a detectron2 checkpoint or a pysot state_dict) into ``model`` strictly.

    Uses detectron2's ``DetectionCheckpointer`` but, unlike its ``load``, refuses weights that
    leave parameters missing, unexpected or mis-shaped (another architecture), raising
    :class:`WeightsError`.
    """
    from detectron2.checkpoint import DetectionCheckpointer

    checkpointer = DetectionCheckpointer(model)
    try:
        checkpoint = checkpointer._load_file(str(path))
    except FileNotFoundError:
        raise WeightsError(f"weights file not found: {path}") from None
    except Exception as exc:  # torch.load / pickle errors come with multi-line texts
        raise WeightsError(f"cannot read weights {path}: {first_line(exc)}") from None
    if not isinstance(checkpoint.get("model"), dict):
        raise WeightsError(f"{path} holds no model state_dict")
    incompatible = checkpointer._load_model(checkpoint)
    problems = []
    for what, keys in (("missing", incompatible.missing_keys), ("unexpected", incompatible.unexpected_keys),
                       ("mis-shaped", [k for k, *_ in incompatible.incorrect_shapes])):
        keys = [k for k in keys if not k.endswith("num_batches_tracked")]
        if keys:
            problems.append(f"{len(keys)} {what} keys (e.g. {keys[0]})")
    if problems:
        raise WeightsError(
            f"weights {path} do not fit the model of this config ({'; '.join(problems)}): they are "
            "for another architecture; pass the matching --config-file, and convert pysot files "
            "with tools/convert_pysot_weights.py")


def prepare_model(model, cfg):
    """Put ``model`` in eval mode and apply ``TRACK.FUSE_CONV_BN``, ``TRACK.CHANNELS_LAST`` and
    (CUDA only) ``TRACK.HALF``, in place. Returns the model. Not for a model still being trained."""
    model.eval()
    if cfg.TRACK.FUSE_CONV_BN:
        fuse_conv_bn(model)
    if cfg.TRACK.CHANNELS_LAST:
        model.to(memory_format=torch.channels_last)
    device = next(model.parameters()).device
    if cfg.TRACK.HALF and device.type == "cuda":
        model.half()
    return model


def build_inference_model(cfg):
    """Build ``cfg``'s model on ``cfg.MODEL.DEVICE``, load ``cfg.MODEL.WEIGHTS`` (warning when
    unset: an untrained model tracks nothing useful) and :func:`prepare_model` it."""
    resolve_device(cfg.MODEL.DEVICE)
    model = build_model(cfg)
    model.eval()
    if cfg.MODEL.WEIGHTS:
        load_weights(model, cfg.MODEL.WEIGHTS)
    else:
        logger.warning("MODEL.WEIGHTS is not set: the model is untrained (random weights) and its "
                       "boxes are meaningless; %s", WEIGHTS_HELP)
    return prepare_model(model, cfg)
