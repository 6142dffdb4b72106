"""``model.json``: what a tracker needs beside the exported graphs (docs/deploy.md lists the fields).

``config`` is a fragment of the siamtrack config (anchors, head, input normalisation and the
whole ``TRACK`` section) that merges into a detectron2 config; ``graphs`` names each ONNX file
with its inputs and outputs; ``template_state`` (siamtrack layout) is the nest of kernel names a
runtime rebuilds the template state from; ``check`` records the measured agreement with PyTorch.
"""
import json
from pathlib import Path

from .errors import ExportError

MANIFEST_NAME = "model.json"
FORMAT = "siamtrack-onnx"
FORMAT_VERSION = 1


def _plain(value):
    """yacs values as JSON types (tuples become lists, nested nodes dicts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def config_essentials(cfg):
    """The part of ``cfg`` a tracker needs, as a config-shaped dict."""
    model = cfg.MODEL
    return {
        "MODEL": {
            "META_ARCHITECTURE": model.META_ARCHITECTURE,
            "BACKBONE": {"NAME": model.BACKBONE.NAME},
            "SIAM_HEAD": {"NAME": model.SIAM_HEAD.NAME},
            "SIAM_ANCHOR": _plain(model.SIAM_ANCHOR),
            "PIXEL_MEAN": _plain(model.PIXEL_MEAN),
            "PIXEL_STD": _plain(model.PIXEL_STD),
        },
        "TRACK": _plain(cfg.TRACK),
    }


def new_manifest(layout, cfg, opset, versions):
    """The common fields of a ``layout`` export of ``cfg``'s model."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "layout": layout, "opset": opset,
            "versions": dict(versions), "input": "float32 BGR crops, 0..255, NCHW, not normalised",
            "config": config_essentials(cfg)}


def write_manifest(folder, manifest):
    """Write ``manifest`` as ``folder/model.json``."""
    (Path(folder) / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def read_manifest(folder):
    """The manifest of an exported folder; :class:`ExportError` if it is not one."""
    path = Path(folder) / MANIFEST_NAME
    if not Path(folder).is_dir():
        raise ExportError(f"{folder}: no such folder (expected an exported model, see tools/export_onnx.py)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{folder} has no {MANIFEST_NAME}: not an exported model (see tools/export_onnx.py)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExportError(f"{path} is not a siamtrack ONNX export manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ExportError(f"{path} has format version {manifest.get('format_version')}; this siamtrack "
                          f"reads version {FORMAT_VERSION}: export the model again")
    return manifest
