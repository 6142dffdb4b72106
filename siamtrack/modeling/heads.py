"""Siamese heads (SIAMRPN.md §3.3-3.5) and their registry.

Every head is called as ``head(z_feats, x_feats)`` with lists of template / search feature
tensors (one per level) and returns ``(cls, loc)``: ``cls`` (B, 2k, S, S) class-major
([bg x k, fg x k]) and ``loc`` (B, 4k, S, S) coordinate-major ([dx x k, dy x k, dw x k, dh x k]).
:class:`SiamFCHead` is the exception: it returns ``(score, None)`` with a (B, 1, S, S) logit
map (see its docstring). Module names equal pysot's so checkpoints load by name.

For tracking, the call is split in two: ``kernels = head.template(z_feats)`` runs everything
that depends on the template only (the template-side convs of each branch) and
``head.track(x_feats, kernels)`` the rest; ``head(z, x)`` is ``head.track(x, head.template(z))``.
``kernels`` is a nest of dicts / lists of tensors whose dim 0 is the batch, so per-sample
kernels concatenated along dim 0 are the kernels of the batch.
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
lists the channels of the feature levels it receives (after the neck). Heads subclass
:class:`SiamHead` (``template`` / ``track``) so that tracking runs the template branch once.
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


class SiamHead(nn.Module):
    """Base of the heads: ``forward(z_feats, x_feats)`` is ``track(x_feats, template(z_feats))``.

    Subclasses implement :meth:`template` and :meth:`track`.
    """

    def template(self, z_feats):
        """Template-only part of the head (kernels, see the module doc) for ``z_feats``."""
        raise NotImplementedError

    def track(self, x_feats, kernels):
        """Head outputs for search features ``x_feats`` against :meth:`template`'s ``kernels``."""
        raise NotImplementedError

    def forward(self, z_feats, x_feats):
        """Head outputs of template / search features (training path: nothing is cached)."""
        return self.track(x_feats, self.template(z_feats))


def _per_sample(module, x):
    """``module`` applied to each sample alone: ATen runs a conv on a small map natively at batch
    1 and with oneDNN at larger batches, which round differently (see :mod:`.xcorr`)."""
    return torch.cat([module(x[i:i + 1]) for i in range(x.size(0))])


def _level(feats):
    """The single level of a one-element list (tensors pass through)."""
    return feats[0] if isinstance(feats, (list, tuple)) else feats


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


@SIAM_HEAD_REGISTRY.register()
class DepthwiseRPNHead(SiamHead):
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
        """Constructor arguments from a config and the neck's channel counts."""
        return {"num_anchors": _num_anchors(cfg), "in_channels": _single_level("DepthwiseRPNHead", in_channels),
                "hidden_channels": cfg.MODEL.SIAM_HEAD.HIDDEN_CHANNELS}

    def template(self, z_feats):
        """``{"cls", "loc"}`` correlation kernels of one level (one-element list or tensor)."""
        z = _level(z_feats)
        return {"cls": self.cls.template(z), "loc": self.loc.template(z)}

    def track(self, x_feats, kernels):
        """``(cls, loc)`` for one level; accepts a one-element list or a tensor."""
        x = _level(x_feats)
        return self.cls.track(x, kernels["cls"]), self.loc.track(x, kernels["loc"])


@SIAM_HEAD_REGISTRY.register()
class UpChannelRPNHead(SiamHead):
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
        """Constructor arguments from a config and the neck's channel counts."""
        return {"num_anchors": _num_anchors(cfg), "in_channels": _single_level("UpChannelRPNHead", in_channels)}

    def template(self, z_feats):
        """``{"cls", "loc"}`` up-channel kernels (B, C*2k / C*4k, h, w) of one level."""
        z = _level(z_feats)
        return {"cls": self.template_cls_conv(z), "loc": self.template_loc_conv(z)}

    def track(self, x_feats, kernels):
        """``(cls, loc)`` from up-channel correlations of one level."""
        x = _level(x_feats)
        cls = xcorr_up_channel(self.search_cls_conv(x), kernels["cls"])
        loc = _per_sample(self.loc_adjust, xcorr_up_channel(self.search_loc_conv(x), kernels["loc"]))
        return cls, loc


@SIAM_HEAD_REGISTRY.register()
class MultiRPNHead(SiamHead):
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
        """Constructor arguments from a config and the neck's channel counts."""
        return {"num_anchors": _num_anchors(cfg), "in_channels": list(in_channels),
                "weighted": cfg.MODEL.SIAM_HEAD.WEIGHTED}

    def _check_levels(self, feats):
        if len(feats) != self.num_levels:
            raise ValueError(f"MultiRPNHead expects {self.num_levels} levels, got {len(feats)}")

    def template(self, z_feats):
        """One ``{"cls", "loc"}`` kernel dict per level (a list in level order)."""
        self._check_levels(z_feats)
        return [getattr(self, f"rpn{i + 2}").template(z) for i, z in enumerate(z_feats)]

    def track(self, x_feats, kernels):
        """Fused ``(cls, loc)`` over all levels."""
        self._check_levels(x_feats)
        self._check_levels(kernels)
        outs = [getattr(self, f"rpn{i + 2}").track(x, k) for i, (x, k) in enumerate(zip(x_feats, kernels))]
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
class SiamFCHead(SiamHead):
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
        """Constructor arguments from a config and the neck's channel counts."""
        return {"num_levels": len(in_channels)}

    def template(self, z_feats):
        """The template features themselves (the plain correlation has no template branch)."""
        return list(z_feats)

    def track(self, x_feats, kernels):
        """``(score, None)`` with ``score`` of shape (B, 1, S, S)."""
        responses = [xcorr_plain(x, z) for z, x in zip(kernels, x_feats)]
        return _per_sample(self.adjust, _accumulate(responses) / len(responses)), None


def build_siam_head(cfg, in_channels):
    """Build ``cfg.MODEL.SIAM_HEAD.NAME`` from :data:`SIAM_HEAD_REGISTRY` for levels ``in_channels``."""
    return SIAM_HEAD_REGISTRY.get(cfg.MODEL.SIAM_HEAD.NAME)(cfg, list(in_channels))
