"""How SiamMask's mask branch trains (docs/training.md, "SiamMask"): the two stages of the
SiamMask paper, and the loss of a batch of pairs.

* stage ``mask``: the whole model as SiamRPN++ trains it (backbone as the schedule says), plus
  the mask head's 63 x 63 logits at the positive positions, loss weight ``LOSS_WEIGHT``;
* stage ``refine``: only the refine module trains (neck and heads frozen, BatchNorm in eval
  mode; keep the backbone frozen with ``SOLVER.SIAM.BACKBONE_TRAIN_EPOCH``), on its 127 x 127
  logits; the loss is ``loss_mask`` alone.
"""
import torch
from detectron2.config import configurable

from ..structures.boxes import cxcywh_to_xyxy
from .heads.mask import MASK_SIZE, refine_crops
from .losses import one_of
from .mask_targets import mask_iou, mask_loss, mask_targets, positive_positions

__all__ = ["MaskTraining", "STAGES"]

STAGES = ("mask", "refine")
_FROZEN_IN_REFINE = ("neck", "rpn_head", "mask_head")


class MaskTraining:
    """Stage, loss weight and targets of SiamMask's mask training (see the module doc)."""

    @configurable
    def __init__(self, stage="mask", loss_weight=32.0, positions_per_pair=8, iou_threshold=0.6, stride=8,
                 offset=8, mask_side=63):
        """
        Args:
            stage: "mask" or "refine".
            loss_weight: weight of ``loss_mask`` against the RPN's losses (the paper's 32).
            positions_per_pair: at most this many positive positions (the best-overlapping) per pair.
            iou_threshold: a position is positive when an anchor overlaps the target this much.
            stride, offset: the score map's stride and pysot's ``TRACK.BASE_SIZE`` (the windows).
            mask_side: side of the mask head's prediction (63).
        """
        self.stage = one_of("MODEL.SIAM_MASK.TRAIN_STAGE", stage, STAGES)
        self.loss_weight = float(loss_weight)
        self.positions_per_pair = int(positions_per_pair)
        self.iou_threshold = float(iou_threshold)
        self.stride, self.offset, self.mask_side = int(stride), int(offset), int(mask_side)

    @classmethod
    def from_config(cls, cfg):
        """Constructor arguments (detectron2 ``@configurable``: ``MaskTraining(cfg)``) from
        ``MODEL.SIAM_MASK`` (TRAIN_STAGE, LOSS_WEIGHT, POSITIONS_PER_PAIR, OUT_SIZE), the RPN's
        positive IoU, the anchor stride and ``TRACK.SCORE_SIZE_OFFSET``."""
        mask = cfg.MODEL.SIAM_MASK
        return {"stage": mask.TRAIN_STAGE, "loss_weight": mask.LOSS_WEIGHT, "positions_per_pair": mask.POSITIONS_PER_PAIR,
                "iou_threshold": cfg.MODEL.SIAM_RPN.IOU_THRESHOLDS[-1], "stride": cfg.MODEL.SIAM_ANCHOR.STRIDE,
                "offset": cfg.TRACK.SCORE_SIZE_OFFSET, "mask_side": mask.OUT_SIZE}

    def freeze(self, model):
        """In the refine stage, stop the gradients of the neck and the heads."""
        if self.stage == "refine":
            for name in _FROZEN_IN_REFINE:
                if getattr(model, name, None) is not None:
                    getattr(model, name).requires_grad_(False)

    def keep_frozen_in_eval(self, model):
        """In the refine stage, the frozen modules' BatchNorm stays in eval mode."""
        if self.stage == "refine":
            for name in _FROZEN_IN_REFINE:
                if getattr(model, name, None) is not None:
                    getattr(model, name).eval()

    def losses(self, model, batched_inputs):
        """The loss dict of a batch of training pairs (see the module doc)."""
        z_feats, refine_maps, x_feats, gt_boxes, negatives = _forward_pairs(model, batched_inputs)
        losses = {}
        if self.stage == "mask":
            outputs = model.rpn_head(z_feats, x_feats)
            losses = model.rpn_head.losses(outputs, gt_boxes, negatives, int(batched_inputs[0]["search"].shape[-1]))
        logits, targets = self.predictions(model, batched_inputs, z_feats, refine_maps, x_feats, gt_boxes, negatives)
        with_masks = sum(d.get("search_mask") is not None and not n for d, n in zip(batched_inputs, negatives))
        losses["loss_mask"] = self.loss_weight * mask_loss(logits, targets, with_masks)
        return losses

    def predictions(self, model, batched_inputs, z_feats, refine_maps, x_feats, gt_boxes, negatives):
        """``(logits (P, side*side), 0/1 targets)`` at the positive positions of the pairs that
        have a mask (the stage's prediction: the mask head's, or the refine module's)."""
        kernel = model.mask_head.template(z_feats[0])
        corr = model.mask_head.correlation(x_feats[0], kernel)
        if self.stage == "mask":  # all but the last 1x1 conv on the whole map (its BatchNorm's batch)
            hidden = model.mask_head.head[:-1](corr)
        size, search_size = corr.shape[-1], int(batched_inputs[0]["search"].shape[-1])
        anchors = cxcywh_to_xyxy(torch.tensor(model.rpn_head.box_coder.anchors(size, search_size)))
        positions = []
        for b, d in enumerate(batched_inputs):
            if d.get("search_mask") is not None and not negatives[b]:
                found = positive_positions(anchors, model.rpn_head.num_anchors, size, gt_boxes[b],
                                           self.iou_threshold, self.positions_per_pair)
                positions += [(b, y, x) for y, x in found]
        masks = torch.stack([torch.as_tensor(d["search_mask"]) if d.get("search_mask") is not None
                             else torch.zeros(tuple(d["search"].shape[-2:])) for d in batched_inputs]).to(corr.device)
        if not positions:
            side = self.mask_side if self.stage == "mask" else MASK_SIZE
            return corr.new_zeros((0, side * side)) + corr.sum() * 0, corr.new_zeros((0, side * side))
        if self.stage == "mask":  # the last conv only where it is used: the positive positions
            last = model.mask_head.head[-1]
            picked = torch.stack([hidden[b, :, y, x] for b, y, x in positions])
            logits = torch.nn.functional.linear(picked, last.weight.flatten(1), last.bias)
            side = self.mask_side
        else:
            crops = [refine_crops(*(refine_maps[n][b:b + 1] for n in ("stem", "layer1", "layer2")), corr[b:b + 1], (y, x))
                     for b, y, x in positions]
            logits = model.refine_head(*(torch.cat(parts) for parts in zip(*crops)))
            side = MASK_SIZE
        return logits, mask_targets(masks, positions, self.stride, self.offset, side)

    @torch.no_grad()
    def evaluate_iou(self, model, batched_inputs):
        """Mean mask IoU of the stage's predictions at the positive positions of the pairs."""
        return mask_iou(*self.predictions(model, batched_inputs, *_forward_pairs(model, batched_inputs)))


def _forward_pairs(model, batched_inputs):
    """Template and search features of a batch of pairs, their target boxes and negative flags."""
    templates, searches = model._stack(batched_inputs)
    z_feats = model.features(templates)
    refine_maps, x_feats = model.split_features(searches)
    gt_boxes = torch.stack([torch.as_tensor(d["search_box"], dtype=torch.float32) for d in batched_inputs])
    return z_feats, refine_maps, x_feats, gt_boxes, [bool(d["negative"]) for d in batched_inputs]
