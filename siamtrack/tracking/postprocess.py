"""pysot's SiamRPN post-processing of one search crop: penalties, cosine window, best anchor,
smoothed update and clipping, with pysot's exact numeric precision chain.

docs/tracking.md ("The SiamRPN step", "Numeric precision") defines the arithmetic and its dtypes:
the scores and decoded boxes (:class:`~siamtrack.modeling.AnchorBoxCoder`) are float32; the
cosine window, the target state and everything computed from them (penalties, penalised
scores, the box update) is float64. Every cast here is explicit so the result does not depend
on the installed NumPy's promotion rules.
"""
import numpy as np

__all__ = ["hann_window", "penalties", "select_best", "smooth_update", "clip_box"]


def hann_window(score_size, anchor_num=1):
    """Flattened 2-D Hanning window, tiled ``anchor_num`` times (index ``a*S*S + y*S + x``), float64.

    Uses ``np.hanning`` itself: the closed form ``0.5 - 0.5 cos(2 pi n / (S-1))`` differs from it
    in the last bit for some ``n``.
    """
    hanning = np.hanning(score_size)
    return np.tile(np.outer(hanning, hanning).reshape(-1), anchor_num).astype(np.float64)


def _change(ratio):
    return np.maximum(ratio, 1.0 / ratio)


def _context_size(w, h):
    pad = (w + h) * 0.5
    return np.sqrt((w + pad) * (h + pad))


def penalties(boxes, size, scale_z, penalty_k):
    """Scale/aspect-change penalty (A,) float64 of decoded ``boxes`` (4, A) float32.

    ``size`` is the current target (w, h) in frame pixels (float64) and ``scale_z`` the
    frame-to-crop scale. The context size of the boxes is computed in float32, everything that
    meets the float64 state in float64.
    """
    size = np.asarray(size, dtype=np.float64)
    scale_z = np.float64(scale_z)
    pw, ph = boxes[2].astype(np.float32, copy=False), boxes[3].astype(np.float32, copy=False)
    box_sz = _context_size(pw, ph).astype(np.float64)
    target_sz = _context_size(size[0] * scale_z, size[1] * scale_z)
    s_c = _change(box_sz / target_sz)
    r_c = _change((size[0] / size[1]) / (pw / ph).astype(np.float64))
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
    size in [min_size, W] x [min_size, H] (pysot's ``_bbox_clip``; the upper bound is the
    frame size, not size - 1)."""
    frame_h, frame_w = frame_shape[:2]
    cx = max(0.0, min(float(cx), float(frame_w)))
    cy = max(0.0, min(float(cy), float(frame_h)))
    width = max(float(min_size), min(float(width), float(frame_w)))
    height = max(float(min_size), min(float(height), float(frame_h)))
    return cx, cy, width, height
