"""``model.json``: what a tracker needs beside the exported graphs (docs/deploy.md lists the fields).

``config`` is a fragment of the siamtrack config (the whole architecture: backbone with its
width and layout, neck channels, head, anchors, input normalisation; and the whole ``TRACK``
section) that merges into a detectron2 config; ``graphs`` names each ONNX file with its inputs
and outputs; ``sha256`` holds each graph file's content hash; ``template_state`` (siamtrack
layout) is the nest of kernel names a runtime rebuilds the template state from; ``check``
records the measured agreement with PyTorch.

:func:`check_export` is the one check of an exported folder before it runs: the graphs are the
ones exported (same hashes: not swapped, not re-weighted) and the config that runs them has the
exported architecture; any difference is one line (:class:`ExportError`).
"""
import hashlib
import json
from pathlib import Path

from .errors import ExportError

__all__ = ["MANIFEST_NAME", "ARCHITECTURE_KEYS", "config_essentials", "new_manifest", "add_graph_hashes",
           "write_manifest", "read_manifest", "verify_graphs", "check_export_config", "check_export"]

MANIFEST_NAME = "model.json"
FORMAT = "siamtrack-onnx"
FORMAT_VERSION = 2  # 2: graph hashes and the whole architecture
# The config keys (nodes or values) that define the exported network, or how a tracker reads its
# maps: they must agree with the config that runs the export. The tracker's hyper-parameters
# (PENALTY_K, LR, INSTANCE_SIZE ...) may differ (the search size is dynamic in track.onnx).
ARCHITECTURE_KEYS = ("MODEL.META_ARCHITECTURE", "MODEL.BACKBONE.NAME", "MODEL.SIAM_RESNET", "MODEL.SIAM_ALEXNET",
                     "MODEL.SIAM_MOBILENETV2", "MODEL.SIAM_NECK", "MODEL.SIAM_HEAD", "MODEL.SIAM_FC",
                     "MODEL.SIAM_ANCHOR", "MODEL.PIXEL_MEAN", "MODEL.PIXEL_STD", "TRACK.EXEMPLAR_SIZE",
                     "TRACK.SCORE_SIZE_OFFSET")


def _plain(value):
    """yacs values as JSON types (tuples become lists, nested nodes dicts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _lookup(node, dotted):
    """The value at ``dotted`` in a config or a nested dict, or None."""
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def config_essentials(cfg):
    """The part of ``cfg`` a tracker needs, as a config-shaped dict: :data:`ARCHITECTURE_KEYS`
    and the ``TRACK`` section."""
    essentials = {"TRACK": _plain(cfg.TRACK)}
    for key in ARCHITECTURE_KEYS:
        value = _lookup(cfg, key)
        if value is None:
            continue
        *parents, last = key.split(".")
        node = essentials
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = _plain(value)
    return essentials


def new_manifest(layout, cfg, opset, versions):
    """The common fields of a ``layout`` export of ``cfg``'s model."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "layout": layout, "opset": opset,
            "versions": dict(versions), "input": "float32 BGR crops, 0..255, NCHW, not normalised",
            "config": config_essentials(cfg)}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def add_graph_hashes(folder, manifest):
    """Record in ``manifest["sha256"]`` the content hash of every graph file it names."""
    manifest["sha256"] = {graph["file"]: _sha256(Path(folder) / graph["file"])
                          for graph in manifest["graphs"].values()}
    return manifest


def write_manifest(folder, manifest):
    """Write ``manifest`` as ``folder/model.json``."""
    (Path(folder) / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def read_manifest(folder):
    """The manifest of an exported folder; :class:`ExportError` if it is not one."""
    path = Path(folder) / MANIFEST_NAME
    if not Path(folder).is_dir():
        raise ExportError(f"{folder}: no such folder (expected an exported model, see siamtrack-export)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{folder} has no {MANIFEST_NAME}: not an exported model (see siamtrack-export)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExportError(f"{path} is not a siamtrack ONNX export manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ExportError(f"{path} has format version {manifest.get('format_version')}; this siamtrack "
                          f"reads version {FORMAT_VERSION}: export the model again")
    return manifest


def verify_graphs(folder, manifest):
    """:class:`ExportError` unless every graph file of ``manifest`` is present and has the
    content hash recorded at export (a graph swapped from another export, or re-weighted)."""
    hashes = manifest.get("sha256")
    if not isinstance(hashes, dict):
        raise ExportError(f"{Path(folder) / MANIFEST_NAME} records no graph hashes: export the model again")
    for graph in manifest.get("graphs", {}).values():
        path = Path(folder) / graph["file"]
        if not path.is_file():
            raise ExportError(f"{path} is missing: the export folder is incomplete")
        if _sha256(path) != hashes.get(graph["file"]):
            raise ExportError(f"{path} is not the graph exported with {Path(folder) / MANIFEST_NAME} (its content "
                              "hash differs: replaced or modified after export); export the model again")


def _same(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def _first_difference(key, exported, ours):
    """The first ``(key, exported, ours)`` below ``key`` where the two differ, or None."""
    if isinstance(exported, dict) and isinstance(ours, dict):
        for name in sorted(set(exported) | set(ours)):
            found = _first_difference(f"{key}.{name}", exported.get(name), ours.get(name))
            if found:
                return found
        return None
    return None if _same(exported, ours) else (key, exported, ours)


def check_export_config(manifest, cfg, folder):
    """:class:`ExportError` (one line) naming the first architecture key
    (:data:`ARCHITECTURE_KEYS`, e.g. ``MODEL.SIAM_ALEXNET.WIDTH_MULT``) on which ``cfg`` and the
    export's ``model.json`` disagree."""
    exported = manifest.get("config", {})
    for key in ARCHITECTURE_KEYS:
        ours = _lookup(cfg, key)
        if ours is None and _lookup(exported, key) is None:
            continue
        found = _first_difference(key, _lookup(exported, key), _plain(ours))
        if found:
            name, theirs, mine = found
            raise ExportError(f"MODEL.WEIGHTS {folder} was exported with {name} {theirs} but the config has "
                              f"{mine}: use the config of that export (its model.json) or export again")


def check_export(folder, cfg=None):
    """The manifest of the exported ``folder`` once checked: its graphs are the exported ones
    (:func:`verify_graphs`) and, with ``cfg``, the config has their architecture
    (:func:`check_export_config`). Raises :class:`ExportError` with one line."""
    manifest = read_manifest(folder)
    verify_graphs(folder, manifest)
    if cfg is not None:
        check_export_config(manifest, cfg, folder)
    return manifest
