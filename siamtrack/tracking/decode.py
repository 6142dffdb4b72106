"""Score and box decoding of one search crop, with pysot's exact numeric precision chain.

SIAMRPN.md §8.4 defines the arithmetic and §8.5 its dtypes: network outputs, anchors and the
decoded boxes are float32; the cosine window, the target state and everything computed from
them (penalties, penalised scores, the box update) is float64. Every cast here is explicit so
the result does not depend on the installed NumPy's promotion rules.
"""
import numpy as np
import torch

from ..modeling.anchors import generate_base_anchors, score_map_size, tracker_anchor_grid


class ScoreGrid:
    """Anchors and cosine window of one search-crop size (pysot's ``generate_anchor`` + window).

    ``anchors`` is (k*S*S, 4) float32 ``(cx, cy, w, h)`` relative to the crop centre and
    ``window`` the (k*S*S,) float64 Hanning window tiled once per anchor shape.
    """

    def __init__(self, instance_size, exemplar_size, base_size, stride, ratios, scales):
        self.instance_size = int(instance_size)
        self.score_size = score_map_size(instance_size, exemplar_size, stride, base_size)
        base = generate_base_anchors(stride, ratios, scales)
        self.anchor_num = base.shape[0]
        self.anchors = tracker_anchor_grid(base, stride, self.score_size)
        self.window = hann_window(self.score_size, self.anchor_num)


def hann_window(score_size, anchor_num):
    """Flattened 2-D Hanning window, tiled ``anchor_num`` times (index ``a*S*S + y*S + x``).

    Uses ``np.hanning`` itself: the closed form ``0.5 - 0.5 cos(2 pi n / (S-1))`` differs from it
    in the last bit for some ``n``.
    """
    hanning = np.hanning(score_size)
    return np.tile(np.outer(hanning, hanning).reshape(-1), anchor_num).astype(np.float64)


def foreground_scores(cls):
    """Foreground probabilities (N, k*S*S) float32 from raw ``cls`` maps (N, 2k, S, S).

    Channels are class-major (first k background, then k foreground, SIAMRPN.md §3.6). The
    softmax runs in PyTorch on the CPU over a (N, A, 2) view, the same kernel pysot's
    ``_convert_score`` ends up in: a NumPy softmax differs from it in the last bit.
    """
    cls = cls.detach().to("cpu", torch.float32)
    pairs = cls.reshape(cls.shape[0], 2, -1).permute(0, 2, 1)
    return torch.softmax(pairs, dim=2)[..., 1].numpy()


def decode_boxes(loc, anchors):
    """Decode raw ``loc`` maps (N, 4k, S, S) into boxes (N, 4, k*S*S) float32, crop-centred.

    ``px = dx*aw + acx``, ``py = dy*ah + acy``, ``pw = exp(dw)*aw``, ``ph = exp(dh)*ah`` in
    float32, in search-crop pixels relative to the crop centre.
    """
    if isinstance(loc, torch.Tensor):
        loc = loc.detach().to("cpu", torch.float32).numpy()
    delta = np.asarray(loc, dtype=np.float32).reshape(loc.shape[0], 4, -1)
    acx, acy, aw, ah = (anchors[:, i].astype(np.float32, copy=False) for i in range(4))
    boxes = np.empty_like(delta)
    boxes[:, 0] = delta[:, 0] * aw + acx
    boxes[:, 1] = delta[:, 1] * ah + acy
    boxes[:, 2] = np.exp(delta[:, 2]) * aw
    boxes[:, 3] = np.exp(delta[:, 3]) * ah
    return boxes


def _change(ratio):
    return np.maximum(ratio, 1.0 / ratio)


def _context_size(w, h):
    pad = (w + h) * 0.5
    return np.sqrt((w + pad) * (h + pad))


def penalties(boxes, size, scale_z, penalty_k):
    """Scale/aspect-change penalty (A,) float64 of decoded ``boxes`` (4, A) float32.

    ``size`` is the current target (w, h) in frame pixels (float64) and ``scale_z`` the
    frame-to-crop scale. The context size of the boxes is computed in float32, everything that
    meets the float64 state in float64 (SIAMRPN.md §8.5).
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


def corner_box(cx, cy, width, height):
    """(x, y, w, h) with the top-left corner at ``c - size/2`` (the tracker's output convention)."""
    return [cx - width / 2, cy - height / 2, width, height]
