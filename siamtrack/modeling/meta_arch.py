"""The Siamese meta-architecture: backbone -> neck -> Siamese head (docs/model.md).

Submodules are named ``backbone``, ``neck`` (absent without a neck) and ``rpn_head`` so that
``state_dict()`` keys equal pysot's keys exactly. The head owns targets, losses and decoding
(:class:`~siamtrack.modeling.heads.SiamHead`), so nothing here depends on the head type.
"""
import torch
import torch.nn as nn
from detectron2.config import configurable
from detectron2.modeling import META_ARCH_REGISTRY, build_backbone

from ..structures.upload import upload
from ..utils.device import resolve_device
from .heads import build_siam_head
from .neck import build_siam_neck
from .state import concat_states, slice_state

__all__ = ["SiamRPN"]

# On one CPU thread ATen runs 1x1 convolutions natively below batch 16 and with oneDNN from 16
# (ConvParams::use_mkldnn), which round differently; track() keeps such batches below 16.
SINGLE_THREAD_CPU_CHUNK = 15


@META_ARCH_REGISTRY.register()
class SiamRPN(nn.Module):
    """Siamese tracker network (SiamRPN / SiamRPN++ / the SiamFC baseline).

    Inference API (inputs are float BGR 0..255 crops, no normalisation, as pysot):

    * ``state = model.template(z)``: run everything that depends on the template crops z
      (N, 3, 127, 127) only, once: backbone, neck and the head's template branch. ``state`` is
      ``{"kernels": ...}``, the head's kernels: a nest of dicts / lists of tensors with the batch
      on dim 0, so states of single templates concatenated along dim 0 are the state of the batch;
    * ``model.track(x, state)`` -> the head's raw maps for search crops x (N, 3, H, W):
      ``{"cls": (N, 2k, S, S), "loc": (N, 4k, S, S)}`` in pysot's layout for the anchor heads,
      ``{"score": (N, 1, S, S)}`` for SiamFC. It runs the search branch, the correlation and the
      head only; on the CPU each sample's outputs do not depend on the batch size;
    * ``model.decode(outputs, search_size)`` -> the head's decoding (scores, and boxes for heads
      that regress them).

    Training: ``model(batched_inputs)`` with dicts holding ``"template"`` (3, 127, 127),
    ``"search"`` (3, 255, 255), ``"search_box"`` ([x1, y1, x2, y2] in search-crop pixels) and
    ``"negative"`` (bool) returns the head's dict of losses. In eval mode the same call returns
    one decoded dict per pair (see :meth:`inference`).
    """

    @configurable
    def __init__(self, *, backbone, neck, rpn_head, pixel_mean=(0.0, 0.0, 0.0), pixel_std=(1.0, 1.0, 1.0)):
        """
        Args:
            backbone: a detectron2 ``Backbone`` returning a dict of features.
            neck: module mapping the list of backbone features to head inputs, or None.
            rpn_head: a :class:`~siamtrack.modeling.heads.SiamHead` of ``SIAM_HEAD_REGISTRY``.
            pixel_mean, pixel_std: input normalisation; the identity (0 / 1) for pysot models.
        """
        super().__init__()
        self.backbone = backbone
        self.in_features = list(backbone.output_shape().keys())
        self.neck = neck
        self.rpn_head = rpn_head
        self._normalize = any(m != 0 for m in pixel_mean) or any(s != 1 for s in pixel_std)
        self.register_buffer("pixel_mean", torch.tensor(pixel_mean, dtype=torch.float32).view(-1, 1, 1), False)
        self.register_buffer("pixel_std", torch.tensor(pixel_std, dtype=torch.float32).view(-1, 1, 1), False)

    @classmethod
    def from_config(cls, cfg):
        """Constructor arguments from a config (detectron2 ``@configurable``)."""
        resolve_device(cfg.MODEL.DEVICE)  # a one-line DeviceError before build_model's .to(device)
        backbone = build_backbone(cfg)
        shapes = list(backbone.output_shape().values())
        neck = build_siam_neck(cfg, shapes)
        head_channels = neck.out_channels if neck is not None else [s.channels for s in shapes]
        return {
            "backbone": backbone,
            "neck": neck,
            "rpn_head": build_siam_head(cfg, head_channels),
            "pixel_mean": list(cfg.MODEL.PIXEL_MEAN),
            "pixel_std": list(cfg.MODEL.PIXEL_STD),
        }

    @property
    def device(self):
        """Device of the model's parameters."""
        return self.pixel_mean.device

    @property
    def dtype(self):
        """Floating-point type of the model's inputs (float32, or float16 after ``half()``)."""
        return self.pixel_mean.dtype

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
        """Raw head maps for search crops ``x`` (N, 3, H, W) against ``state`` (see class doc)."""
        n, chunk = x.shape[0], SINGLE_THREAD_CPU_CHUNK
        if x.device.type == "cpu" and torch.get_num_threads() == 1 and n > chunk:
            # self.track: a subclass's own (SiamMask's) runs on each chunk
            parts = [self.track(x[i:i + chunk], slice_state(state, i, i + chunk)) for i in range(0, n, chunk)]
            return concat_states(parts)
        return self.rpn_head.track(self.features(x), state["kernels"])

    def decode(self, outputs, search_size):
        """The head's decoding of :meth:`track` outputs of crops of side ``search_size``; for the
        anchor heads ``"scores"`` (N, A), ``"boxes"`` (N, A, 4) xyxy in search-crop pixels and
        ``"centered"`` (N, A, 4) (see :meth:`AnchorHead.decode <siamtrack.modeling.heads.AnchorHead.decode>`)."""
        return self.rpn_head.decode(outputs, search_size)

    # ----------------------------------------------------------------- batched API
    def forward(self, batched_inputs):
        """Training: the head's dict of losses; eval mode: :meth:`inference`."""
        if not self.training:
            return self.inference(batched_inputs)
        templates, searches = self._stack(batched_inputs)
        outputs = self.rpn_head(self.features(templates), self.features(searches))
        gt_boxes = torch.stack([torch.as_tensor(d["search_box"], dtype=torch.float32) for d in batched_inputs])
        negatives = [bool(d["negative"]) for d in batched_inputs]
        return self.rpn_head.losses(outputs, gt_boxes, negatives, searches.shape[-1])

    def inference(self, batched_inputs):
        """Decoded outputs of template/search pairs: one dict per pair with the entries of
        :meth:`decode` for that pair."""
        templates, searches = self._stack(batched_inputs)
        decoded = self.decode(self.track(searches, self.template(templates)), searches.shape[-1])
        return [{key: value[i] for key, value in decoded.items()} for i in range(len(batched_inputs))]

    def _stack(self, batched_inputs):
        # One pinned, non-blocking upload per batch, in the crops' own dtype, then float32 on the device.
        templates = upload(torch.stack([d["template"] for d in batched_inputs]), self.device).to(torch.float32)
        searches = upload(torch.stack([d["search"] for d in batched_inputs]), self.device).to(torch.float32)
        return templates, searches
