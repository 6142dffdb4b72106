"""Anchor shapes and the score-map grids they are placed on (pysot's ``Anchors``).

Every grid here is flattened anchor-major: index ``a * S * S + y * S + x`` for anchor ``a`` at
score-map cell ``(y, x)``, the layout of the ``cls`` / ``loc`` channels (docs/model.md, "Anchors").
"""
import math

import numpy as np


def generate_base_anchors(stride, ratios, scales):
    """Anchor shapes as float32 corners ``(-w/2, -h/2, w/2, h/2)``, shape (k, 4).

    Widths and heights are truncated to integers before scaling (``ws = int(sqrt(stride^2/r))``,
    ``hs = int(ws * r)``), exactly as pysot; the exact real-valued sizes would break checkpoint
    compatibility. Ratios form the outer loop, scales the inner one.
    """
    area = stride * stride
    shapes = []
    for ratio in ratios:
        ws = int(math.sqrt(area * 1.0 / ratio))
        hs = int(ws * ratio)
        for scale in scales:
            w, h = ws * scale, hs * scale
            shapes.append([-w * 0.5, -h * 0.5, w * 0.5, h * 0.5])
    return np.asarray(shapes, dtype=np.float32)


def score_map_size(instance_size, exemplar_size, stride, offset):
    """Side S of the tracker's score map: ``(instance - exemplar) // stride + 1 + offset``
    (``offset`` is ``TRACK.SCORE_SIZE_OFFSET``: 8 for the padded ResNet / MobileNet heads, 0 for AlexNet)."""
    return (instance_size - exemplar_size) // stride + 1 + offset


def _grid(base_anchors, stride, size, origin):
    """(k*S*S, 4) float32 centre-size anchors with centres ``origin + stride * (x, y)``."""
    k = base_anchors.shape[0]
    x1, y1, x2, y2 = base_anchors.T
    widths = (x2 - x1).astype(np.float32)
    heights = (y2 - y1).astype(np.float32)
    offsets = origin + stride * np.arange(size, dtype=np.float64)
    ys, xs = np.meshgrid(offsets, offsets, indexing="ij")
    grid = np.empty((k, size, size, 4), dtype=np.float32)
    grid[..., 0] = xs.astype(np.float32)
    grid[..., 1] = ys.astype(np.float32)
    grid[..., 2] = widths[:, None, None]
    grid[..., 3] = heights[:, None, None]
    return grid.reshape(-1, 4)


def tracker_anchor_grid(base_anchors, stride, score_size):
    """Tracker anchors (cx, cy, w, h), float32, relative to the search-crop centre.

    Centres run from ``-(S // 2) * stride`` in steps of ``stride``.
    """
    return _grid(base_anchors, stride, score_size, -(score_size // 2) * stride)


def training_anchor_grid(base_anchors, stride, score_size, search_size):
    """Training anchors (cx, cy, w, h), float32, in absolute search-crop pixels.

    Centres start at ``search_size // 2 - (S // 2) * stride``, so the centre
    anchor sits on pixel ``search_size // 2``, where an unshifted target is.
    """
    return _grid(base_anchors, stride, score_size, search_size // 2 - (score_size // 2) * stride)

