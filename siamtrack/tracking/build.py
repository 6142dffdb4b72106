"""The inference model of a config: device, weights and speed-ups (used by
:func:`~siamtrack.tracking.build_tracker`)."""
import logging

import torch
from detectron2.modeling import build_model

from ..checkpoint.loading import WeightsError, load_weights  # noqa: F401  (re-exported)
from ..modeling import fuse_conv_bn
from ..utils.device import DeviceError, default_device, resolve_device  # noqa: F401  (re-exported)

logger = logging.getLogger(__name__)

WEIGHTS_HELP = ("get pysot's trained weights as README.md explains (\"Getting pysot's weights\") and "
                "convert them with tools/convert_pysot_weights.py")


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
