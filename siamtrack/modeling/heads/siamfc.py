"""SiamFC head (Bertinetto et al. 2016): plain cross-correlation to one response map, trained
with a balanced logistic loss on a centre-radius label map (docs/model.md, "SiamFC head")."""
import torch
import torch.nn as nn
from detectron2.config import configurable

from ...structures.upload import upload
from ..losses import siamfc_loss
from ..targets import siamfc_targets
from ..xcorr import xcorr_plain
from .base import SIAM_HEAD_REGISTRY, SiamHead, accumulate, per_sample


@SIAM_HEAD_REGISTRY.register()
class SiamFCHead(SiamHead):
    """SiamFC baseline: template features correlated with search features, summed over channels.

    One response map per level (the mean is taken over levels), each divided by the number of
    template elements C*h*w it sums (a mean product rather than SiamFC's sum: the same map up to
    a constant, but it keeps the learnable affine ``adjust`` well conditioned, where a raw sum of
    thousands of products makes SGD on its scale diverge). ``adjust`` (a 1x1 conv on the single
    channel, SiamFC's learnable output scaling and bias; initialised to scale 1, bias 0) brings the
    response to logit range. ``track`` returns ``{"score": (B, 1, S, S)}`` logits; cells are
    ``stride`` search-crop pixels apart, the centre cell on the crop centre.
    """

    @configurable
    def __init__(self, *, num_levels, positive_radius=16, stride=8, init_scale=1.0):
        """
        Args:
            num_levels: number of feature levels averaged.
            positive_radius: training label: cells within this many search-crop pixels of the
                target centre are positive (``MODEL.SIAM_FC.POSITIVE_RADIUS``).
            stride: cell spacing in search-crop pixels (``MODEL.SIAM_FC.STRIDE``).
            init_scale: initial weight of the output adjust.
        """
        super().__init__()
        self.num_levels = num_levels
        self.positive_radius = float(positive_radius)
        self.stride = int(stride)
        self.adjust = nn.Conv2d(1, 1, 1)
        nn.init.constant_(self.adjust.weight, init_scale)
        nn.init.zeros_(self.adjust.bias)

    @classmethod
    def from_config(cls, cfg, in_channels):
        """Constructor arguments from a config (``MODEL.SIAM_FC``) and the neck's channel counts."""
        return {"num_levels": len(in_channels), "positive_radius": cfg.MODEL.SIAM_FC.POSITIVE_RADIUS,
                "stride": cfg.MODEL.SIAM_FC.STRIDE}

    def template(self, z_feats):
        """The template features themselves (the plain correlation has no template branch)."""
        return list(z_feats)

    def track(self, x_feats, kernels):
        """``{"score": (B, 1, S, S)}`` response logits."""
        responses = [xcorr_plain(x, z) / (z.shape[1] * z.shape[2] * z.shape[3]) for z, x in zip(kernels, x_feats)]
        return {"score": per_sample(self.adjust, accumulate(responses) / len(responses))}

    def losses(self, outputs, gt_boxes, negatives, search_size):
        """``{"loss_cls"}``: the balanced logistic loss against centre-radius label maps."""
        score = outputs["score"]
        targets = [siamfc_targets(score.shape[-1], self.stride, search_size, box, bool(negative),
                                  self.positive_radius)
                   for box, negative in zip(gt_boxes, negatives)]
        labels = upload(torch.stack([t[0] for t in targets]), score.device)
        weights = upload(torch.stack([t[1] for t in targets]), score.device)
        return {"loss_cls": siamfc_loss(score, labels, weights)}

    def decode(self, outputs, search_size):
        """``{"scores": (N, S*S)}``: the sigmoid of the response (no boxes: SiamFC regresses none)."""
        return {"scores": torch.sigmoid(outputs["score"].flatten(1))}
