"""pysot's RPN heads: depthwise (SiamRPN++), up-channel (SiamRPN) and multi-level (docs/model.md,
"Heads"). Each returns ``{"cls": (B, 2k, S, S), "loc": (B, 4k, S, S)}``: ``cls`` class-major
([bg x k, fg x k]), ``loc`` coordinate-major ([dx x k, dy x k, dw x k, dh x k])."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from detectron2.config import configurable

from ..xcorr import xcorr_up_channel
from .anchor_head import AnchorHead, anchor_head_args
from .base import SIAM_HEAD_REGISTRY, per_sample, single_level


def xcorr_depthwise(x, kernel):
    """Channel-by-channel correlation (pysot's ``xcorr_depthwise``): (B,C,H,W) * (B,C,h,w) ->
    (B,C,H-h+1,W-w+1), one grouped conv with a group per (sample, channel), no padding, stride 1,
    kernel not flipped. Batch-invariant on the CPU as it is (see :mod:`..xcorr`)."""
    batch, channels = kernel.shape[:2]
    out = F.conv2d(x.reshape(1, batch * channels, x.size(2), x.size(3)),
                   kernel.reshape(batch * channels, 1, kernel.size(2), kernel.size(3)),
                   groups=batch * channels)
    return out.view(batch, channels, out.size(2), out.size(3))


def _one_level(name, in_channels):
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

    def template(self, z):
        """Correlation kernel of template features ``z``: (B,C,7,7) -> (B,hidden,5,5)."""
        return self.conv_kernel(z)

    def track(self, x, kernel):
        """Correlate search ``x`` with a :meth:`template` kernel: (B,C,31,31) -> (B,O,25,25)."""
        return self.head(xcorr_depthwise(self.conv_search(x), kernel))

    def forward(self, z, x):
        """Correlate template ``z`` with search ``x``: (B,C,7,7),(B,C,31,31) -> (B,O,25,25)."""
        return self.track(x, self.template(z))


class DepthwiseRPN(nn.Module):
    """One level of :class:`MultiRPNHead` (pysot ``DepthwiseRPN``): ``cls`` and ``loc``
    :class:`DepthwiseXCorr` branches; no targets or losses of its own."""

    def __init__(self, num_anchors, in_channels, hidden_channels):
        super().__init__()
        self.cls = DepthwiseXCorr(in_channels, hidden_channels, 2 * num_anchors)
        self.loc = DepthwiseXCorr(in_channels, hidden_channels, 4 * num_anchors)

    def template(self, z):
        """``{"cls", "loc"}`` correlation kernels of template features ``z``."""
        return {"cls": self.cls.template(z), "loc": self.loc.template(z)}

    def track(self, x, kernels):
        """``{"cls", "loc"}`` maps of search features ``x``."""
        return {"cls": self.cls.track(x, kernels["cls"]), "loc": self.loc.track(x, kernels["loc"])}

    def forward(self, z, x):
        """``{"cls", "loc"}`` maps of template ``z`` and search ``x`` features."""
        return self.track(x, self.template(z))


@SIAM_HEAD_REGISTRY.register()
class DepthwiseRPNHead(AnchorHead):
    """pysot ``DepthwiseRPN``: ``cls`` and ``loc`` :class:`DepthwiseXCorr` on one feature level."""

    @configurable
    def __init__(self, *, in_channels, hidden_channels, **anchor_args):
        """
        Args:
            in_channels: channels of the (single) input level.
            hidden_channels: channels after ``conv_kernel`` / ``conv_search``.
            anchor_args: ``box_coder``, ``targets``, ``loss`` (:class:`AnchorHead`).
        """
        super().__init__(**anchor_args)
        self.cls = DepthwiseXCorr(in_channels, hidden_channels, 2 * self.num_anchors)
        self.loc = DepthwiseXCorr(in_channels, hidden_channels, 4 * self.num_anchors)

    @classmethod
    def from_config(cls, cfg, in_channels):
        """Constructor arguments from a config and the neck's channel counts."""
        return {"in_channels": _one_level("DepthwiseRPNHead", in_channels),
                "hidden_channels": cfg.MODEL.SIAM_HEAD.HIDDEN_CHANNELS, **anchor_head_args(cfg)}

    def template(self, z_feats):
        """``{"cls", "loc"}`` correlation kernels of one level (one-element list or tensor)."""
        z = single_level(z_feats)
        return {"cls": self.cls.template(z), "loc": self.loc.template(z)}

    def track(self, x_feats, kernels):
        """``{"cls", "loc"}`` maps of one level; accepts a one-element list or a tensor."""
        x = single_level(x_feats)
        return {"cls": self.cls.track(x, kernels["cls"]), "loc": self.loc.track(x, kernels["loc"])}


@SIAM_HEAD_REGISTRY.register()
class UpChannelRPNHead(AnchorHead):
    """pysot ``UPChannelRPN`` (SiamRPN's "up-channel" correlation); all convs have bias, no BN."""

    @configurable
    def __init__(self, *, in_channels, hidden_channels, **anchor_args):
        """
        Args:
            in_channels: channels of the (single) input level (256 in pysot).
            hidden_channels: channels that are correlated: the search convs' outputs and the
                template kernels' depth (equal to ``in_channels`` in pysot and the official
                DaSiamRPN models; ``cv2.TrackerDaSiamRPN`` fixes it at 256).
            anchor_args: ``box_coder``, ``targets``, ``loss`` (:class:`AnchorHead`).
        """
        super().__init__(**anchor_args)
        c, h, k = in_channels, hidden_channels, self.num_anchors
        self.template_cls_conv = nn.Conv2d(c, h * 2 * k, 3)
        self.template_loc_conv = nn.Conv2d(c, h * 4 * k, 3)
        self.search_cls_conv = nn.Conv2d(c, h, 3)
        self.search_loc_conv = nn.Conv2d(c, h, 3)
        self.loc_adjust = nn.Conv2d(4 * k, 4 * k, 1)
        # Training from scratch: each correlation output sums H x 4 x 4 products of two
        # default-initialised convs' outputs, so its scale grows with sqrt(H * 16) (logit std ~20
        # at H = 256) and the losses saturate; shrinking the template convs by that factor starts
        # the logits near unit scale (docs/model.md, "DaSiamRPN"). Loaded weights replace this.
        with torch.no_grad():
            for conv in (self.template_cls_conv, self.template_loc_conv):
                conv.weight.mul_(1.0 / (h * 16) ** 0.5)
                conv.bias.mul_(1.0 / (h * 16) ** 0.5)

    @classmethod
    def from_config(cls, cfg, in_channels):
        """Constructor arguments from a config and the neck's channel counts."""
        return {"in_channels": _one_level("UpChannelRPNHead", in_channels),
                "hidden_channels": cfg.MODEL.SIAM_HEAD.HIDDEN_CHANNELS, **anchor_head_args(cfg)}

    def template(self, z_feats):
        """``{"cls", "loc"}`` up-channel kernels (B, C*2k / C*4k, h, w) of one level."""
        z = single_level(z_feats)
        return {"cls": self.template_cls_conv(z), "loc": self.template_loc_conv(z)}

    def track(self, x_feats, kernels):
        """``{"cls", "loc"}`` maps from up-channel correlations of one level."""
        x = single_level(x_feats)
        cls = xcorr_up_channel(self.search_cls_conv(x), kernels["cls"])
        loc = per_sample(self.loc_adjust, xcorr_up_channel(self.search_loc_conv(x), kernels["loc"]))
        return {"cls": cls, "loc": loc}


@SIAM_HEAD_REGISTRY.register()
class MultiRPNHead(AnchorHead):
    """pysot ``MultiRPN``: one :class:`DepthwiseRPN` per level (``rpn2``, ``rpn3``, ...).

    Level outputs are fused by softmax(``cls_weight``) / softmax(``loc_weight``) when weighted,
    otherwise by their plain mean; sums accumulate in level order.
    """

    @configurable
    def __init__(self, *, in_channels, weighted, **anchor_args):
        """
        Args:
            in_channels: channels per level; each level's hidden size equals its input size.
            weighted: learn softmax fusion weights (``cls_weight``, ``loc_weight``).
            anchor_args: ``box_coder``, ``targets``, ``loss`` (:class:`AnchorHead`).
        """
        super().__init__(**anchor_args)
        self.num_levels = len(in_channels)
        for i, c in enumerate(in_channels):
            self.add_module(f"rpn{i + 2}", DepthwiseRPN(self.num_anchors, c, c))
        self.weighted = weighted
        if weighted:
            self.cls_weight = nn.Parameter(torch.ones(self.num_levels))
            self.loc_weight = nn.Parameter(torch.ones(self.num_levels))

    @classmethod
    def from_config(cls, cfg, in_channels):
        """Constructor arguments from a config and the neck's channel counts."""
        return {"in_channels": list(in_channels), "weighted": cfg.MODEL.SIAM_HEAD.WEIGHTED, **anchor_head_args(cfg)}

    def _check_levels(self, feats):
        if len(feats) != self.num_levels:
            raise ValueError(f"MultiRPNHead expects {self.num_levels} levels, got {len(feats)}")

    def template(self, z_feats):
        """One ``{"cls", "loc"}`` kernel dict per level (a list in level order)."""
        self._check_levels(z_feats)
        return [getattr(self, f"rpn{i + 2}").template(z) for i, z in enumerate(z_feats)]

    def track(self, x_feats, kernels):
        """Fused ``{"cls", "loc"}`` over all levels (``kernels`` from :meth:`template`, which checks
        the level count): summed in level order from 0, as pysot (the order matters in float32)."""
        if self.weighted:
            cls_weight, loc_weight = F.softmax(self.cls_weight, 0), F.softmax(self.loc_weight, 0)
        cls = loc = 0
        for i, (x, k) in enumerate(zip(x_feats, kernels)):
            out = getattr(self, f"rpn{i + 2}").track(x, k)
            cls = cls + (out["cls"] * cls_weight[i] if self.weighted else out["cls"])
            loc = loc + (out["loc"] * loc_weight[i] if self.weighted else out["loc"])
        if not self.weighted:
            return {"cls": cls / self.num_levels, "loc": loc / self.num_levels}
        return {"cls": cls, "loc": loc}
