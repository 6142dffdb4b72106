"""``export_onnx``: export a SiamRPN model to a folder of ONNX graphs plus ``model.json``.

The folder is written under a temporary name beside the destination and renamed only once every
graph has passed the ONNX checker and matched PyTorch's outputs, so a folder that exists under
its final name is always complete and checked (docs/deploy.md).
"""
import copy
import logging
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

import torch
import torch.nn as nn
from detectron2.config import CfgNode

from ..checkpoint.pysot import ConversionError, convert_state_dict, load_pysot_file, unwrap_state_dict
from ..utils.extras import require
from .dasiamrpn import export_opencv_dasiamrpn
from .errors import ExportError
from .layouts import export_opencv, export_siamtrack, torch_export
from .manifest import MANIFEST_NAME, add_graph_hashes, new_manifest, write_manifest
from .siammask import add_refine_graph, check_layout, is_siammask
from .verify import as_crops, textured_crops

logger = logging.getLogger(__name__)

LAYOUTS = ("siamtrack", "opencv", "opencv-dasiamrpn")
DEFAULT_OPSET = 17
OPSET_RANGE = (11, 20)  # Slice with negative stops needs 11; 20 is torch's TorchScript exporter limit
LONG_TERM_TRACKER = "SiamRPNLTTracker"


def export_onnx(source, output_dir, *, cfg=None, layout="siamtrack", opset=DEFAULT_OPSET, check_crops=None,
                overwrite=False, threads=None):
    """Export a SiamRPN model to ``output_dir`` and check it; returns the written manifest.

    Args:
        source: a config (``CfgNode``: the model is built from it on the CPU and ``MODEL.WEIGHTS``
            loaded strictly) or a :class:`~siamtrack.modeling.SiamRPN` (then pass ``cfg`` too: its
            anchors and ``TRACK`` settings go into ``model.json``). The model is not modified.
        output_dir: the folder to create (its parent must exist).
        layout: ``"siamtrack"`` (``template.onnx`` + ``track.onnx``, dynamic batch) or ``"opencv"``
            (``target_net.onnx``, ``search_net.onnx``, ``rpn_head.onnx`` for OpenCV's SiamRPN++ sample).
        opset: ONNX opset version.
        check_crops: ``(template, search)`` crops (arrays or tensors, (3,S,S) or (N,3,S,S), float
            BGR 0..255) to check the export on; default: a textured image at the config's sizes.
        overwrite: replace an existing export folder.
        threads: ONNX Runtime threads for the check (default: its own choice).

    Raises:
        ExportError: bad arguments, a model or weights that cannot be exported, or an export that
            fails the checker or differs from PyTorch by more than 1e-4 relative (nothing is left
            under ``output_dir`` then). :class:`~siamtrack.utils.extras.MissingExtraError` without onnx/onnxruntime.
    """
    require("onnx", "onnx", "ONNX export")
    require("onnxruntime", "onnx", "ONNX export")
    if layout not in LAYOUTS:
        raise ExportError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    if not isinstance(opset, int) or not OPSET_RANGE[0] <= opset <= OPSET_RANGE[1]:
        raise ExportError(f"opset must be an integer from {OPSET_RANGE[0]} to {OPSET_RANGE[1]}, got {opset!r}")
    model, cfg = _resolve_model(source, cfg)
    check_layout(model, layout)
    template_crops, search_crops = _check_inputs(cfg, layout, check_crops)
    destination = _destination(output_dir, overwrite)
    partial = Path(tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent))
    was_training = model.training
    model.eval()  # the reference outputs are the inference path's; the mode is restored below
    try:
        manifest = new_manifest(layout, cfg, opset, _versions(layout))
        if layout == "siamtrack":
            manifest.update(export_siamtrack(model, partial, opset, template_crops, search_crops, threads))
            if is_siammask(model):
                add_refine_graph(manifest, model, partial, opset, template_crops, search_crops[0], threads)
        elif layout == "opencv":
            manifest.update(export_opencv(model, partial, opset, template_crops[:1], search_crops[0][:1]))
        else:
            manifest.update(export_opencv_dasiamrpn(model, partial, opset, template_crops[:1], search_crops[0][:1],
                                                    torch_export))
        write_manifest(partial, add_graph_hashes(partial, manifest))
        _publish(partial, destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        model.train(was_training)
    return manifest


def _resolve_model(source, cfg):
    if isinstance(source, CfgNode):
        return model_from_config(source), source
    if not isinstance(source, nn.Module) or not all(hasattr(source, a) for a in ("template", "track", "rpn_head")):
        raise ExportError(f"export_onnx needs a config or a SiamRPN model, got {type(source).__name__}")
    if cfg is None:
        raise ExportError("exporting a model needs its config too (cfg=...): anchors and tracker settings "
                          "go into model.json")
    return cpu_float32(source), cfg


def cpu_float32(model):
    """``model`` itself when its parameters and buffers are float32 CPU tensors, else a float32
    copy on the CPU: the export traces on the CPU and checks against ONNX Runtime, whose inputs
    and reference outputs are NumPy arrays (a CUDA or half model, as ``siamtrack-benchmark`` builds
    on a GPU machine, is exported from such a copy; the model itself is left as it is)."""
    tensors = list(model.parameters()) + list(model.buffers())
    if all(t.device.type == "cpu" and (t.dtype == torch.float32 or not t.is_floating_point()) for t in tensors):
        return model
    return copy.deepcopy(model).to(device="cpu", dtype=torch.float32)


def model_from_config(cfg):
    """The SiamRPN of ``cfg`` on the CPU in eval mode, with ``cfg.MODEL.WEIGHTS`` loaded strictly
    (a siamtrack/detectron2 checkpoint or a pysot file); random weights, with a warning, if unset."""
    from detectron2.modeling import META_ARCH_REGISTRY

    try:
        model = META_ARCH_REGISTRY.get(cfg.MODEL.META_ARCHITECTURE)(cfg).eval()  # SiamRPN or SiamMask
    except (ValueError, KeyError, AssertionError, TypeError) as exc:
        raise ExportError(f"cannot build the model of this config: {exc}") from None
    path = cfg.MODEL.WEIGHTS
    if not path:
        logger.warning("MODEL.WEIGHTS is not set: exporting an untrained model (random weights)")
        return model
    try:
        loaded = load_pysot_file(path)
        state = loaded["model"] if isinstance(loaded, dict) and isinstance(loaded.get("model"), dict) else loaded
        model.load_state_dict(convert_state_dict(unwrap_state_dict(state), model))
    except ConversionError as exc:
        raise ExportError(f"MODEL.WEIGHTS {path}: {exc}") from None
    return model


def _check_inputs(cfg, layout, check_crops):
    """(template crops, [search crops per checked size]), each batch of 2 for the siamtrack layout."""
    exemplar, instance = int(cfg.TRACK.EXEMPLAR_SIZE), int(cfg.TRACK.INSTANCE_SIZE)
    if check_crops is None:
        sizes = [instance]
        if layout == "siamtrack" and cfg.TRACK.TYPE == LONG_TERM_TRACKER:
            sizes.append(int(cfg.TRACK.LOST_INSTANCE_SIZE))
        return textured_crops(2, exemplar, seed=0), [textured_crops(2, size, seed=1) for size in sizes]
    template, search = check_crops
    template = as_crops(template, exemplar, "template")
    size = instance if layout != "siamtrack" else int(getattr(search, "shape", [0])[-1])
    search = as_crops(search, size, "search")
    if layout == "siamtrack" and len(template) == 1:  # a second, flipped sample checks the dynamic batch
        template, search = torch.cat([template, template.flip(-1)]), torch.cat([search, search.flip(-1)])
    return template, [search]


def _destination(output_dir, overwrite):
    destination = Path(output_dir).absolute()
    if not destination.parent.is_dir():
        raise ExportError(f"{output_dir}: the parent folder does not exist")
    if destination.exists():
        if not overwrite:
            raise ExportError(f"{output_dir} exists; choose another output folder or overwrite it")
        if not destination.is_dir() or (not (destination / MANIFEST_NAME).is_file() and any(destination.iterdir())):
            raise ExportError(f"{output_dir} exists and is not an exported model; refusing to replace it")
    return destination


def _publish(partial, destination):
    """Give ``partial`` the umask's permissions and rename it to ``destination`` (replacing an old one)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(partial, 0o777 & ~umask)
    if not destination.exists():
        os.rename(partial, destination)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{destination.name}.old-", dir=destination.parent))
    os.rename(destination, old / destination.name)
    os.rename(partial, destination)
    shutil.rmtree(old, ignore_errors=True)


def _versions(layout):
    versions = {"torch": torch.__version__, "onnx": require("onnx", "onnx", "ONNX export").__version__}
    try:
        versions["siamtrack"] = metadata.version("siamtrack")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        versions["siamtrack"] = "source"
    if layout == "siamtrack":
        versions["onnxruntime"] = require("onnxruntime", "onnx", "ONNX export").__version__
    else:
        import cv2

        versions["opencv"] = cv2.__version__
    return versions
