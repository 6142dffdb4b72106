"""SiamMask in the ``siamtrack`` export layout (docs/deploy.md, "SiamMask"): ``refine.onnx``
beside ``template.onnx`` / ``track.onnx``, and its runner for :class:`OnnxSiamModel`.

``track.onnx`` of a SiamMask model returns, besides ``cls`` / ``loc``, what the refine module
reads: ``corr`` and the search crops' ``stem`` / ``layer1`` / ``layer2`` maps. ``refine.onnx``
takes the crops of those maps around one score-map position
(:func:`~siamtrack.modeling.heads.mask.refine_crops`: ``p0`` 64x61x61, ``p1`` 256x31x31, ``p2``
512x15x15, ``p3`` 256x1x1; dynamic batch) and returns ``mask_logits`` (N, 127*127). The crops
are cut by the runner, outside the graph: they are slices at a position known only at run time.
"""
import copy

import torch
import torch.nn as nn

from ..modeling.heads.mask import refine_crops
from .errors import ExportError
from .layouts import BATCH, _shape, torch_export
from .verify import compare, ort_session, run_session

__all__ = ["is_siammask", "check_layout", "export_refine", "add_refine_graph", "OnnxRefine", "REFINE_INPUTS"]

REFINE_INPUTS = ("p0", "p1", "p2", "p3")


def is_siammask(model):
    """True for a model with a refine module (:class:`~siamtrack.modeling.SiamMask`)."""
    return hasattr(model, "refine_head")


def check_layout(model, layout):
    """:class:`ExportError` for a SiamMask model in a layout without a refine graph (``opencv``)."""
    if is_siammask(model) and layout != "siamtrack":
        raise ExportError(f"the {layout} layout has no graph for SiamMask's mask branch; use the siamtrack layout")


def add_refine_graph(manifest, model, folder, opset, template_crops, search_crops, threads=None):
    """:func:`export_refine` into ``manifest`` (the siamtrack layout's): its graph entry and check."""
    entry, report = export_refine(model, folder, opset, template_crops, search_crops, threads)
    manifest["graphs"]["refine"] = entry
    manifest["check"]["max_relative_difference"].update(report)


class RefineGraph(nn.Module):
    """``refine.onnx``: the refine module on crops."""

    def __init__(self, refine_head):
        super().__init__()
        self.refine_head = refine_head

    def forward(self, p0, p1, p2, p3):
        """Mask logits (N, 127*127)."""
        return self.refine_head(p0, p1, p2, p3)


def _batched_crops(outputs, positions):
    """The four crop tensors of every sample at its position, concatenated over the batch."""
    per_sample = [refine_crops(outputs["stem"][i:i + 1], outputs["layer1"][i:i + 1], outputs["layer2"][i:i + 1],
                               outputs["corr"][i:i + 1], pos) for i, pos in enumerate(positions)]
    return [torch.cat(parts).contiguous() for parts in zip(*per_sample)]


def export_refine(model, folder, opset, template_crops, search_crops, threads=None):
    """Write ``refine.onnx`` of ``model`` in ``folder`` and check it with ONNX Runtime against the
    PyTorch refine module on the check crops (the centre of the score map for the first sample,
    a position near a corner for the others: the zero padding counts); returns
    ``(graph manifest entry, {name: relative difference})``."""
    with torch.no_grad():
        outputs = model.track(search_crops, model.template(template_crops))
        size = outputs["cls"].shape[-1]
        positions = [(size // 2, size // 2)] + [(1, size - 2)] * (len(search_crops) - 1)
        crops = _batched_crops(outputs, positions)
        reference = model.refine(outputs, positions)
    path = folder / "refine.onnx"
    graph = RefineGraph(copy.deepcopy(model.refine_head).eval().to("cpu", torch.float32))
    axes = {name: {0: BATCH} for name in (*REFINE_INPUTS, "mask_logits")}
    torch_export(graph, [c[:1] for c in crops], path, list(REFINE_INPUTS), ["mask_logits"], opset, axes)
    report = {}
    actual = run_session(ort_session(path, threads), ["mask_logits"], dict(zip(REFINE_INPUTS, (c.numpy() for c in crops))),
                         path)[0]
    compare(report, "mask_logits", actual, reference.numpy(), "ONNX Runtime")
    entry = {"file": path.name, "inputs": {n: _shape(c, {0: BATCH}) for n, c in zip(REFINE_INPUTS, crops)},
             "outputs": {"mask_logits": _shape(reference, {0: BATCH})}}
    return entry, report


class OnnxRefine:
    """``refine(outputs, positions)`` of an exported SiamMask model, run by ONNX Runtime: the
    same call as :meth:`SiamMask.refine <siamtrack.modeling.SiamMask.refine>` (torch tensors of
    ``track``'s outputs, one (y, x) per sample) -> (N, 127*127) mask logits."""

    def __init__(self, path, threads=None, providers=None):
        """The session of ``refine.onnx`` at ``path``."""
        self.path = path
        self._session = ort_session(path, threads, providers)

    def __call__(self, outputs, positions):
        """Mask logits of ``outputs`` at ``positions`` (see class doc)."""
        crops = _batched_crops(outputs, positions)
        feeds = {name: crop.to(torch.float32).numpy() for name, crop in zip(REFINE_INPUTS, crops)}
        return torch.from_numpy(run_session(self._session, ["mask_logits"], feeds, self.path)[0])
