"""Training targets of a template/search pair (docs/model.md, "Training forward").

Labels use detectron2's :class:`Matcher` on :func:`pairwise_iou` and :func:`subsample_labels`;
regression targets use :class:`Box2BoxTransform` with unit weights, which is exactly pysot's
``dx = (tcx - acx) / aw``, ``dw = ln(tw / aw)``. Anchors are flattened anchor-major
(``a * S * S + y * S + x``), the layout of the ``cls`` / ``loc`` channels.
"""
import math

import torch
from detectron2.layers import nonzero_tuple
from detectron2.modeling.box_regression import Box2BoxTransform
from detectron2.modeling.matcher import Matcher
from detectron2.modeling.sampling import subsample_labels
from detectron2.structures import Boxes, pairwise_iou

__all__ = ["SiamAnchorTargets", "siamfc_targets"]


class SiamAnchorTargets:
    """Label anchors of one pair as 1 (positive), 0 (negative) or -1 (ignored).

    Positive pair: IoU >= the high threshold is positive, < the low one negative (detectron2's
    Matcher intervals; pysot uses a strict ``> 0.6``, which differs only at IoU exactly 0.6).
    At most ``batch_size_per_pair * positive_fraction`` positives and, independently, at most
    ``batch_size_per_pair - that`` negatives are kept (pysot keeps 16 / 48 regardless of how many
    positives exist, unlike a single detectron2 ``subsample_labels`` call, hence two calls).
    Kept positives get loc weight ``1 / (n_pos + 1e-6)``.

    Negative pair (search crop centred on a distractor): no positives; at most
    ``negative_pair_num`` random anchors of the 7x7-cell window around the distractor's cell
    are negatives; zero loc weights.
    """

    def __init__(self, iou_thresholds, batch_size_per_pair, positive_fraction, negative_pair_num, stride):
        self.matcher = Matcher(list(iou_thresholds), [0, -1, 1], allow_low_quality_matches=False)
        self.box2box = Box2BoxTransform(weights=(1.0, 1.0, 1.0, 1.0))
        self.num_pos = int(batch_size_per_pair * positive_fraction)
        self.num_neg = batch_size_per_pair - self.num_pos
        self.positive_fraction = positive_fraction
        self.batch_size_per_pair = batch_size_per_pair
        self.negative_pair_num = negative_pair_num
        self.stride = stride

    def __call__(self, anchors_xyxy, num_anchors, size, search_size, gt_box, negative):
        """Targets of one pair.

        Args:
            anchors_xyxy: (k*S*S, 4) training anchors (corners, search-crop pixels).
            num_anchors, size: k and S.
            search_size: side of the search crop (pixels).
            gt_box: (4,) target box x1, y1, x2, y2 in search-crop pixels.
            negative: whether the pair is a negative (distractor) pair.

        Returns:
            labels (A,) int64 in {-1, 0, 1}, deltas (A, 4) float32, loc_weights (A,) float32.
        """
        num = anchors_xyxy.shape[0]
        device = anchors_xyxy.device
        labels = torch.full((num,), -1, dtype=torch.int64, device=device)
        weights = torch.zeros(num, dtype=torch.float32, device=device)
        gt_box = gt_box.to(device=device, dtype=torch.float32)
        deltas = self.box2box.get_deltas(anchors_xyxy, gt_box.expand(num, 4))
        if negative:
            labels[self._distractor_negatives(num_anchors, size, search_size, gt_box, device)] = 0
            return labels, torch.zeros_like(deltas), weights

        iou = pairwise_iou(Boxes(gt_box[None]), Boxes(anchors_xyxy))
        _, match_labels = self.matcher(iou)
        pos_idx, _ = subsample_labels(match_labels, self.batch_size_per_pair, self.positive_fraction, 0)
        neg_only = match_labels.clone()
        neg_only[match_labels == 1] = -1
        _, neg_idx = subsample_labels(neg_only, self.num_neg, self.positive_fraction, 0)
        labels[pos_idx] = 1
        weights[pos_idx] = 1.0 / (pos_idx.numel() + 1e-6)
        labels[neg_idx] = 0
        return labels, deltas, weights

    def _distractor_negatives(self, num_anchors, size, search_size, gt_box, device):
        """Indices of at most ``negative_pair_num`` anchors of the 7x7 window at the distractor."""
        tcx = float(gt_box[0] + gt_box[2]) / 2
        tcy = float(gt_box[1] + gt_box[3]) / 2
        cx = size // 2 + int(math.ceil((tcx - search_size // 2) / self.stride + 0.5))
        cy = size // 2 + int(math.ceil((tcy - search_size // 2) / self.stride + 0.5))
        window = torch.zeros((num_anchors, size, size), dtype=torch.bool, device=device)
        window[:, max(0, cy - 3):min(size, cy + 4), max(0, cx - 3):min(size, cx + 4)] = True
        candidates = nonzero_tuple(window.flatten())[0]
        if candidates.numel() > self.negative_pair_num:
            perm = torch.randperm(candidates.numel(), device=device)[: self.negative_pair_num]
            candidates = candidates[perm]
        return candidates


def siamfc_targets(size, stride, search_size, gt_box, negative, radius):
    """SiamFC label map of one pair: (S*S,) float labels and (S*S,) balanced weights.

    Cells whose centre (``search_size // 2 + (i - S // 2) * stride``) lies within ``radius``
    pixels of the target centre are positive; a negative pair has no positive. Positives and
    negatives each carry half of the total weight.
    """
    offsets = search_size // 2 + (torch.arange(size, dtype=torch.float32) - size // 2) * stride
    ys, xs = torch.meshgrid(offsets, offsets, indexing="ij")
    gt_box = gt_box.float().cpu()
    tcx, tcy = (gt_box[0] + gt_box[2]) / 2, (gt_box[1] + gt_box[3]) / 2
    labels = ((xs - tcx) ** 2 + (ys - tcy) ** 2 <= radius ** 2).flatten().float()
    if negative:
        labels.zero_()
    n_pos = labels.sum()
    n_neg = labels.numel() - n_pos
    weights = torch.where(labels > 0, 0.5 / n_pos.clamp(min=1), 0.5 / n_neg.clamp(min=1))
    if n_pos == 0:
        weights = weights * 2  # all weight on negatives
    return labels, weights
