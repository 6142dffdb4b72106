"""SiamMask's training targets and loss (docs/training.md, "SiamMask").

The SiamMask paper (Wang et al., CVPR 2019) trains the mask branch on the positive positions of
the score map only: a position is positive when one of its anchors overlaps the target box with
IoU at least the RPN's positive threshold. The target of a position is the search crop's mask
inside the 127 x 127 window the tracker pastes that position's mask from (its corner at
``stride * (x - offset / 2)`` crop pixels; docs/tracking.md, "SiamMask"), resampled to the
predicted side (63 for the mask head, 127 for the refine module). The loss is the binary logistic
loss of every pixel, averaged over a position's pixels and summed over the positions (the
paper's), per pair that has a mask.
"""
import torch
import torch.nn.functional as F
from detectron2.structures import Boxes, pairwise_iou
from torchvision.ops import roi_align

__all__ = ["positive_positions", "window_boxes", "mask_targets", "mask_loss", "mask_iou"]

WINDOW = 127  # side of a position's mask window in search-crop pixels (the template side)


def positive_positions(anchors_xyxy, num_anchors, size, gt_box, iou_threshold, limit):
    """(y, x) of the positive positions of one pair, best first, at most ``limit``.

    ``anchors_xyxy`` (k*S*S, 4) are the training anchors (anchor-major), ``gt_box`` the target
    (x1, y1, x2, y2) in search-crop pixels; a position's IoU is its best anchor's.
    """
    iou = pairwise_iou(Boxes(gt_box.reshape(1, 4).to(anchors_xyxy)), Boxes(anchors_xyxy))[0]
    best = iou.reshape(num_anchors, size * size).max(dim=0).values
    order = torch.argsort(best, descending=True)[:limit]
    order = order[best[order] >= iou_threshold]
    return [(int(i) // size, int(i) % size) for i in order]


def window_boxes(positions, stride, offset):
    """(P, 5) ``roi_align`` boxes (sample, x1, y1, x2, y2) of the mask windows of ``positions``
    (``(sample, y, x)`` triples), in search-crop pixels."""
    rows = [[b, stride * (x - offset / 2), stride * (y - offset / 2)] for b, y, x in positions]
    boxes = torch.tensor(rows, dtype=torch.float32).reshape(-1, 3)
    return torch.cat([boxes, boxes[:, 1:] + WINDOW], dim=1)


def mask_targets(search_masks, positions, stride, offset, out_size):
    """Binary targets (P, out_size * out_size) float32 of ``positions`` (``(sample, y, x)``)
    from ``search_masks`` (B, H, W) of 0/1: the window of each position, zero outside the crop,
    bilinearly resampled and binarised at 0.5."""
    boxes = window_boxes(positions, stride, offset).to(search_masks.device)
    sampled = roi_align(search_masks[:, None].float(), boxes, (out_size, out_size), spatial_scale=1.0,
                        sampling_ratio=2, aligned=True)
    return (sampled.reshape(len(positions), -1) >= 0.5).float()


def mask_loss(logits, targets, num_pairs):
    """Binary logistic loss of mask logits (P, N) against 0/1 ``targets``: each position's mean
    over its pixels, summed over the positions (the paper's), divided by ``num_pairs`` (the
    pairs that have a mask) so that it does not grow with the batch; 0, keeping the graph,
    without positions."""
    if logits.numel() == 0:
        return logits.sum() * 0.0
    per_position = F.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean(dim=1)
    return per_position.sum() / max(int(num_pairs), 1)


def mask_iou(logits, targets):
    """Mean IoU over positions of ``logits > 0`` (probability > 0.5) and the 0/1 ``targets``."""
    pred = logits > 0
    truth = targets > 0.5
    inter = (pred & truth).sum(dim=1).float()
    union = (pred | truth).sum(dim=1).float().clamp(min=1)
    return float((inter / union).mean()) if len(logits) else float("nan")
