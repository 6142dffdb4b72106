"""The ``onnxruntime`` tracking backend: an exported folder named by ``MODEL.WEIGHTS``, checked
against the config that tracks with it (docs/deploy.md, "The onnxruntime backend")."""
import logging
from pathlib import Path

from .errors import ExportError
from .manifest import MANIFEST_NAME, check_export_config
from .runtime import OnnxSiamModel

__all__ = ["is_export_folder", "load_exported_model"]

logger = logging.getLogger(__name__)


def is_export_folder(path):
    """True when ``path`` is a folder holding a ``model.json`` (an ONNX export)."""
    return bool(path) and (Path(path) / MANIFEST_NAME).is_file()


def load_exported_model(cfg, threads=None):
    """The :class:`OnnxSiamModel` of the folder ``cfg.MODEL.WEIGHTS`` names, checked against
    ``cfg`` (its graph hashes and architecture: ``manifest.check_export``); ``threads`` sets ONNX Runtime's intra-op threads.

    Raises :class:`ExportError` when ``MODEL.WEIGHTS`` is not an exported folder (a checkpoint is
    refused: export it first with ``siamtrack-export``), when the export disagrees with the
    config, and :class:`~siamtrack.utils.extras.MissingExtraError` without onnxruntime.
    """
    folder = cfg.MODEL.WEIGHTS
    if not is_export_folder(folder):
        what = "is not set" if not folder else f"is {folder}, not an exported folder"
        raise ExportError(
            f"TRACK.BACKEND onnxruntime needs MODEL.WEIGHTS to name a folder exported by "
            f"siamtrack-export, but it {what}; export first: siamtrack-export --config-file C "
            f"--output DIR MODEL.WEIGHTS W, then MODEL.WEIGHTS DIR")
    if str(cfg.MODEL.DEVICE).startswith("cuda"):
        logger.warning("TRACK.BACKEND onnxruntime runs on the CPU; MODEL.DEVICE %s is not used", cfg.MODEL.DEVICE)
    model = OnnxSiamModel(folder, threads=threads)
    check_export_config(model.manifest, cfg, folder)
    return model
