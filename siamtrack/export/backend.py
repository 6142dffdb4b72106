"""The ``onnxruntime`` tracking backend: an exported folder named by ``MODEL.WEIGHTS``, checked
against the config that tracks with it (docs/deploy.md, "The onnxruntime backend")."""
import logging
from pathlib import Path

from .errors import ExportError
from .manifest import MANIFEST_NAME
from .runtime import OnnxSiamModel

__all__ = ["is_export_folder", "check_export_config", "load_exported_model"]

logger = logging.getLogger(__name__)

# Keys that define the exported network, or how the tracker reads its maps: they must agree.
# The tracker's hyper-parameters (PENALTY_K, LR, INSTANCE_SIZE ...) come from the config and may
# differ from the export's (the search size is dynamic in track.onnx).
MODEL_KEYS = ("MODEL.META_ARCHITECTURE", "MODEL.BACKBONE.NAME", "MODEL.SIAM_HEAD.NAME",
              "MODEL.SIAM_ANCHOR.STRIDE", "MODEL.SIAM_ANCHOR.RATIOS", "MODEL.SIAM_ANCHOR.SCALES",
              "MODEL.PIXEL_MEAN", "MODEL.PIXEL_STD", "TRACK.EXEMPLAR_SIZE", "TRACK.SCORE_SIZE_OFFSET")


def is_export_folder(path):
    """True when ``path`` is a folder holding a ``model.json`` (an ONNX export)."""
    return bool(path) and (Path(path) / MANIFEST_NAME).is_file()


def _lookup(node, dotted):
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def check_export_config(manifest, cfg, folder):
    """:class:`ExportError` (one line) naming the first of :data:`MODEL_KEYS` on which ``cfg``
    and the export's ``model.json`` disagree."""
    exported = manifest.get("config", {})
    for key in MODEL_KEYS:
        theirs = _lookup(exported, key)
        if theirs is None and key == "TRACK.SCORE_SIZE_OFFSET":
            continue
        ours = _lookup(cfg, key)
        if not _same(theirs, ours):
            raise ExportError(
                f"MODEL.WEIGHTS {folder} was exported with {key} {_show(theirs)} but the config has "
                f"{_show(ours)}: use the config of that export (its model.json) or export again")


def _show(value):
    return list(value) if isinstance(value, tuple) else value


def load_exported_model(cfg, threads=None):
    """The :class:`OnnxSiamModel` of the folder ``cfg.MODEL.WEIGHTS`` names, checked against
    ``cfg`` (:func:`check_export_config`); ``threads`` sets ONNX Runtime's intra-op threads.

    Raises :class:`ExportError` when ``MODEL.WEIGHTS`` is not an exported folder (a checkpoint is
    refused: export it first with ``tools/export_onnx.py``), when the export disagrees with the
    config, and :class:`~siamtrack.utils.extras.MissingExtraError` without onnxruntime.
    """
    folder = cfg.MODEL.WEIGHTS
    if not is_export_folder(folder):
        what = "is not set" if not folder else f"is {folder}, not an exported folder"
        raise ExportError(
            f"TRACK.BACKEND onnxruntime needs MODEL.WEIGHTS to name a folder exported by "
            f"tools/export_onnx.py, but it {what}; export first: tools/export_onnx.py --config-file C "
            f"--output DIR MODEL.WEIGHTS W, then MODEL.WEIGHTS DIR")
    if str(cfg.MODEL.DEVICE).startswith("cuda"):
        logger.warning("TRACK.BACKEND onnxruntime runs on the CPU; MODEL.DEVICE %s is not used", cfg.MODEL.DEVICE)
    model = OnnxSiamModel(folder, threads=threads)
    check_export_config(model.manifest, cfg, folder)
    return model
