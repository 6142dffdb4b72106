"""Export-only modules: an export-friendly copy of a :class:`~siamtrack.modeling.SiamRPN` and
the graphs of the two layouts (docs/deploy.md).

The copy shares nothing with the caller's model (it is a deep copy in eval mode, float32, on the
CPU) and differs only in the correlations: each :class:`~siamtrack.modeling.heads.DepthwiseXCorr`
and the up-channel / SiamFC heads run the formulations of :mod:`.xcorr`, which export with a
dynamic batch. Backbone, neck, head convolutions and the level fusion are the model's own modules
and code.
"""
import copy

import torch
import torch.nn as nn

from ..modeling.heads import DepthwiseXCorr, SiamFCHead, UpChannelRPNHead
from .state_layout import build_state, leaf_names, state_leaves
from .xcorr import xcorr_depthwise_shifted, xcorr_plain_matmul, xcorr_up_channel_matmul


class ExportDepthwiseXCorr(nn.Module):
    """A :class:`DepthwiseXCorr`'s convolutions around :func:`.xcorr_depthwise_shifted`."""

    def __init__(self, inner):
        super().__init__()
        self.conv_kernel, self.conv_search, self.head = inner.conv_kernel, inner.conv_search, inner.head

    def template(self, z):
        """Correlation kernel of template features ``z``."""
        return self.conv_kernel(z)

    def correlation(self, x, kernel):
        """The correlation feature before the 1x1 head (what SiamMask's refine module reads)."""
        return xcorr_depthwise_shifted(self.conv_search(x), kernel)

    def track(self, x, kernel):
        """Correlate search features ``x`` with a :meth:`template` kernel."""
        return self.head(self.correlation(x, kernel))


def _one_level(feats):
    return feats[0] if isinstance(feats, (list, tuple)) else feats


class _WrappedHead(nn.Module):
    """A head whose template branch is its own and whose ``track`` an export variant redefines."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def template(self, z_feats):
        """The wrapped head's own template branch (no correlation there)."""
        return self.inner.template(z_feats)


class ExportUpChannelHead(_WrappedHead):
    """An :class:`UpChannelRPNHead`'s convolutions around :func:`.xcorr_up_channel_matmul`."""

    def track(self, x_feats, kernels):
        """``{"cls", "loc"}`` of one level."""
        x, head = _one_level(x_feats), self.inner
        cls = xcorr_up_channel_matmul(head.search_cls_conv(x), kernels["cls"])
        loc = head.loc_adjust(xcorr_up_channel_matmul(head.search_loc_conv(x), kernels["loc"]))
        return {"cls": cls, "loc": loc}


class ExportSiamFCHead(_WrappedHead):
    """A :class:`SiamFCHead` around :func:`.xcorr_plain_matmul`: ``{"score"}``."""

    def track(self, x_feats, kernels):
        """Mean over levels of the plain correlations (each divided by the C*h*w template
        elements it sums, as the head does), then the learnt affine ``adjust``."""
        total = 0
        for z, x in zip(kernels, x_feats):
            total = total + xcorr_plain_matmul(x, z) / (z.shape[1] * z.shape[2] * z.shape[3])
        return {"score": self.inner.adjust(total / len(kernels))}


_HEAD_VARIANTS = {UpChannelRPNHead: ExportUpChannelHead, SiamFCHead: ExportSiamFCHead}


def export_friendly_copy(model):
    """Deep copy of ``model`` (eval, float32, CPU, contiguous) with export-friendly correlations."""
    model = copy.deepcopy(model).eval().to("cpu", torch.float32)
    model = model.to(memory_format=torch.contiguous_format)
    variant = _HEAD_VARIANTS.get(type(model.rpn_head))
    if variant is not None:
        model.rpn_head = variant(model.rpn_head)
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, DepthwiseXCorr):  # SiamMask's MaskCorr too
                setattr(parent, name, ExportDepthwiseXCorr(child))
    return model


class TemplateGraph(nn.Module):
    """``template.onnx``: template crops -> the tensors of the template state, in ``tree`` order."""

    def __init__(self, model, tree):
        super().__init__()
        self.model, self.tree = model, tree

    def forward(self, z):
        """Tuple of the state's tensors (see :mod:`.state_layout`)."""
        return tuple(state_leaves(self.tree, self.model.template(z)))


class TrackGraph(nn.Module):
    """``track.onnx``: search crops and the state's tensors -> the raw maps named ``outputs``."""

    def __init__(self, model, tree, outputs):
        super().__init__()
        self.model, self.tree, self.outputs = model, tree, list(outputs)
        self.names = leaf_names(tree)

    def forward(self, x, *kernels):
        """Tuple of the maps (``cls``, ``loc``; or ``score`` for SiamFC heads)."""
        out = self.model.track(x, build_state(self.tree, dict(zip(self.names, kernels))))
        return tuple(out[key] for key in self.outputs)


class FeatureGraph(nn.Module):
    """OpenCV layout ``target_net.onnx`` / ``search_net.onnx``: crops -> neck features per level."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        """Tuple of the feature maps, one per level."""
        return tuple(self.model.features(images))


class StackedHeadGraph(nn.Module):
    """OpenCV layout ``rpn_head.onnx``: ``input_1`` (L, 1, C, h, w) template features and
    ``input_2`` (L, 1, C, H, W) search features, stacked over the L levels -> ``cls``, ``loc``."""

    def __init__(self, model):
        super().__init__()
        self.head = model.rpn_head

    def forward(self, input_1, input_2):
        """The head's template branch then its correlation and fusion, every frame."""
        z_feats = [input_1[i] for i in range(input_1.shape[0])]
        x_feats = [input_2[i] for i in range(input_2.shape[0])]
        out = self.head.track(x_feats, self.head.template(z_feats))
        return out["cls"], out["loc"]
