"""The ``opencv-dasiamrpn`` export layout: the three ONNX files ``cv2.TrackerDaSiamRPN`` loads
(docs/deploy.md, "Run your model in OpenCV's TrackerDaSiamRPN").

OpenCV's tracker (``modules/video/src/tracking/tracker_dasiamrpn.cpp``) fixes the graph contract:

* ``dasiamrpn_model.onnx``: a crop (1, 3, S, S) in; the backbone's output is the tensor ``63``
  (read by name on the 127 template crop), the two correlations are convolutions producing
  ``65`` (box, kernel (20, 256, 4, 4)) and ``68`` (class, kernel (10, 256, 4, 4)) whose weights the
  tracker replaces at ``init``; the graph outputs are ``66`` (box deltas after the 1x1 adjust,
  (1, 20, 19, 19)) then ``68`` (class logits, (1, 10, 19, 19)) on a 271 crop. The nodes of ``63``,
  ``65`` and ``68`` are named ``onnx_node_output_0!<name>``, the layer names the tracker asks for.
* ``dasiamrpn_kernel_r1.onnx`` / ``dasiamrpn_kernel_cls1.onnx``: the template features (1, C, 6, 6)
  in, the up-channel kernels (1, 5120, 4, 4) / (1, 2560, 4, 4) out.

So the model must be a DaSiamRPN (AlexNet, no neck, :class:`UpChannelRPNHead`, 5 anchors) whose
head correlates 256 channels: OpenCV's tracker reshapes the kernels to (20 / 10, 256, 4, 4), so the
512-channel BIG model cannot run in it. The backbone's width C is free (the tracker only passes
``63`` from one graph to the others): the configs ``dasiamrpn/siamrpn_vot``, ``_otb``, ``_opencv``,
``dasiamrpn_alex`` (C = 256) and ``dasiamrpn_alex_synthetic`` (C = 64) all export.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from ..modeling.heads import UpChannelRPNHead
from ..utils.errors import first_line
from ..utils.extras import require
from .errors import ExportError
from .verify import TOLERANCE, check_graph_file, compare

LAYOUT = "opencv-dasiamrpn"
FILES = {"model": "dasiamrpn_model.onnx", "kernel_r1": "dasiamrpn_kernel_r1.onnx",
         "kernel_cls1": "dasiamrpn_kernel_cls1.onnx"}
CHANNELS, ANCHORS, EXEMPLAR, INSTANCE, KERNEL_SIDE, SCORE_SIDE = 256, 5, 127, 271, 4, 19
FEATURES, BOX_CORR, BOX_OUT, CLS_SEARCH, CLS_OUT = "63", "65", "66", "67", "68"
LAYER_PREFIX = "onnx_node_output_0!"


def check_model(model):
    """:class:`ExportError` unless ``model`` has the architecture ``cv2.TrackerDaSiamRPN`` runs."""
    head = getattr(model, "rpn_head", None)
    if not isinstance(head, UpChannelRPNHead) or getattr(model, "neck", None) is not None:
        raise ExportError(f"the {LAYOUT} layout needs a DaSiamRPN model (AlexNet, no neck, UpChannelRPNHead; "
                          f"configs dasiamrpn/*), not {type(head).__name__}")
    channels = head.search_cls_conv.out_channels
    if channels != CHANNELS or head.num_anchors != ANCHORS:
        raise ExportError(f"cv2.TrackerDaSiamRPN hard-codes {CHANNELS} correlation channels "
                          f"(MODEL.SIAM_HEAD.HIDDEN_CHANNELS) and {ANCHORS} anchors; this model has {channels} and "
                          f"{head.num_anchors} (the BIG model cannot run in it)")


class _SearchGraph(nn.Module):
    """Backbone, then each branch's search conv and correlation with a fixed kernel (the weights
    OpenCV replaces), then the box branch's 1x1 adjust: outputs (box deltas, class logits)."""

    def __init__(self, model, kernels):
        super().__init__()
        self.model, self.head = model, model.rpn_head.inner  # export_friendly_copy wraps the head
        self.box_corr = nn.Conv2d(CHANNELS, 4 * ANCHORS, KERNEL_SIDE, bias=False)
        self.cls_corr = nn.Conv2d(CHANNELS, 2 * ANCHORS, KERNEL_SIDE, bias=False)
        with torch.no_grad():
            self.box_corr.weight.copy_(kernels["loc"].reshape(self.box_corr.weight.shape))
            self.cls_corr.weight.copy_(kernels["cls"].reshape(self.cls_corr.weight.shape))

    def forward(self, x):
        """``(66, 68)`` of a crop."""
        features = self.model.features(x)[0]
        box = self.head.loc_adjust(self.box_corr(self.head.search_loc_conv(features)))
        return box, self.cls_corr(self.head.search_cls_conv(features))


class _KernelGraph(nn.Module):
    """One template conv of the up-channel head: template features -> flat kernel."""

    def __init__(self, conv):
        super().__init__()
        self.conv = conv

    def forward(self, z):
        """The kernel of template features ``z``."""
        return self.conv(z)


def _rename_search_graph(path):
    """Give the model graph OpenCV's tensor and layer names (see the module doc)."""
    onnx = require("onnx", "ONNX export")
    graph_model = onnx.load(str(path))
    graph = graph_model.graph
    weight_of = {"box_corr.weight": BOX_CORR, "cls_corr.weight": CLS_OUT}
    producer = {out: node for node in graph.node for out in node.output}
    rename = {}
    for node in graph.node:
        target = next((weight_of[i] for i in node.input if i in weight_of), None)
        if target is None:
            continue
        search_conv = producer[node.input[0]]
        rename[node.output[0]] = target
        rename[search_conv.output[0]] = "64" if target == BOX_CORR else CLS_SEARCH
        rename[search_conv.input[0]] = FEATURES
    if len(rename) != 5:
        raise ExportError(f"cannot find the correlation convolutions in the traced {path.name}")
    for node in graph.node:
        node.input[:] = [rename.get(i, i) for i in node.input]
        node.output[:] = [rename.get(o, o) for o in node.output]
        node.name = LAYER_PREFIX + node.output[0] if node.output[0] in (FEATURES, BOX_CORR, CLS_OUT) else ""
    for value in graph.output:
        value.name = rename.get(value.name, value.name)
    onnx.save(graph_model, str(path))


def export_opencv_dasiamrpn(model, folder, opset, template_crop, search_crop, torch_export):
    """Write and check the three files of ``cv2.TrackerDaSiamRPN`` in ``folder`` for (1, 3, 127,
    127) / (1, 3, 271, 271) crops; returns the manifest fields of the layout. ``torch_export`` is
    :func:`siamtrack.export.layouts.torch_export` (tracing with one-line errors)."""
    check_model(model)
    for crop, side, what in ((template_crop, EXEMPLAR, "template"), (search_crop, INSTANCE, "search")):
        if tuple(crop.shape[-2:]) != (side, side):
            raise ExportError(f"cv2.TrackerDaSiamRPN uses {side} {what} crops (TRACK.EXEMPLAR_SIZE 127, "
                              f"INSTANCE_SIZE 271), got {crop.shape[-1]}")
    with torch.no_grad():
        z_feat = model.features(template_crop)[0]
        kernels = model.rpn_head.template([z_feat])
        reference = model.track(search_crop, {"kernels": kernels})
    if tuple(z_feat.shape[-2:]) != (KERNEL_SIDE + 2, KERNEL_SIDE + 2) or reference["cls"].shape[-1] != SCORE_SIDE:
        raise ExportError(f"cv2.TrackerDaSiamRPN expects 6x6 template features and {SCORE_SIDE}x{SCORE_SIDE} "
                          f"maps; this model gives {tuple(z_feat.shape[-2:])} and {tuple(reference['cls'].shape[-2:])}")
    from .graphs import export_friendly_copy

    copy = export_friendly_copy(model)
    head = copy.rpn_head.inner
    paths = {key: folder / name for key, name in FILES.items()}
    torch_export(_SearchGraph(copy, kernels), [search_crop], paths["model"], ["input"], [BOX_OUT, CLS_OUT], opset,
                 {"input": {2: "height", 3: "width"}})
    _rename_search_graph(paths["model"])
    check_graph_file(paths["model"])
    torch_export(_KernelGraph(head.template_loc_conv), [z_feat], paths["kernel_r1"], ["input"], ["r1"], opset)
    torch_export(_KernelGraph(head.template_cls_conv), [z_feat], paths["kernel_cls1"], ["input"], ["cls1"], opset)
    report = _check_with_opencv(paths, template_crop, search_crop, z_feat, kernels, reference)
    return {
        "graphs": {
            "model": {"file": FILES["model"], "inputs": {"input": [1, 3, "height", "width"]},
                      "outputs": {BOX_OUT: list(reference["loc"].shape), CLS_OUT: list(reference["cls"].shape)},
                      "features": {FEATURES: list(z_feat.shape)},
                      "kernel_layers": {LAYER_PREFIX + BOX_CORR: [4 * ANCHORS, CHANNELS, KERNEL_SIDE, KERNEL_SIDE],
                                        LAYER_PREFIX + CLS_OUT: [2 * ANCHORS, CHANNELS, KERNEL_SIDE, KERNEL_SIDE]}},
            "kernel_r1": {"file": FILES["kernel_r1"], "inputs": {"input": list(z_feat.shape)},
                          "outputs": {"r1": list(kernels["loc"].shape)}},
            "kernel_cls1": {"file": FILES["kernel_cls1"], "inputs": {"input": list(z_feat.shape)},
                            "outputs": {"cls1": list(kernels["cls"].shape)}},
        },
        "check": {"runtime": "opencv", "tolerance": TOLERANCE, "batch": 1, "search_sizes": [INSTANCE],
                  "max_relative_difference": report, "tracker": "cv2.TrackerDaSiamRPN ran 3 frames"},
    }


def _check_with_opencv(paths, template_crop, search_crop, z_feat, kernels, reference):
    """Compare OpenCV dnn's outputs of the three files with PyTorch's, then run the tracker."""
    import cv2

    report = {}
    try:
        net, r1, cls1 = (cv2.dnn.readNet(str(paths[key])) for key in ("model", "kernel_r1", "kernel_cls1"))
        net.setInput(template_crop.numpy())
        cv_feat = net.forward(LAYER_PREFIX + FEATURES)
        compare(report, FEATURES, cv_feat, z_feat.numpy(), "OpenCV dnn")
        for name, kernel_net, key in (("r1", r1, "loc"), ("cls1", cls1, "cls")):
            kernel_net.setInput(cv_feat)
            compare(report, name, kernel_net.forward(), kernels[key].numpy(), "OpenCV dnn")
        net.setInput(search_crop.numpy())
        box, cls = net.forward(net.getUnconnectedOutLayersNames())
    except cv2.error as exc:
        raise ExportError(f"OpenCV's dnn cannot run the exported files: {first_line(exc)}") from None
    compare(report, BOX_OUT, box, reference["loc"].numpy(), "OpenCV dnn")
    compare(report, CLS_OUT, cls, reference["cls"].numpy(), "OpenCV dnn")
    _run_tracker(paths, template_crop, search_crop)
    return report


def opencv_tracker(folder):
    """A ``cv2.TrackerDaSiamRPN`` on the three files in ``folder``."""
    import cv2

    params = cv2.TrackerDaSiamRPN_Params()
    params.model, params.kernel_r1, params.kernel_cls1 = (
        str(Path(folder) / FILES[key]) for key in ("model", "kernel_r1", "kernel_cls1"))
    return cv2.TrackerDaSiamRPN.create(params)


def _run_tracker(paths, template_crop, search_crop):
    """``cv2.TrackerDaSiamRPN`` must load the files and track a short clip made of the check crops
    (the search crop as the frame, the template pasted into it and moving)."""
    import cv2

    frame = np.ascontiguousarray(search_crop[0].numpy().transpose(1, 2, 0).astype(np.uint8))
    patch = np.ascontiguousarray(template_crop[0].numpy().transpose(1, 2, 0).astype(np.uint8))[32:96, 32:96]
    try:
        tracker = opencv_tracker(paths["model"].parent)
        for step in range(4):
            image = frame.copy()
            image[100 + 2 * step:164 + 2 * step, 100 + 3 * step:164 + 3 * step] = patch
            if step == 0:
                tracker.init(image, (100, 100, 64, 64))
                continue
            ok, box = tracker.update(image)
            if not ok or not all(np.isfinite(box)):
                raise ExportError(f"cv2.TrackerDaSiamRPN gave no box on the exported files (frame {step})")
    except cv2.error as exc:
        raise ExportError(f"cv2.TrackerDaSiamRPN cannot run the exported files: {first_line(exc)}") from None
