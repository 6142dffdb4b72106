"""Template and search windows: the context-padded square around a target.

The same arithmetic serves tracking (``crop_subwindow``, bit-exact to pysot's tracker) and
training pairs (which warp the same square out of the full image).
"""
import math

import cv2
import numpy as np


def context_side(w, h, context_amount=0.5):
    """Side of the square template window around a ``w x h`` target: sqrt((w+p)(h+p)), p = c(w+h)."""
    p = context_amount * (w + h)
    return math.sqrt((w + p) * (h + p))


def window_origin(center, side):
    """Top-left corner (x0, y0) of the ``side`` x ``side`` window centred on ``center``:
    ``floor(c - (side+1)/2 + 0.5)`` (SIAMRPN.md §8.3)."""
    half = (side + 1) / 2
    return math.floor(center[0] - half + 0.5), math.floor(center[1] - half + 0.5)


def crop_subwindow(frame, center, out_size, side, average):
    """Crop the square ``side`` x ``side`` window centred on ``center`` and resize it to ``out_size``.

    Exactly pysot's ``get_subwindow``: the corner is ``floor(c - (side+1)/2 + 0.5)``, pixels
    outside the frame take ``average`` truncated to uint8, and the uint8 patch is resized with
    OpenCV's bilinear interpolation. ``frame`` is an HxWx3 uint8 BGR image, ``center`` (cx, cy),
    ``side`` an integer. Returns an HxWx3 uint8 patch (``out_size`` square).
    """
    side = int(side)
    height, width = frame.shape[:2]
    x0, y0 = window_origin(center, side)
    x1 = x0 + side - 1
    y1 = y0 + side - 1
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = max(0, x1 - width + 1), max(0, y1 - height + 1)
    if left or top or right or bottom:
        canvas = np.empty((height + top + bottom, width + left + right, 3), np.uint8)
        canvas[...] = np.asarray(average, dtype=np.float64).astype(np.uint8)
        canvas[top : top + height, left : left + width] = frame
        patch = canvas[y0 + top : y1 + top + 1, x0 + left : x1 + left + 1]
    else:
        patch = frame[y0 : y1 + 1, x0 : x1 + 1]
    if out_size != side:
        patch = cv2.resize(patch, (out_size, out_size))
    return patch
