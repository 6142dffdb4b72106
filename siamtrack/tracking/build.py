"""The inference model of a config: device, weights and speed-ups (used by
:func:`~siamtrack.tracking.build_tracker`)."""
import logging

import torch
from detectron2.modeling import build_model

from ..checkpoint.loading import load_weights
from ..export.backend import is_export_folder, load_exported_model
from ..modeling import fuse_conv_bn, keep_weights_channels_last, use_winograd_convs
from ..utils.device import resolve_device
from ..utils.errors import InputError

logger = logging.getLogger(__name__)

BACKENDS = ("torch", "onnxruntime")
WEIGHTS_HELP = ("get pysot's trained weights as README.md explains (\"Getting pysot's weights\") and "
                "convert them with siamtrack-convert")


def prepare_model(model, cfg):
    """Put ``model`` in eval mode and apply the opt-in speed-ups, in place: ``TRACK.FUSE_CONV_BN``,
    ``TRACK.CHANNELS_LAST`` (on the CPU the k x k convolution weights stored channels-last, the
    layout of the search crops: :func:`~siamtrack.modeling.keep_weights_channels_last`; elsewhere
    the whole model), (CUDA only) ``TRACK.HALF`` and (CPU only) ``TRACK.WINOGRAD``. Each changes
    the last bits of the outputs (docs/tracking.md, "Exactness and speed options"); with none of
    them the model is pysot's eager float32 network. Returns the model. Not for a model still
    being trained.

    Raises :class:`~siamtrack.utils.errors.InputError` for ``TRACK.WINOGRAD`` with ``TRACK.BF16``
    (bfloat16 would void the Winograd arithmetic's float32 accuracy)."""
    if cfg.TRACK.WINOGRAD and cfg.TRACK.BF16:
        raise InputError("TRACK.WINOGRAD and TRACK.BF16 exclude each other: choose one")
    model.eval()
    if cfg.TRACK.FUSE_CONV_BN:
        fuse_conv_bn(model)
    device = model.device
    if cfg.TRACK.CHANNELS_LAST:
        if device.type == "cpu":
            keep_weights_channels_last(model)
        else:
            model.to(memory_format=torch.channels_last)
    if cfg.TRACK.HALF and device.type == "cuda":
        model.half()
    if device.type == "cpu" and cfg.TRACK.WINOGRAD:
        logger.info("TRACK.WINOGRAD: %d convolutions computed by Winograd F(4x4, 3x3)", use_winograd_convs(model))
    elif cfg.TRACK.WINOGRAD:
        logger.info("TRACK.WINOGRAD is for the CPU; on %s the direct convolutions run", device.type)
    return model


def build_inference_model(cfg):
    """The network of ``cfg`` for tracking, by ``cfg.TRACK.BACKEND``:

    * ``torch``: build the model on ``cfg.MODEL.DEVICE``, load ``cfg.MODEL.WEIGHTS`` (warning when
      unset: an untrained model tracks nothing useful) and :func:`prepare_model` it;
    * ``onnxruntime``: ``cfg.MODEL.WEIGHTS`` names a folder exported by ``tools/export_onnx.py``,
      run by ONNX Runtime with ``torch.get_num_threads()`` threads and checked against ``cfg``
      (:func:`siamtrack.export.load_exported_model`); no PyTorch model is built.

    Raises :class:`~siamtrack.utils.errors.InputError` (one line) for an unknown backend, a
    checkpoint with ``onnxruntime`` (export it first), an exported folder with ``torch``, an
    export that disagrees with ``cfg``, or a missing ``onnx`` extra.
    """
    backend = cfg.TRACK.BACKEND
    if backend not in BACKENDS:
        raise InputError(f"unknown TRACK.BACKEND {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "onnxruntime":
        return load_exported_model(cfg, threads=torch.get_num_threads())
    if is_export_folder(cfg.MODEL.WEIGHTS):
        raise InputError(f"MODEL.WEIGHTS {cfg.MODEL.WEIGHTS} is an ONNX export: track it with "
                         "TRACK.BACKEND onnxruntime (or give a checkpoint for TRACK.BACKEND torch)")
    resolve_device(cfg.MODEL.DEVICE)
    model = build_model(cfg)
    model.eval()
    if cfg.MODEL.WEIGHTS:
        load_weights(model, cfg.MODEL.WEIGHTS)
    else:
        logger.warning("MODEL.WEIGHTS is not set: the model is untrained (random weights) and its "
                       "boxes are meaningless; %s", WEIGHTS_HELP)
    return prepare_model(model, cfg)
