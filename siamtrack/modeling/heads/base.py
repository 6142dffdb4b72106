"""The head interface and registry.

A Siamese head owns everything after the (shared) backbone and neck: the correlation of
template and search features, its training targets and losses, and the decoding of its outputs.
So the meta-architecture (:class:`~siamtrack.modeling.SiamRPN`) never asks which head it has.

For tracking the correlation is split in two: ``kernels = head.template(z_feats)`` runs what
depends on the template only and ``head.track(x_feats, kernels)`` the rest; ``head(z, x)`` is
``head.track(x, head.template(z))``. ``kernels`` is a nest of dicts / lists of tensors whose dim 0
is the batch, so per-sample kernels concatenated along dim 0 are the kernels of the batch.
Module names equal pysot's so checkpoints load by name.
"""
import torch
import torch.nn as nn
from detectron2.utils.registry import Registry

SIAM_HEAD_REGISTRY = Registry("SIAM_HEAD")
SIAM_HEAD_REGISTRY.__doc__ = """
Registry for Siamese heads. Each is called as ``Head(cfg, in_channels)`` where ``in_channels``
lists the channels of the feature levels it receives (after the neck). Heads subclass
:class:`SiamHead`.
"""


class SiamHead(nn.Module):
    """Base of the heads. Subclasses implement:

    * :meth:`template` / :meth:`track`: the correlation, split as the module doc says;
      ``track`` returns a dict of raw maps (``{"cls", "loc"}`` for the anchor heads,
      ``{"score"}`` for SiamFC), which ``SiamRPN.track`` returns as it is;
    * :meth:`losses`: the training losses of those maps for a batch of pairs;
    * :meth:`decode`: scores (and boxes, for heads that regress them) of those maps.
    """

    def template(self, z_feats):
        """Template-only part of the head (kernels, see the module doc) for ``z_feats``."""
        raise NotImplementedError

    def track(self, x_feats, kernels):
        """Dict of raw maps for search features ``x_feats`` against :meth:`template`'s ``kernels``."""
        raise NotImplementedError

    def forward(self, z_feats, x_feats):
        """Raw maps of template / search features (training path: nothing is cached)."""
        return self.track(x_feats, self.template(z_feats))

    def losses(self, outputs, gt_boxes, negatives, search_size):
        """Dict of weighted losses of ``outputs`` (:meth:`track`'s dict for a batch of pairs).

        Args:
            gt_boxes: (B, 4) float32 target boxes x1, y1, x2, y2 in search-crop pixels.
            negatives: B bools, True for negative (distractor) pairs.
            search_size: side of the search crops in pixels.
        """
        raise NotImplementedError

    def decode(self, outputs, search_size):
        """Dict of decoded tensors per map cell (at least ``"scores"`` (N, A) in [0, 1])."""
        raise NotImplementedError


def build_siam_head(cfg, in_channels):
    """Build ``cfg.MODEL.SIAM_HEAD.NAME`` from :data:`SIAM_HEAD_REGISTRY` for levels ``in_channels``."""
    return SIAM_HEAD_REGISTRY.get(cfg.MODEL.SIAM_HEAD.NAME)(cfg, list(in_channels))


def per_sample(module, x):
    """``module`` applied to each sample alone: ATen runs a conv on a small map natively at batch
    1 and with oneDNN at larger batches, which round differently (see :mod:`..xcorr`)."""
    return torch.cat([module(x[i:i + 1]) for i in range(x.size(0))])


def single_level(feats):
    """The single level of a one-element list (tensors pass through)."""
    return feats[0] if isinstance(feats, (list, tuple)) else feats


def accumulate(tensors, weights=None):
    """Sum in list order starting from 0 (the order matters at float32 precision)."""
    total = 0
    for i, t in enumerate(tensors):
        total = total + (t if weights is None else t * weights[i])
    return total
