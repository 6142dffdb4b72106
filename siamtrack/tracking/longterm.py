"""pysot's long-term tracker (SiamRPNLTTracker, docs/tracking.md, "Long-term tracking")."""
import numpy as np

from . import postprocess
from .registry import TRACKER_REGISTRY
from .tracker import SiamRPNTracker

__all__ = ["SiamRPNLTTracker"]

# The cosine window's weight while a target is lost: the constant of pysot's siamrpnlt_tracker.py
# (``pscore * (1 - 0.001) + window * 0.001``; docs/tracking.md, "Long-term tracking").
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

    keeps_lost_on_init = True

    def __init__(self, model, cfg):
        """See :class:`SiamRPNTracker`; also reads ``TRACK.LOST_INSTANCE_SIZE`` and the confidences."""
        super().__init__(model, cfg)
        self.search[True] = (int(cfg.TRACK.LOST_INSTANCE_SIZE), LOST_WINDOW_INFLUENCE)
        # pysot compares the float32 score with the thresholds in float32 (NumPy >= 2 rules).
        self.confidence_low = np.float32(cfg.TRACK.CONFIDENCE_LOW)
        self.confidence_high = np.float32(cfg.TRACK.CONFIDENCE_HIGH)

    def _update(self, target, box, score, penalty, frame_shape):
        """Update only on a confident score; the state is stored before clipping."""
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
        return {"bbox": [cx - w / 2, cy - h / 2, w, h], "score": float(score), "lost": bool(target.lost)}
