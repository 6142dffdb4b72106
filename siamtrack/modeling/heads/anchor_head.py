"""Anchor heads (SiamRPN family): anchor targets, losses and box decoding shared by every head
whose ``track`` returns ``{"cls": (B, 2k, S, S), "loc": (B, 4k, S, S)}`` in pysot's layout."""
import torch

from ...structures.boxes import cxcywh_to_xyxy
from ...structures.upload import upload
from ..box_coder import AnchorBoxCoder
from ..losses import AnchorLoss
from ..targets import SiamAnchorTargets
from .base import SiamHead


def anchor_head_args(cfg):
    """The :class:`AnchorHead` constructor arguments of a config (``MODEL.SIAM_ANCHOR``,
    ``MODEL.SIAM_RPN``), for the heads' ``from_config``."""
    rpn = cfg.MODEL.SIAM_RPN
    return {
        "box_coder": AnchorBoxCoder(cfg),
        "targets": SiamAnchorTargets(rpn.IOU_THRESHOLDS, rpn.BATCH_SIZE_PER_PAIR, rpn.POSITIVE_FRACTION,
                                     rpn.NEGATIVE_PAIR_NUM, cfg.MODEL.SIAM_ANCHOR.STRIDE),
        "loss": AnchorLoss(rpn.LOSS_TYPE, rpn.CLS_WEIGHT, rpn.LOC_WEIGHT, rpn.SMOOTH_L1_BETA),
    }


class AnchorHead(SiamHead):
    """Base of the RPN heads: k anchors per score-map cell (:attr:`box_coder`), their training
    targets (:attr:`targets`, detectron2's Matcher / subsample_labels / Box2BoxTransform) and
    loss (:attr:`loss`). Subclasses implement ``template`` / ``track`` only."""

    def __init__(self, *, box_coder, targets, loss):
        """
        Args:
            box_coder (AnchorBoxCoder): anchors and the decoder of the outputs.
            targets (SiamAnchorTargets): labels anchors of a training pair.
            loss (AnchorLoss): the weighted classification + localisation loss.
        """
        super().__init__()
        self.box_coder = box_coder
        self.targets = targets
        self.loss = loss

    @property
    def num_anchors(self):
        """Anchors per score-map cell (k)."""
        return self.box_coder.num_anchors

    def losses(self, outputs, gt_boxes, negatives, search_size):
        """``{"loss_cls", "loss_loc"}`` (weighted) of ``{"cls", "loc"}`` against anchor targets.

        The targets are built on the CPU (``gt_boxes`` on any device) and moved to the outputs'
        device once: per pair on a GPU they cost about 140 host syncs per 28-pair step."""
        cls, loc = outputs["cls"], outputs["loc"]
        size = cls.shape[-1]
        anchors_xyxy = cxcywh_to_xyxy(torch.tensor(self.box_coder.anchors(size, search_size)))
        gt_boxes = gt_boxes.to("cpu", torch.float32)
        per_pair = [self.targets(anchors_xyxy, self.num_anchors, size, search_size, box, bool(negative))
                    for box, negative in zip(gt_boxes, negatives)]
        labels, deltas, weights = (upload(torch.stack(parts), cls.device) for parts in zip(*per_pair))
        return self.loss(cls, loc, labels, deltas, weights)

    def decode(self, outputs, search_size):
        """Scores and boxes per anchor, float32 tensors on the outputs' device.

        ``"scores"`` (N, A) foreground probabilities, ``"boxes"`` (N, A, 4) x1, y1, x2, y2 in
        search-crop pixels, ``"centered"`` (N, A, 4) cx, cy, w, h relative to the crop centre
        (pixel ``search_size // 2``, the tracker's convention); flat anchor index
        ``a*S*S + y*S + x``. Computed by :class:`AnchorBoxCoder`, as the trackers do.
        """
        device = outputs["cls"].device
        scores = torch.from_numpy(self.box_coder.scores(outputs["cls"])).to(device)
        centered = torch.from_numpy(self.box_coder.decode(outputs["loc"])).permute(0, 2, 1).to(device)
        boxes = cxcywh_to_xyxy(centered) + float(search_size // 2)
        return {"scores": scores, "boxes": boxes, "centered": centered}
