"""The one decoder of the anchor heads' outputs: foreground scores and boxes per anchor.

Training-time inference (:meth:`AnchorHead.decode <siamtrack.modeling.heads.AnchorHead.decode>`,
hence ``SiamRPN.inference``) and the SiamRPN trackers all decode with :class:`AnchorBoxCoder`.
The tracker builds its own from the config (``AnchorBoxCoder(cfg)``) because it may wrap a model
without heads (an ONNX Runtime model); both give the same bits.

The arithmetic is pysot's tracker decoding in float32 (docs/tracking.md, "Numeric precision"):
``px = dx*aw + acx``, ``py = dy*ah + acy``, ``pw = exp(dw)*aw``, ``ph = exp(dh)*ah``, in NumPy.
It is not detectron2's ``Box2BoxTransform.apply_deltas`` nor any torch code: PyTorch's float32
``exp`` differs from NumPy's in the last bit for about 40 % of inputs, and pysot's published
boxes come from NumPy's. Encoding (training targets) uses ``Box2BoxTransform.get_deltas``,
which is exactly pysot's ``dx = (tcx - acx)/aw``, ``dw = ln(tw/aw)``.
"""
import numpy as np
import torch
from detectron2.config import configurable

from .anchors import generate_base_anchors, tracker_anchor_grid, training_anchor_grid

__all__ = ["AnchorBoxCoder"]


class AnchorBoxCoder:
    """Anchor grids of one anchor definition and the decoding of ``cls`` / ``loc`` maps.

    Maps are pysot's layout (docs/model.md, "Output layouts"): ``cls`` (N, 2k, S, S) class-major,
    ``loc`` (N, 4k, S, S) coordinate-major; flat anchor index ``a*S*S + y*S + x``.
    """

    @configurable
    def __init__(self, stride, ratios, scales):
        """Also ``AnchorBoxCoder(cfg)`` (detectron2 ``@configurable``, see :meth:`from_config`).

        Args:
            stride: score-map cell spacing in search-crop pixels (8).
            ratios, scales: anchor aspect ratios (outer loop) and scales (docs/model.md, "Anchors").
        """
        self.stride = int(stride)
        self.base_anchors = generate_base_anchors(self.stride, list(ratios), list(scales))
        self.num_anchors = self.base_anchors.shape[0]
        self._grids = {}

    @classmethod
    def from_config(cls, cfg):
        """Constructor arguments of ``cfg.MODEL.SIAM_ANCHOR`` (STRIDE, RATIOS, SCALES)."""
        anchor = cfg.MODEL.SIAM_ANCHOR
        return {"stride": anchor.STRIDE, "ratios": anchor.RATIOS, "scales": anchor.SCALES}

    def anchors(self, score_size, search_size=None):
        """(k*S*S, 4) float32 ``(cx, cy, w, h)`` anchors of an S x S score map (cached).

        Relative to the search-crop centre (the tracker's grid) when ``search_size`` is None,
        else in absolute pixels of a ``search_size`` crop (the training grid). The two are the
        same geometry shifted by ``search_size // 2``.
        """
        key = (int(score_size), None if search_size is None else int(search_size))
        if key not in self._grids:
            if search_size is None:
                grid = tracker_anchor_grid(self.base_anchors, self.stride, key[0])
            else:
                grid = training_anchor_grid(self.base_anchors, self.stride, key[0], key[1])
            grid.setflags(write=False)
            self._grids[key] = grid
        return self._grids[key]

    @staticmethod
    def scores(cls_map):
        """Foreground probabilities (N, k*S*S) float32 (NumPy) of raw ``cls`` maps (N, 2k, S, S).

        The softmax over (bg, fg) runs in PyTorch on the CPU over an (N, A, 2) view, the kernel
        pysot's ``_convert_score`` ends up in (a NumPy softmax differs from it in the last bit).
        """
        cls_map = cls_map.detach().to("cpu", torch.float32)
        pairs = cls_map.reshape(cls_map.shape[0], 2, -1).permute(0, 2, 1)
        return torch.softmax(pairs, dim=2)[..., 1].numpy()

    def decode(self, loc):
        """Boxes (N, 4, k*S*S) float32 (NumPy) ``(cx, cy, w, h)`` of raw ``loc`` maps (N, 4k, S, S),
        in search-crop pixels relative to the crop centre (``search_size // 2``).

        ``loc`` is a tensor (any device) or an array; S is read from its shape.
        """
        if isinstance(loc, torch.Tensor):
            loc = loc.detach().to("cpu", torch.float32).numpy()
        loc = np.asarray(loc, dtype=np.float32)
        delta = loc.reshape(loc.shape[0], 4, -1)
        anchors = self._grids.get((loc.shape[-1], None))
        if anchors is None:
            anchors = self.anchors(loc.shape[-1])
        acx, acy, aw, ah = anchors.T
        boxes = np.empty_like(delta)
        boxes[:, 0] = delta[:, 0] * aw + acx
        boxes[:, 1] = delta[:, 1] * ah + acy
        boxes[:, 2] = np.exp(delta[:, 2]) * aw
        boxes[:, 3] = np.exp(delta[:, 3]) * ah
        return boxes
