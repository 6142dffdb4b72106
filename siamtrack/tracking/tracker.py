"""pysot's SiamRPN / SiamRPN++ tracker (docs/tracking.md, "The SiamRPN step"), exact to the bit."""
import numpy as np

from ..modeling.anchors import score_map_size
from ..modeling.box_coder import AnchorBoxCoder
from ..structures.boxes import center_size_to_xywh
from ..structures.crop import context_side
from ..utils.errors import InputError
from . import postprocess
from .base import BaseTracker, SearchPlan
from .registry import TRACKER_REGISTRY

__all__ = ["SiamRPNTracker", "SiamTracker"]


@TRACKER_REGISTRY.register()
class SiamRPNTracker(BaseTracker):
    """The short-term SiamRPN / SiamRPN++ tracker (``TRACK.TYPE: SiamRPNTracker``).

    Per target and frame: one search crop of ``TRACK.INSTANCE_SIZE``; the model's ``cls`` /
    ``loc`` maps decoded by :class:`~siamtrack.modeling.AnchorBoxCoder` (the decoder of the
    anchor heads, built here from ``cfg.MODEL.SIAM_ANCHOR``); then pysot's scale / aspect
    penalty (``TRACK.PENALTY_K``), cosine window (``TRACK.WINDOW_INFLUENCE``), smoothed size
    update (``TRACK.LR``) and clipping (:mod:`~siamtrack.tracking.postprocess`). ``score`` is the
    chosen anchor's raw foreground probability.
    """

    def __init__(self, model, cfg):
        """See :class:`~siamtrack.tracking.base.BaseTracker`; also reads ``TRACK.PENALTY_K``,
        ``WINDOW_INFLUENCE``, ``LR``, ``SCORE_SIZE_OFFSET`` and ``MODEL.SIAM_ANCHOR``."""
        super().__init__(model, cfg)
        track = cfg.TRACK
        self.penalty_k = float(track.PENALTY_K)
        self.window_influence = float(track.WINDOW_INFLUENCE)
        self.lr = float(track.LR)
        self.score_size_offset = int(track.SCORE_SIZE_OFFSET)
        self.box_coder = AnchorBoxCoder.from_config(cfg)
        self._windows = {}

    def _instance_size(self, target):
        return self.instance_size

    def _window_influence(self, target):
        return self.window_influence

    def _plan(self, target):
        """One window of side ``R(s_x)``; ``info`` is the unrounded ``scale_z`` used to decode."""
        instance_size = self._instance_size(target)
        s_z = context_side(target.size[0], target.size[1], self.context_amount)
        scale_z = self.exemplar_size / s_z
        s_x = s_z * (instance_size / self.exemplar_size)
        return SearchPlan(instance_size, [round(float(s_x))], scale_z)

    def _window(self, instance_size, map_size):
        """The tiled cosine window of ``instance_size`` crops, checking the model's map size."""
        if instance_size not in self._windows:
            size = score_map_size(instance_size, self.exemplar_size, self.box_coder.stride, self.score_size_offset)
            self._windows[instance_size] = (size, postprocess.hann_window(size, self.box_coder.num_anchors))
        size, window = self._windows[instance_size]
        if map_size != size:
            raise InputError(
                f"the model gives {map_size}x{map_size} score maps for {instance_size} crops but the config "
                f"expects {size}x{size} (TRACK.INSTANCE_SIZE / EXEMPLAR_SIZE / SCORE_SIZE_OFFSET): use the "
                "config of these weights")
        return window

    def _step(self, targets, plans, outputs, frame_shape):
        if "cls" not in outputs or "loc" not in outputs:
            raise TypeError(f"{type(self).__name__} needs a model whose track() returns 'cls' and 'loc' "
                            f"maps (got {sorted(outputs)}); a SiamFC model tracks with TRACK.TYPE SiamFCTracker")
        window = self._window(plans[0].instance_size, outputs["cls"].shape[-1])
        with self._stage("decode"):
            scores = self.box_coder.scores(outputs["cls"])
            boxes = self.box_coder.decode(outputs["loc"])
        return [self._update(target, frame_shape, window, plan.info, scores[i], boxes[i])
                for i, (target, plan) in enumerate(zip(targets, plans))]

    def _update(self, target, frame_shape, window, scale_z, scores, boxes):
        """Pick the best box, update ``target`` (smoothing + clipping; its ``best_index`` is the
        chosen flat anchor index) and return its result."""
        target.best_index, box, score, penalty = postprocess.select_best(
            scores, boxes, target.size, scale_z, window, self.penalty_k, self._window_influence(target))
        cx, cy, w, h = postprocess.smooth_update(target.center, target.size, box, score, penalty, self.lr)
        cx, cy, w, h = postprocess.clip_box(cx, cy, w, h, frame_shape)
        target.center = np.array([cx, cy], dtype=np.float64)
        target.size = np.array([w, h], dtype=np.float64)
        return {"bbox": center_size_to_xywh(cx, cy, w, h), "score": float(score)}


# Deprecated name (kept for one release): ``SiamTracker(model, cfg)`` is the short-term SiamRPN
# tracker and ``SiamTracker.from_config(cfg)`` is ``build_tracker(cfg)``; use build_tracker.
SiamTracker = SiamRPNTracker
