"""Writing and checking the two export layouts (docs/deploy.md).

* ``siamtrack``: ``template.onnx`` (template crops -> every tensor of the template state) and
  ``track.onnx`` (search crops + those tensors -> ``cls``, ``loc``), dynamic batch on every
  tensor and dynamic search size; checked with ONNX Runtime.
* ``opencv``: ``target_net.onnx`` / ``search_net.onnx`` (crop -> one feature map per level) and
  ``rpn_head.onnx`` (``input_1`` / ``input_2``: the levels' template / search maps stacked ->
  ``cls``, ``loc``), batch 1 and fixed sizes, as OpenCV's SiamRPN++ sample
  (``samples/dnn/siamrpnpp.py``) feeds them; checked with OpenCV's dnn module.
"""
import contextlib
import inspect
import io
import warnings

import numpy as np
import torch

from ..modeling.heads import DepthwiseRPNHead, MultiRPNHead
from ..utils.errors import first_line
from .errors import ExportError
from .graphs import FeatureGraph, StackedHeadGraph, TemplateGraph, TrackGraph, export_friendly_copy
from .state_layout import leaf_names, state_leaves, state_tree
from .verify import TOLERANCE, check_graph_file, compare, ort_session, run_session

BATCH = "batch"
# torch >= 2.9 defaults to its torch.export-based exporter, which needs onnxscript; the TorchScript
# tracer needs nothing beyond torch and onnx.
_TORCHSCRIPT_EXPORTER = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


def torch_export(graph, args, path, input_names, output_names, opset, dynamic_axes=None):
    """``torch.onnx.export`` of ``graph`` (TorchScript tracing) with one-line errors."""
    try:
        # Tracer and deprecation warnings, and the graph dump the exporter prints on failure, are
        # about the exporter's internals, not actionable for users.
        with warnings.catch_warnings(), torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(graph.eval(), tuple(args), str(path), input_names=input_names,
                              output_names=output_names, dynamic_axes=dynamic_axes, opset_version=opset,
                              do_constant_folding=True, **_TORCHSCRIPT_EXPORTER)
    except Exception as exc:  # tracing / symbolic errors of unsupported modules
        raise ExportError(f"cannot export {path.name}: {first_line(exc)}") from None
    check_graph_file(path)


def _shape(tensor, dynamic=()):
    """JSON shape of ``tensor`` with the named dynamic axes ``{axis: name}``."""
    dynamic = dict(dynamic)
    return [dynamic.get(i, int(n)) for i, n in enumerate(tensor.shape)]


def export_siamtrack(model, folder, opset, template_crops, search_crops, threads=None):
    """Write and check ``template.onnx`` / ``track.onnx`` of ``model`` in ``folder``.

    ``search_crops`` is a list of (N, 3, S, S) batches (one per checked search size). Returns the
    manifest fields of the layout.
    """
    with torch.no_grad():
        state = model.template(template_crops)
        references = [model.track(x, state) for x in search_crops]
    tree = state_tree(state)
    names, kernels = leaf_names(tree), state_leaves(tree, state)
    outputs = sorted(references[0])  # the head's raw maps: cls, loc (anchor heads) or score
    copy = export_friendly_copy(model)
    template_path, track_path = folder / "template.onnx", folder / "track.onnx"
    # Traced at batch 1 and checked at the batch of the crops (2): a batch size frozen into the
    # graph fails the check.
    torch_export(TemplateGraph(copy, tree), [template_crops[:1]], template_path, ["template"], names, opset,
                 {name: {0: BATCH} for name in ["template", *names]})
    track_axes = {"search": {0: BATCH, 2: "search_height", 3: "search_width"}}
    track_axes.update({name: {0: BATCH} for name in names})
    for key in outputs:  # SiamMask's track() also returns its refine inputs, maps of other sizes
        side = "score" if references[0][key].shape[-2:] == references[0][outputs[0]].shape[-2:] else key
        track_axes[key] = {0: BATCH, 2: f"{side}_height", 3: f"{side}_width"}
    torch_export(TrackGraph(copy, tree, outputs), [search_crops[0][:1], *(k[:1] for k in kernels)], track_path,
                 ["search", *names], outputs, opset, track_axes)

    report = {}
    template_session, track_session = ort_session(template_path, threads), ort_session(track_path, threads)
    ort_kernels = run_session(template_session, names, {"template": template_crops.numpy()}, template_path)
    for name, actual, expected in zip(names, ort_kernels, kernels):
        compare(report, name, actual, expected.numpy(), "ONNX Runtime")
    for x, reference in zip(search_crops, references):
        feeds = {"search": x.numpy(), **dict(zip(names, ort_kernels))}
        for key, actual in zip(outputs, run_session(track_session, outputs, feeds, track_path)):
            compare(report, f"{key}@{x.shape[-1]}", actual, reference[key].numpy(), "ONNX Runtime")
    return {
        "graphs": {
            "template": {"file": template_path.name,
                         "inputs": {"template": _shape(template_crops, {0: BATCH})},
                         "outputs": {n: _shape(k, {0: BATCH}) for n, k in zip(names, kernels)}},
            "track": {"file": track_path.name,
                      "inputs": {"search": _shape(search_crops[0], track_axes["search"]),
                                 **{n: _shape(k, {0: BATCH}) for n, k in zip(names, kernels)}},
                      "outputs": {key: _shape(references[0][key], track_axes[key]) for key in outputs}},
        },
        "template_state": tree,
        "check": _check_record("onnxruntime", report, template_crops, search_crops),
    }


def _check_record(runtime, report, template_crops, search_crops):
    return {"runtime": runtime, "tolerance": TOLERANCE, "batch": int(template_crops.shape[0]),
            "search_sizes": [int(x.shape[-1]) for x in search_crops],
            "max_relative_difference": report}


def _require_depthwise_head(model):
    """:class:`ExportError` unless ``model``'s head is one OpenCV's sample can drive."""
    head = model.rpn_head
    if not isinstance(head, (MultiRPNHead, DepthwiseRPNHead)):
        raise ExportError(f"the opencv layout needs a depthwise RPN head (MultiRPNHead or DepthwiseRPNHead), "
                          f"not {type(head).__name__}; use the siamtrack layout")


def export_opencv(model, folder, opset, template_crop, search_crop):
    """Write and check ``target_net.onnx``, ``search_net.onnx`` and ``rpn_head.onnx`` in ``folder``
    for (1, 3, S, S) crops; returns the manifest fields of the layout."""
    import cv2

    _require_depthwise_head(model)
    with torch.no_grad():
        z_feats = model.features(template_crop)
        if len({tuple(f.shape) for f in z_feats}) != 1:
            raise ExportError("the opencv layout stacks the feature levels, which needs levels of equal shape; "
                              f"this model's template levels are {[tuple(f.shape[1:]) for f in z_feats]}: "
                              "use the siamtrack layout")
        x_feats = model.features(search_crop)
        reference = model.track(search_crop, model.template(template_crop))
    levels = len(z_feats)
    feature_names = [f"feature_{i + 1}" for i in range(levels)]
    copy = export_friendly_copy(model)
    paths = {name: folder / f"{name}.onnx" for name in ("target_net", "search_net", "rpn_head")}
    torch_export(FeatureGraph(copy), [template_crop], paths["target_net"], ["input"], feature_names, opset)
    torch_export(FeatureGraph(copy), [search_crop], paths["search_net"], ["input"], feature_names, opset)
    stacked_z, stacked_x = torch.stack(list(z_feats)), torch.stack(list(x_feats))
    torch_export(StackedHeadGraph(copy), [stacked_z, stacked_x], paths["rpn_head"], ["input_1", "input_2"],
                 ["cls", "loc"], opset)

    nets = {}
    for name, path in paths.items():
        try:
            nets[name] = cv2.dnn.readNetFromONNX(str(path))
        except cv2.error as exc:
            raise ExportError(f"OpenCV's dnn cannot read {path.name}: {first_line(exc)}") from None
    report = {}
    try:
        cv_z = _forward(nets["target_net"], template_crop.numpy())
        cv_x = _forward(nets["search_net"], search_crop.numpy())
        for i in range(levels):
            compare(report, f"target_net.{feature_names[i]}", cv_z[i], z_feats[i].numpy(), "OpenCV dnn")
            compare(report, f"search_net.{feature_names[i]}", cv_x[i], x_feats[i].numpy(), "OpenCV dnn")
        head = nets["rpn_head"]
        head.setInput(np.stack(cv_z), "input_1")
        head.setInput(np.stack(cv_x), "input_2")
        cls, loc = head.forward(["cls", "loc"])
    except cv2.error as exc:
        raise ExportError(f"OpenCV's dnn cannot run the exported nets: {first_line(exc)}") from None
    compare(report, "cls", cls, reference["cls"].numpy(), "OpenCV dnn")
    compare(report, "loc", loc, reference["loc"].numpy(), "OpenCV dnn")
    stacked = lambda t: [levels, *_shape(t)]  # noqa: E731
    return {
        "graphs": {
            "target_net": {"file": paths["target_net"].name, "inputs": {"input": _shape(template_crop)},
                           "outputs": {n: _shape(f) for n, f in zip(feature_names, z_feats)}},
            "search_net": {"file": paths["search_net"].name, "inputs": {"input": _shape(search_crop)},
                           "outputs": {n: _shape(f) for n, f in zip(feature_names, x_feats)}},
            "rpn_head": {"file": paths["rpn_head"].name,
                         "inputs": {"input_1": stacked(z_feats[0]), "input_2": stacked(x_feats[0])},
                         "outputs": {key: _shape(reference[key]) for key in ("cls", "loc")}},
        },
        "check": _check_record("opencv", report, template_crop, [search_crop]),
    }


def _forward(net, blob):
    """Outputs of an OpenCV net for one input blob, in the graph's output order."""
    net.setInput(blob)
    return net.forward(net.getUnconnectedOutLayersNames())
