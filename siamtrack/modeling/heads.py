"""Siamese heads (SIAMRPN.md §3.3-3.5) and their registry.

Every head is called as ``head(z_feats, x_feats)`` with lists of template / search feature
tensors (one per level) and returns ``(cls, loc)``: ``cls`` (B, 2k, S, S) class-major
([bg x k, fg x k]) and ``loc`` (B, 4k, S, S) coordinate-major ([dx x k, dy x k, dw x k, dh x k]).
:class:`SiamFCHead` is the exception: it returns ``(score, None)`` with a (B, 1, S, S) logit
map (see its docstring). Module names equal pysot's so checkpoints load by name.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from detectron2.config import configurable
from detectron2.utils.registry import Registry

from .xcorr import xcorr_depthwise, xcorr_plain, xcorr_up_channel

SIAM_HEAD_REGISTRY = Registry("SIAM_HEAD")
SIAM_HEAD_REGISTRY.__doc__ = """
Registry for Siamese heads. Each is called as ``Head(cfg, in_channels)`` where ``in_channels``
lists the channels of the feature levels it receives (after the neck).
"""


def _num_anchors(cfg):
    return len(cfg.MODEL.SIAM_ANCHOR.RATIOS) * len(cfg.MODEL.SIAM_ANCHOR.SCALES)


def _single_level(name, in_channels):
    if len(in_channels) != 1:
        raise ValueError(f"{name} takes one feature level, got {len(in_channels)}; use MultiRPNHead")
    return in_channels[0]


def _conv_bn_relu(cin, cout, kernel_size):
    return nn.Sequential(nn.Conv2d(cin, cout, kernel_size, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class DepthwiseXCorr(nn.Module):
    """3x3 conv-BN-ReLU on each branch, depthwise correlation, then a 1x1 head (pysot names)."""

    def __init__(self, in_channels, hidden, out_channels):
        super().__init__()
        self.conv_kernel = _conv_bn_relu(in_channels, hidden, 3)
        self.conv_search = _conv_bn_relu(in_channels, hidden, 3)
        self.head = nn.Sequential(
            nn.Conv2d(hidden, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, out_channels, 1),
        )

    def forward(self, z, x):
        """Correlate template ``z`` with search ``x``: (B,C,7,7),(B,C,31,31) -> (B,O,25,25)."""
        return self.head(xcorr_depthwise(self.conv_search(x), self.conv_kernel(z)))


@SIAM_HEAD_REGISTRY.register()
class DepthwiseRPNHead(nn.Module):
    """pysot ``DepthwiseRPN``: ``cls`` and ``loc`` :class:`DepthwiseXCorr` on one feature level."""

    @configurable
    def __init__(self, *, num_anchors, in_channels, hidden_channels):
        """
        Args:
            num_anchors: anchors per position k (outputs 2k / 4k channels).
            in_channels: channels of the (single) input level.
            hidden_channels: channels after ``conv_kernel`` / ``conv_search``.
        """
        super().__init__()
        self.cls = DepthwiseXCorr(in_channels, hidden_channels, 2 * num_anchors)
        self.loc = DepthwiseXCorr(in_channels, hidden_channels, 4 * num_anchors)

    @classmethod
    def from_config(cls, cfg, in_channels):
        return {"num_anchors": _num_anchors(cfg), "in_channels": _single_level("DepthwiseRPNHead", in_channels),
                "hidden_channels": cfg.MODEL.SIAM_HEAD.HIDDEN_CHANNELS}

    def forward(self, z_feats, x_feats):
        """``(cls, loc)`` for one level; accepts one-element lists or tensors."""
        z = z_feats[0] if isinstance(z_feats, (list, tuple)) else z_feats
        x = x_feats[0] if isinstance(x_feats, (list, tuple)) else x_feats
        return self.cls(z, x), self.loc(z, x)


@SIAM_HEAD_REGISTRY.register()
class UpChannelRPNHead(nn.Module):
    """pysot ``UPChannelRPN`` (SiamRPN's "up-channel" correlation); all convs have bias, no BN."""

    @configurable
    def __init__(self, *, num_anchors, in_channels):
        """
        Args:
            num_anchors: anchors per position k.
            in_channels: channels of the (single) input level (256 in pysot).
        """
        super().__init__()
        c = in_channels
        self.template_cls_conv = nn.Conv2d(c, c * 2 * num_anchors, 3)
        self.template_loc_conv = nn.Conv2d(c, c * 4 * num_anchors, 3)
        self.search_cls_conv = nn.Conv2d(c, c, 3)
        self.search_loc_conv = nn.Conv2d(c, c, 3)
        self.loc_adjust = nn.Conv2d(4 * num_anchors, 4 * num_anchors, 1)

    @classmethod
    def from_config(cls, cfg, in_channels):
        return {"num_anchors": _num_anchors(cfg), "in_channels": _single_level("UpChannelRPNHead", in_channels)}

    def forward(self, z_feats, x_feats):
        """``(cls, loc)`` from up-channel correlations of one level."""
        z = z_feats[0] if isinstance(z_feats, (list, tuple)) else z_feats
        x = x_feats[0] if isinstance(x_feats, (list, tuple)) else x_feats
        cls = xcorr_up_channel(self.search_cls_conv(x), self.template_cls_conv(z))
        loc = self.loc_adjust(xcorr_up_channel(self.search_loc_conv(x), self.template_loc_conv(z)))
        return cls, loc


@SIAM_HEAD_REGISTRY.register()
class MultiRPNHead(nn.Module):
    """pysot ``MultiRPN``: one :class:`DepthwiseRPNHead` per level (``rpn2``, ``rpn3``, ...).

    Level outputs are fused by softmax(``cls_weight``) / softmax(``loc_weight``) when weighted,
    otherwise by their plain mean; sums accumulate in level order (SIAMRPN.md §3.4).
    """

    @configurable
    def __init__(self, *, num_anchors, in_channels, weighted):
        """
        Args:
            num_anchors: anchors per position k.
            in_channels: channels per level; each level's hidden size equals its input size.
            weighted: learn softmax fusion weights (``cls_weight``, ``loc_weight``).
        """
        super().__init__()
        self.num_levels = len(in_channels)
        for i, c in enumerate(in_channels):
            self.add_module(f"rpn{i + 2}", DepthwiseRPNHead(num_anchors=num_anchors, in_channels=c,
                                                           hidden_channels=c))
        self.weighted = weighted
        if weighted:
            self.cls_weight = nn.Parameter(torch.ones(self.num_levels))
            self.loc_weight = nn.Parameter(torch.ones(self.num_levels))

    @classmethod
    def from_config(cls, cfg, in_channels):
        return {"num_anchors": _num_anchors(cfg), "in_channels": list(in_channels),
                "weighted": cfg.MODEL.SIAM_HEAD.WEIGHTED}

    def forward(self, z_feats, x_feats):
        """Fused ``(cls, loc)`` over all levels."""
        if len(z_feats) != self.num_levels or len(x_feats) != self.num_levels:
            raise ValueError(f"MultiRPNHead expects {self.num_levels} levels, got {len(z_feats)}/{len(x_feats)}")
        outs = [getattr(self, f"rpn{i + 2}")(z, x) for i, (z, x) in enumerate(zip(z_feats, x_feats))]
        cls_list, loc_list = [o[0] for o in outs], [o[1] for o in outs]
        if not self.weighted:
            return _accumulate(cls_list) / self.num_levels, _accumulate(loc_list) / self.num_levels
        return (_accumulate(cls_list, F.softmax(self.cls_weight, 0)),
                _accumulate(loc_list, F.softmax(self.loc_weight, 0)))


def _accumulate(tensors, weights=None):
    """Sum in list order starting from 0 (the order matters at float32 precision)."""
    total = 0
    for i, t in enumerate(tensors):
        total = total + (t if weights is None else t * weights[i])
    return total


@SIAM_HEAD_REGISTRY.register()
class SiamFCHead(nn.Module):
    """SiamFC baseline: plain cross-correlation of template and search features.

    For each level the template features are correlated with the search features summed over
    channels (one response map per level; the mean is taken over levels). A learnable affine
    ``adjust`` (a 1x1 conv on the single channel, initialised to scale 1e-3 and bias 0 like
    SiamFC's output scaling) brings the raw correlation to logit range. Returns
    ``(score, None)``: ``score`` is a (B, 1, S, S) logit map. :class:`~siamtrack.modeling.SiamRPN`
    returns it as ``{"score": ...}`` from ``track`` and trains it with a balanced logistic loss on
    a centre-radius label map (cells within ``SIAMFC_RADIUS`` pixels of the target centre).
    """

    produces_boxes = False

    @configurable
    def __init__(self, *, num_levels, init_scale=1e-3):
        """
        Args:
            num_levels: number of feature levels averaged.
            init_scale: initial weight of the output adjust.
        """
        super().__init__()
        self.num_levels = num_levels
        self.adjust = nn.Conv2d(1, 1, 1)
        nn.init.constant_(self.adjust.weight, init_scale)
        nn.init.zeros_(self.adjust.bias)

    @classmethod
    def from_config(cls, cfg, in_channels):
        return {"num_levels": len(in_channels)}

    def forward(self, z_feats, x_feats):
        """``(score, None)`` with ``score`` of shape (B, 1, S, S)."""
        responses = [xcorr_plain(x, z) for z, x in zip(z_feats, x_feats)]
        return self.adjust(_accumulate(responses) / len(responses)), None


def build_siam_head(cfg, in_channels):
    """Build ``cfg.MODEL.SIAM_HEAD.NAME`` from :data:`SIAM_HEAD_REGISTRY` for levels ``in_channels``."""
    return SIAM_HEAD_REGISTRY.get(cfg.MODEL.SIAM_HEAD.NAME)(cfg, list(in_channels))
