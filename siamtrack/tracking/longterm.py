"""pysot's long-term tracker (SiamRPNLTTracker, docs/tracking.md, "Long-term tracking")."""
import numpy as np

from ..structures.boxes import center_size_to_xywh
from . import postprocess
from .registry import TRACKER_REGISTRY
from .tracker import SiamRPNTracker

__all__ = ["SiamRPNLTTracker"]

LOST_WINDOW_INFLUENCE = 0.001


@TRACKER_REGISTRY.register()
class SiamRPNLTTracker(SiamRPNTracker):
    """Long-term variant (``TRACK.TYPE: SiamRPNLTTracker``): a target whose best score drops below
    ``TRACK.CONFIDENCE_LOW`` keeps its box and is searched for in a ``TRACK.LOST_INSTANCE_SIZE``
    crop with an almost flat window until a score above ``TRACK.CONFIDENCE_HIGH`` re-acquires it.

    Each target has its own lost flag, which is also each result's ``"lost"`` (not
    ``TRACK.LOST_SCORE`` / ``LOST_FRAMES``). As in pysot, :meth:`init` does not reset it: the
    i-th target of a re-initialised tracker inherits the flag of the previous i-th target.
    """

    def __init__(self, model, cfg):
        """See :class:`SiamRPNTracker`; also reads ``TRACK.LOST_INSTANCE_SIZE`` and the confidences."""
        super().__init__(model, cfg)
        self.lost_instance_size = int(cfg.TRACK.LOST_INSTANCE_SIZE)
        # pysot compares the float32 score with the thresholds in float32 (NumPy >= 2 rules).
        self.confidence_low = np.float32(cfg.TRACK.CONFIDENCE_LOW)
        self.confidence_high = np.float32(cfg.TRACK.CONFIDENCE_HIGH)

    def _inherit(self, previous, targets):
        for old, new in zip(previous, targets):
            new.lost = old.lost  # pysot's long-term flag survives init

    def _update_lost(self, target, score):
        return target.lost  # set by _update from CONFIDENCE_LOW / CONFIDENCE_HIGH

    def _instance_size(self, target):
        return self.lost_instance_size if target.lost else self.instance_size

    def _window_influence(self, target):
        return LOST_WINDOW_INFLUENCE if target.lost else self.window_influence

    def _update(self, target, frame_shape, window, scale_z, scores, boxes):
        """Update only on a confident score; the state is stored before clipping."""
        _, box, score, penalty = postprocess.select_best(
            scores, boxes, target.size, scale_z, window, self.penalty_k, self._window_influence(target))
        if score >= self.confidence_low:
            cx, cy, w, h = postprocess.smooth_update(target.center, target.size, box, score, penalty, self.lr)
        else:
            (cx, cy), (w, h) = target.center, target.size
        target.center = np.array([cx, cy], dtype=np.float64)
        target.size = np.array([w, h], dtype=np.float64)
        if score < self.confidence_low:
            target.lost = True
        elif score > self.confidence_high:
            target.lost = False
        cx, cy, w, h = postprocess.clip_box(cx, cy, w, h, frame_shape)
        return {"bbox": center_size_to_xywh(cx, cy, w, h), "score": float(score)}
