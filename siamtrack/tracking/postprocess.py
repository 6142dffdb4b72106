"""pysot's SiamRPN post-processing of one search crop: penalties, cosine window, best anchor,
smoothed update and clipping, with pysot's exact numeric precision chain; and the short-term
trackers' lost signal (:class:`LostRule`).

docs/tracking.md ("The SiamRPN step", "Numeric precision") defines the arithmetic and its dtypes:
the scores and decoded boxes (:class:`~siamtrack.modeling.AnchorBoxCoder`) are float32; the
cosine window, the target state and everything computed from them (penalties, penalised
scores, the box update) is float64. Every cast here is explicit so the result does not depend
on the installed NumPy's promotion rules.
"""
import numpy as np

from ..utils.errors import InputError

__all__ = ["hann_window", "penalties", "select_best", "smooth_update", "clip_box", "LostRule"]


def hann_window(score_size, anchor_num=1):
    """Flattened 2-D Hanning window, tiled ``anchor_num`` times (index ``a*S*S + y*S + x``), float64.

    Uses ``np.hanning`` itself: the closed form ``0.5 - 0.5 cos(2 pi n / (S-1))`` differs from it
    in the last bit for some ``n``.
    """
    hanning = np.hanning(score_size)
    return np.tile(np.outer(hanning, hanning).reshape(-1), anchor_num).astype(np.float64)


def penalties(boxes, size, scale_z, penalty_k):
    """Scale/aspect-change penalty (A,) float64 of decoded ``boxes`` (4, A) float32.

    ``size`` is the current target (w, h) in frame pixels (float64) and ``scale_z`` the
    frame-to-crop scale. pysot's ``sz(w, h) = sqrt((w + p)(h + p))``, ``p = (w + h) / 2``, of the
    boxes is computed in float32, everything that meets the float64 state in float64; the scale
    and ratio changes are ``max(r, 1 / r)``.
    """
    size = np.asarray(size, dtype=np.float64)
    scale_z = np.float64(scale_z)
    pw, ph = boxes[2].astype(np.float32, copy=False), boxes[3].astype(np.float32, copy=False)
    pad = (pw + ph) * 0.5
    box_sz = np.sqrt((pw + pad) * (ph + pad)).astype(np.float64)
    tw, th = size[0] * scale_z, size[1] * scale_z
    pad = (tw + th) * 0.5
    ratio = box_sz / np.sqrt((tw + pad) * (th + pad))
    s_c = np.maximum(ratio, 1.0 / ratio)
    ratio = (size[0] / size[1]) / (pw / ph).astype(np.float64)
    r_c = np.maximum(ratio, 1.0 / ratio)
    return np.exp(-(r_c * s_c - 1.0) * np.float64(penalty_k))


def select_best(scores, boxes, size, scale_z, window, penalty_k, window_influence):
    """Pick the best anchor of one crop; returns ``(best_idx, box, score, penalty)``.

    ``scores`` (A,) float32, ``boxes`` (4, A) float32, ``window`` (A,) float64. The returned
    ``box`` is the chosen (dx, dy, w, h) in frame pixels (float64: the float32 box divided by
    ``scale_z``), ``score`` the raw (un-penalised) float32 score and ``penalty`` its float64
    penalty. Ties go to the first maximum, as ``np.argmax``.
    """
    pen = penalties(boxes, size, scale_z, penalty_k)
    influence = np.float64(window_influence)
    pscore = pen * scores.astype(np.float64)
    pscore = pscore * (1.0 - influence) + window * influence
    best = int(np.argmax(pscore))
    box = boxes[:, best].astype(np.float64) / np.float64(scale_z)
    return best, box, scores[best], pen[best]


def smooth_update(center, size, box, score, penalty, lr):
    """Move the centre by the box offset and blend the size with rate ``penalty*score*lr``.

    Returns the new (cx, cy, w, h) as float64, before clipping.
    """
    rate = np.float64(penalty) * np.float64(score) * np.float64(lr)
    cx = box[0] + center[0]
    cy = box[1] + center[1]
    width = size[0] * (1.0 - rate) + box[2] * rate
    height = size[1] * (1.0 - rate) + box[3] * rate
    return cx, cy, width, height


def clip_box(cx, cy, width, height, frame_shape, min_size=10):
    """Clip a centre-size box to a frame of shape (H, W, ...): centre in [0, W] x [0, H],
    size in [min_size, W] x [min_size, H] (pysot's ``_bbox_clip`` in siamrpn_tracker.py, with
    its 10 px; the upper bound is the frame size, not size - 1)."""
    frame_h, frame_w = frame_shape[:2]
    cx = max(0.0, min(float(cx), float(frame_w)))
    cy = max(0.0, min(float(cy), float(frame_h)))
    width = max(float(min_size), min(float(width), float(frame_w)))
    height = max(float(min_size), min(float(height), float(frame_h)))
    return cx, cy, width, height


class LostRule:
    """The short-term trackers' lost signal (docs/tracking.md, "Target lost"): a score
    threshold with hysteresis over frames.

    A target is lost once its score has been below ``score`` (``TRACK.LOST_SCORE``) for
    ``frames`` (``TRACK.LOST_FRAMES``) consecutive frames, and found again once it has been
    at or above ``score`` for ``frames`` consecutive frames; ``frames = 1`` is a plain
    threshold. The rule only reports: it never changes a box.
    """

    def __init__(self, score, frames):
        """``score``: the threshold; ``frames`` (>= 1): consecutive frames needed to switch."""
        self.score = float(score)
        self.frames = int(frames)
        if self.frames < 1:
            raise InputError(f"TRACK.LOST_FRAMES must be at least 1, got {frames}")

    def step(self, lost, run, score):
        """The next ``(lost, run)`` of a target that was ``lost`` with ``run`` frames counted
        towards switching, after a frame with ``score``."""
        if (float(score) < self.score) != lost:  # this frame argues for the other state
            run += 1
            if run >= self.frames:
                return not lost, 0
            return lost, run
        return lost, 0

    def update(self, target, score):
        """Apply :meth:`step` to ``target`` (its ``lost`` and ``lost_run``); returns ``lost``."""
        target.lost, target.lost_run = self.step(target.lost, target.lost_run, score)
        return target.lost

    def replay(self, scores):
        """The lost flags after each of ``scores`` (one target from init, not lost at first)."""
        lost, run, flags = False, 0, []
        for score in scores:
            lost, run = self.step(lost, run, score)
            flags.append(lost)
        return flags
