"""The SiamRPN++ meta-architecture (SIAMRPN.md §3.8): backbone -> neck -> Siamese head.

Submodules are named ``backbone``, ``neck`` (absent without a neck) and ``rpn_head`` so that
``state_dict()`` keys equal pysot's keys exactly.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from detectron2.config import configurable
from detectron2.modeling import META_ARCH_REGISTRY, build_backbone

from .anchors import cxcywh_to_xyxy, generate_base_anchors, tracker_anchor_grid, training_anchor_grid
from .heads import build_siam_head
from .losses import bce_cls_loss, pysot_cls_loss, pysot_loc_loss, siamfc_loss, smooth_l1_loc_loss
from .neck import build_siam_neck
from .state import concat_states, slice_state
from .targets import SiamAnchorTargets, siamfc_targets

__all__ = ["SiamRPN"]

LOSS_TYPES = ("pysot", "bce_smoothl1")
# On one CPU thread ATen runs 1x1 convolutions natively below batch 16 and with oneDNN from 16
# (ConvParams::use_mkldnn), which round differently; track() keeps such batches below 16.
SINGLE_THREAD_CPU_CHUNK = 15


@META_ARCH_REGISTRY.register()
class SiamRPN(nn.Module):
    """Siamese region-proposal tracker network (SiamRPN / SiamRPN++ / SiamFC baseline).

    Inference API (inputs are float BGR 0..255 crops, no normalisation, as pysot):

    * ``state = model.template(z)``: run everything that depends on the template crops z
      (N, 3, 127, 127) only, once: backbone, neck and the head's template branch. ``state`` is
      ``{"kernels": ...}``, the head's kernels (see :mod:`~siamtrack.modeling.heads`): a nest of
      dicts / lists of tensors with the batch on dim 0, so states of single templates
      concatenated along dim 0 are the state of the batch;
    * ``model.track(x, state)`` -> ``{"cls": (N, 2k, S, S), "loc": (N, 4k, S, S)}``, the raw head
      outputs in pysot's layout (cls class-major [bg x k, fg x k], loc coordinate-major) for
      search crops x (N, 3, H, W); a SiamFC head gives ``{"score": (N, 1, S, S)}`` instead. It
      runs the search branch, the correlation and the head only; on the CPU each sample's
      outputs do not depend on the batch size.
    * ``model.decode(outputs, search_size)`` -> foreground scores and decoded boxes per anchor.

    Training: ``model(batched_inputs)`` with dicts holding ``"template"`` (3, 127, 127),
    ``"search"`` (3, 255, 255), ``"search_box"`` ([x1, y1, x2, y2] in search-crop pixels) and
    ``"negative"`` (bool) returns ``{"loss_cls", "loss_loc"}``. In eval mode the same call
    returns one decoded dict per pair (see :meth:`inference`).
    """

    @configurable
    def __init__(self, *, backbone, neck, rpn_head, anchor_stride, anchor_ratios, anchor_scales,
                 targets, loss_type="pysot", cls_weight=1.0, loc_weight=1.2, smooth_l1_beta=1.0 / 9,
                 siamfc_radius=16, pixel_mean=(0.0, 0.0, 0.0), pixel_std=(1.0, 1.0, 1.0)):
        """
        Args:
            backbone: a detectron2 ``Backbone`` returning a dict of features.
            neck: module mapping the list of backbone features to head inputs, or None.
            rpn_head: a head of ``SIAM_HEAD_REGISTRY``.
            anchor_stride, anchor_ratios, anchor_scales: anchor definition (SIAMRPN.md §4.1).
            targets: a :class:`SiamAnchorTargets` labelling anchors of a training pair.
            loss_type: "pysot" (softmax NLL split by class + weighted L1) or "bce_smoothl1".
            cls_weight, loc_weight: loss weights.
            smooth_l1_beta: beta of the smooth-L1 loss ("bce_smoothl1").
            siamfc_radius: positive radius in pixels of SiamFC label maps.
            pixel_mean, pixel_std: input normalisation; the identity (0 / 1) for pysot models.
        """
        super().__init__()
        if loss_type not in LOSS_TYPES:
            raise ValueError(f"MODEL.SIAM_RPN.LOSS_TYPE must be one of {LOSS_TYPES}, got {loss_type!r}")
        self.backbone = backbone
        self.in_features = list(backbone.output_shape().keys())
        self.neck = neck
        self.rpn_head = rpn_head
        self.anchor_stride = anchor_stride
        self.base_anchors = generate_base_anchors(anchor_stride, anchor_ratios, anchor_scales)
        self.num_anchors = self.base_anchors.shape[0]
        self.targets = targets
        self.loss_type = loss_type
        self.cls_weight = cls_weight
        self.loc_weight = loc_weight
        self.smooth_l1_beta = smooth_l1_beta
        self.siamfc_radius = siamfc_radius
        self.produces_boxes = getattr(rpn_head, "produces_boxes", True)
        self._normalize = any(m != 0 for m in pixel_mean) or any(s != 1 for s in pixel_std)
        self.register_buffer("pixel_mean", torch.tensor(pixel_mean, dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer("pixel_std", torch.tensor(pixel_std, dtype=torch.float32).view(-1, 1, 1), False)

    @classmethod
    def from_config(cls, cfg):
        """Constructor arguments from a config (detectron2 ``@configurable``)."""
        backbone = build_backbone(cfg)
        shapes = list(backbone.output_shape().values())
        neck = build_siam_neck(cfg, shapes)
        head_channels = neck.out_channels if neck is not None else [s.channels for s in shapes]
        rcfg, acfg = cfg.MODEL.SIAM_RPN, cfg.MODEL.SIAM_ANCHOR
        return {
            "backbone": backbone,
            "neck": neck,
            "rpn_head": build_siam_head(cfg, head_channels),
            "anchor_stride": acfg.STRIDE,
            "anchor_ratios": list(acfg.RATIOS),
            "anchor_scales": list(acfg.SCALES),
            "targets": SiamAnchorTargets(rcfg.IOU_THRESHOLDS, rcfg.BATCH_SIZE_PER_PAIR, rcfg.POSITIVE_FRACTION,
                                         rcfg.NEGATIVE_PAIR_NUM, acfg.STRIDE),
            "loss_type": rcfg.LOSS_TYPE,
            "cls_weight": rcfg.CLS_WEIGHT,
            "loc_weight": rcfg.LOC_WEIGHT,
            "smooth_l1_beta": rcfg.SMOOTH_L1_BETA,
            "siamfc_radius": cfg.MODEL.SIAM_HEAD.SIAMFC_RADIUS,
            "pixel_mean": list(cfg.MODEL.PIXEL_MEAN),
            "pixel_std": list(cfg.MODEL.PIXEL_STD),
        }

    @property
    def device(self):
        """Device of the model's parameters."""
        return self.pixel_mean.device

    # ----------------------------------------------------------------- inference API
    def features(self, images):
        """Backbone (+ neck) features of a batch of crops, as a list in level order."""
        if self._normalize:
            images = (images - self.pixel_mean) / self.pixel_std
        feats = self.backbone(images)
        feats = [feats[name] for name in self.in_features]
        return self.neck(feats) if self.neck is not None else feats

    def template(self, z):
        """Template state of crops ``z`` (N, 3, 127, 127) for :meth:`track`: ``{"kernels": ...}``,
        the head's template-branch outputs (see class doc)."""
        return {"kernels": self.rpn_head.template(self.features(z))}

    def track(self, x, state):
        """Raw head outputs for search crops ``x`` (N, 3, H, W) against ``state`` (see class doc)."""
        n, chunk = x.shape[0], SINGLE_THREAD_CPU_CHUNK
        if x.device.type == "cpu" and torch.get_num_threads() == 1 and n > chunk:
            parts = [self._track(x[i:i + chunk], slice_state(state, i, i + chunk)) for i in range(0, n, chunk)]
            return concat_states(parts)
        return self._track(x, state)

    def _track(self, x, state):
        cls, loc = self.rpn_head.track(self.features(x), state["kernels"])
        if not self.produces_boxes:
            return {"score": cls}
        return {"cls": cls, "loc": loc}

    def anchors(self, score_size, search_size=None):
        """(k*S*S, 4) float32 cx, cy, w, h anchors: relative to the crop centre (tracker grid) if
        ``search_size`` is None, else absolute search-crop pixels (training grid)."""
        if search_size is None:
            grid = tracker_anchor_grid(self.base_anchors, self.anchor_stride, score_size)
        else:
            grid = training_anchor_grid(self.base_anchors, self.anchor_stride, score_size, search_size)
        return torch.as_tensor(grid, device=self.device)

    def decode(self, outputs, search_size):
        """Decode :meth:`track` outputs of crops of side ``search_size``.

        Returns a dict with ``"scores"`` (N, A) foreground probabilities (softmax over bg/fg),
        ``"boxes"`` (N, A, 4) xyxy in search-crop pixels and ``"centered"`` (N, A, 4) cx, cy, w, h
        relative to the crop centre (pixel ``search_size // 2``; pysot's tracker convention), all
        float32 with the flat anchor index ``a*S*S + y*S + x``. A SiamFC model gives only
        ``"scores"`` (N, S*S) (sigmoid of the score map).
        """
        if "score" in outputs:
            return {"scores": torch.sigmoid(outputs["score"].flatten(1))}
        cls, loc = outputs["cls"], outputs["loc"]
        n, size = cls.shape[0], cls.shape[-1]
        scores = F.softmax(cls.reshape(n, 2, -1), dim=1)[:, 1]
        anchors = self.anchors(size).to(loc.dtype)
        delta = loc.reshape(n, 4, -1)
        cx = delta[:, 0] * anchors[:, 2] + anchors[:, 0]
        cy = delta[:, 1] * anchors[:, 3] + anchors[:, 1]
        w = torch.exp(delta[:, 2]) * anchors[:, 2]
        h = torch.exp(delta[:, 3]) * anchors[:, 3]
        centered = torch.stack([cx, cy, w, h], dim=-1)
        boxes = cxcywh_to_xyxy(centered) + float(search_size // 2)
        return {"scores": scores, "boxes": boxes, "centered": centered}

    # ----------------------------------------------------------------- batched API
    def forward(self, batched_inputs):
        """Training: dict of losses; eval mode: :meth:`inference`."""
        if not self.training:
            return self.inference(batched_inputs)
        templates, searches = self._stack(batched_inputs)
        cls, loc = self.rpn_head(self.features(templates), self.features(searches))
        if not self.produces_boxes:
            return self._siamfc_losses(cls, batched_inputs, searches.shape[-1])
        labels, deltas, weights = self._targets(batched_inputs, cls.shape[-1], searches.shape[-1])
        if self.loss_type == "pysot":
            loss_cls = pysot_cls_loss(cls, labels)
            loss_loc = pysot_loc_loss(loc, deltas, weights)
        else:
            loss_cls = bce_cls_loss(cls, labels)
            loss_loc = smooth_l1_loc_loss(loc, deltas, labels, self.smooth_l1_beta)
        return {"loss_cls": self.cls_weight * loss_cls, "loss_loc": self.loc_weight * loss_loc}

    def inference(self, batched_inputs):
        """Decoded outputs of template/search pairs: one dict per pair with ``"scores"`` (A,),
        ``"boxes"`` (A, 4) xyxy in search-crop pixels and ``"centered"`` (see :meth:`decode`)."""
        templates, searches = self._stack(batched_inputs)
        decoded = self.decode(self.track(searches, self.template(templates)), searches.shape[-1])
        return [{key: value[i] for key, value in decoded.items()} for i in range(len(batched_inputs))]

    def _stack(self, batched_inputs):
        templates = torch.stack([d["template"] for d in batched_inputs]).to(self.device, torch.float32)
        searches = torch.stack([d["search"] for d in batched_inputs]).to(self.device, torch.float32)
        return templates, searches

    def _targets(self, batched_inputs, size, search_size):
        """Stacked labels (B, A), deltas (B, A, 4) and loc weights (B, A) of the batch."""
        anchors_xyxy = cxcywh_to_xyxy(self.anchors(size, search_size))
        per_pair = [
            self.targets(anchors_xyxy, self.num_anchors, size, search_size,
                         torch.as_tensor(d["search_box"], dtype=torch.float32), bool(d["negative"]))
            for d in batched_inputs
        ]
        return tuple(torch.stack(parts) for parts in zip(*per_pair))

    def _siamfc_losses(self, score, batched_inputs, search_size):
        targets = [
            siamfc_targets(score.shape[-1], self.anchor_stride, search_size,
                           torch.as_tensor(d["search_box"], dtype=torch.float32), bool(d["negative"]),
                           self.siamfc_radius)
            for d in batched_inputs
        ]
        labels = torch.stack([t[0] for t in targets]).to(score.device)
        weights = torch.stack([t[1] for t in targets]).to(score.device)
        return {"loss_cls": self.cls_weight * siamfc_loss(score, labels, weights),
                "loss_loc": score.sum() * 0.0}
