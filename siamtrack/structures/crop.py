"""THE crop of Siamese trackers: the context window around a target, cut and resized.

The window (docs/tracking.md, "The crop") is the square of side
:func:`context_side` ``* instance / exemplar`` centred on the target, with the top-left corner
``floor(c - (side + 1) / 2 + 0.5)`` (:func:`window_origin`); pixels outside the frame take the
frame's mean colour truncated to ``uint8``; the ``uint8`` window is resized with OpenCV's
bilinear interpolation. Training pairs (``siamtrack.data.pair_crop``) use the same
:func:`context_side`.

Two implementations give the same pixels: :func:`crop_window` / :func:`opencv_crops` call
OpenCV on the CPU; :func:`torch_crops` reproduces OpenCV's fixed-point interpolation (11-bit
coefficients, the rounding of its vertical pass, the 2x-downscale shortcut) with integer tensor
ops, so a frame uploaded once to the GPU yields the same crops without a round trip through
host memory.

Size limits, checked before anything is allocated (docs/tracking.md, "The crop"): a box may be
at most :data:`MAX_BOX_TO_FRAME` times the frame's longer side wide and high
(:func:`check_box_size`, called by every tracker's box validation), and a crop window at most
:data:`MAX_WINDOW_TO_FRAME` times that side (:func:`check_window_side`, in both crop
implementations). pysot's trackers keep a target's size within the frame once tracking, so only
an init box many times the frame (``0,0,20000,20000`` in a 480x360 video asked OpenCV for a
24 GB padded window) or a huge config ratio can reach them.
"""
import math
from functools import lru_cache

import cv2
import numpy as np
import torch

from ..utils.errors import InputError
from .upload import upload

__all__ = ["MAX_BOX_TO_FRAME", "MAX_WINDOW_TO_FRAME", "CropSizeError", "context_side", "window_origin",
           "check_box_size", "check_window_side", "crop_window", "opencv_crops", "torch_crops"]

# A box B times the frame's longer side L gives a template window of up to 2BL and a search window
# of up to 2BL * INSTANCE_SIZE / EXEMPLAR_SIZE (287 / 127 for pysot's AlexNet): 13.6L for B = 3.
# The long-term tracker's enlarged search after a loss (831 / 127) stays below 13.1L, its size
# being clipped to the frame by then. 16L: a 7680x7680 window (177 MB) for a 480x360 video.
MAX_BOX_TO_FRAME = 3
MAX_WINDOW_TO_FRAME = 16

_COEF_BITS = 11
_COEF_SCALE = 1 << _COEF_BITS


def context_side(w, h, context_amount=0.5):
    """Side of the square template window around a ``w x h`` target: sqrt((w+p)(h+p)), p = c(w+h)."""
    p = context_amount * (w + h)
    return math.sqrt((w + p) * (h + p))


def window_origin(center, side):
    """Top-left corner (x0, y0) of the ``side`` x ``side`` window centred on ``center``:
    ``floor(c - (side+1)/2 + 0.5)``. (The window's centre ``x0 + (side-1)/2`` so lies 0.5 to 1.5
    pixels left / above ``c``; pysot does not compensate it, nor does siamtrack.)"""
    half = (side + 1) / 2
    return math.floor(center[0] - half + 0.5), math.floor(center[1] - half + 0.5)


class CropSizeError(InputError):
    """A crop window too large for the frame (:data:`MAX_WINDOW_TO_FRAME`); one line for users."""


def check_box_size(width, height, frame_shape):
    """Raise :class:`CropSizeError` when a ``width`` x ``height`` box is wider or higher than
    :data:`MAX_BOX_TO_FRAME` times the longer side of a frame of ``frame_shape``."""
    limit = MAX_BOX_TO_FRAME * max(frame_shape[0], frame_shape[1])
    if not (width <= limit and height <= limit):
        raise CropSizeError(
            f"a {width:.6g}x{height:.6g} box is larger than {MAX_BOX_TO_FRAME} times the longer side of the "
            f"{frame_shape[1]}x{frame_shape[0]} frame ({limit} px): its crop window would not fit in memory")


def check_window_side(side, frame_shape):
    """Raise :class:`CropSizeError` when a ``side`` x ``side`` window (infinite or NaN included)
    exceeds :data:`MAX_WINDOW_TO_FRAME` times the longer side of a frame of ``frame_shape``."""
    limit = MAX_WINDOW_TO_FRAME * max(frame_shape[0], frame_shape[1])
    if not side <= limit:  # also catches NaN
        raise CropSizeError(
            f"the target's crop window ({side:.6g} px) would exceed {MAX_WINDOW_TO_FRAME} times the frame's "
            f"longer side ({limit} px) in a {frame_shape[1]}x{frame_shape[0]} frame: the box is far larger "
            "than the frame")


def crop_window(frame, center, out_size, side, average):
    """pysot's crop (``get_subwindow``) of the ``side`` x ``side`` window centred on ``center``,
    resized to ``out_size``.

    ``frame`` is an HxWx3 uint8 BGR image, ``center`` (cx, cy), ``side`` an integer. The corner
    is :func:`window_origin`; pixels outside the frame take ``average`` truncated to uint8; the
    uint8 patch is resized with OpenCV's bilinear interpolation. Returns an ``out_size`` square
    HxWx3 uint8 patch (a view of ``frame`` when nothing is padded or resized).

    pysot pads a mean-filled copy of the whole frame; here only the window is padded
    (``cv2.copyMakeBorder`` of its part inside the frame): the same pixels, in microseconds
    instead of milliseconds on a large search window. A window beyond the size limit raises
    :class:`CropSizeError` (:func:`check_window_side`).
    """
    check_window_side(side, frame.shape)
    side = int(side)
    height, width = frame.shape[:2]
    x0, y0 = window_origin(center, side)
    x1, y1 = x0 + side - 1, y0 + side - 1
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = max(0, x1 - width + 1), max(0, y1 - height + 1)
    if left or top or right or bottom:
        fill = np.asarray(average, dtype=np.float64).astype(np.uint8)
        ys, ye = max(y0, 0), min(y1 + 1, height)
        xs, xe = max(x0, 0), min(x1 + 1, width)
        if ye <= ys or xe <= xs:  # the window misses the frame entirely
            patch = np.empty((side, side, 3), np.uint8)
            patch[...] = fill
        else:
            patch = cv2.copyMakeBorder(frame[ys:ye, xs:xe], top, bottom, left, right, cv2.BORDER_CONSTANT,
                                       value=[int(v) for v in fill])
    else:
        patch = frame[y0:y1 + 1, x0:x1 + 1]
    if out_size != side:
        patch = cv2.resize(patch, (out_size, out_size))
    return patch


def opencv_crops(frame, windows, out_size, device):
    """Crop every ``(center, side, average)`` window of ``frame`` with OpenCV.

    Returns a float32 (N, 3, out_size, out_size) BGR 0..255 NCHW-contiguous tensor on ``device``:
    the layout in which pysot's crops reach its network (docs/tracking.md, "Exactness and speed
    options"), which selects the convolution kernels and so the last bits of every output.
    """
    for _, side, _ in windows:  # all of them before any allocation
        check_window_side(side, frame.shape)
    patches = np.stack([crop_window(frame, c, out_size, s, a) for c, s, a in windows])
    # NumPy converts (single-threaded: no thread-pool wake-up cost for this small copy).
    batch = torch.from_numpy(np.ascontiguousarray(patches.transpose(0, 3, 1, 2), dtype=np.float32))
    return batch.to(device, non_blocking=True)


@lru_cache(maxsize=64)
def _linear_taps(src_size, dst_size, clamp_weights):
    """OpenCV's INTER_LINEAR taps of one axis: first and second source index and their integer
    weights, each (dst_size,).

    OpenCV clamps columns by moving the weight onto the edge pixel (``clamp_weights``) but rows
    only by clamping the row index, keeping both weights: the two differ in the last bit.
    """
    scale = 1.0 / (dst_size / src_size)  # OpenCV inverts the dst/src ratio
    index = np.empty(dst_size, np.int64)
    w0 = np.empty(dst_size, np.int64)
    w1 = np.empty(dst_size, np.int64)
    one = np.float32(_COEF_SCALE)
    for d in range(dst_size):
        f = np.float32((d + 0.5) * scale - 0.5)
        s = math.floor(f)
        f = np.float32(f - np.float32(s))
        if clamp_weights and s < 0:
            s, f = 0, np.float32(0)
        if clamp_weights and s >= src_size - 1:
            s, f = src_size - 1, np.float32(0)
        index[d] = s
        # saturate_cast<short>(float) rounds half to even, like np.rint.
        w0[d] = int(np.rint((np.float32(1) - f) * one))
        w1[d] = int(np.rint(f * one))
    second = np.clip(index + 1, 0, src_size - 1)
    return np.clip(index, 0, src_size - 1), second, w0, w1


def _axis_taps(origin, side, out_size, limit, clamp_weights):
    """Frame coordinates (2, out) clipped to the frame, validity (2, out) and weights (2, out), or
    None for an exact 2x downscale, of one axis of a window's resize (NumPy, int64)."""
    if side == out_size:
        src = np.arange(side, dtype=np.int64)
        nxt, w0, w1 = src, np.full(side, _COEF_SCALE), np.zeros(side, np.int64)
    elif side == 2 * out_size:
        src = 2 * np.arange(out_size, dtype=np.int64)
        nxt, w0, w1 = src + 1, None, None
    else:
        src, nxt, w0, w1 = _linear_taps(side, out_size, clamp_weights)
    coords = np.stack([src, nxt]) + origin
    valid = (coords >= 0) & (coords < limit)
    weights = None if w0 is None else np.stack([w0, w1])
    return np.clip(coords, 0, limit - 1), valid, weights


def _torch_crop(frame, xs, xvalid, xw, ys, yvalid, yw, fill):
    """One window of a (H, W, 3) uint8 device tensor as a (3, out, out) float32 tensor, from its
    taps (:func:`_axis_taps`, on the device)."""
    # taps[i, j] is the pixel at (row tap i, column tap j): (2, out, 2, out, 3) int32.
    taps = frame[ys[:, :, None, None], xs[None, None]]
    valid = (yvalid[:, :, None, None] & xvalid[None, None])[..., None]
    taps = torch.where(valid, taps, fill).to(torch.int32)
    if xw is None:  # exact 2x downscale: OpenCV switches to area averaging
        total = taps.sum(dim=(0, 2))
        out = (total + 2) >> 2
    else:
        rows = taps[:, :, 0] * xw[0][None, None, :, None] + taps[:, :, 1] * xw[1][None, None, :, None]
        b0, b1 = yw[0][:, None, None], yw[1][:, None, None]
        out = (((b0 * (rows[0] >> 4)) >> 16) + ((b1 * (rows[1] >> 4)) >> 16) + 2) >> 2
    return out.permute(2, 0, 1).float()


def torch_crops(frame, windows, out_size):
    """Crop every ``(center, side, average)`` window of ``frame``, a (H, W, 3) uint8 tensor.

    Returns a float32 (N, 3, out_size, out_size) NCHW-contiguous tensor on the frame's device,
    equal to :func:`opencv_crops` of the same frame. The windows' index and weight tables go to
    the device in one upload (:func:`~siamtrack.structures.upload.upload`).
    """
    for _, side, _ in windows:
        check_window_side(side, frame.shape)
    height, width = frame.shape[:2]
    tables, layouts = [], []
    for center, side, average in windows:
        side = int(side)
        x0, y0 = window_origin(center, side)
        x_axis = _axis_taps(x0, side, out_size, width, True)
        y_axis = _axis_taps(y0, side, out_size, height, False)
        fill = np.asarray(average, np.float64).astype(np.uint8).astype(np.int64)
        parts = [p for p in (*x_axis, *y_axis, fill) if p is not None]
        tables += [p.astype(np.int64).reshape(-1) for p in parts]
        layouts.append(x_axis[2] is None)
    device_tables = upload(np.concatenate(tables), frame.device)
    crops, start = [], 0
    for downscale in layouts:
        sizes = [2 * out_size] * (4 if downscale else 6) + [3]
        pieces = []
        for size in sizes:
            pieces.append(device_tables[start:start + size])
            start += size
        if downscale:
            (xs, xvalid, ys, yvalid), xw, yw = (p.view(2, -1) for p in pieces[:4]), None, None
        else:
            xs, xvalid, xw, ys, yvalid, yw = (p.view(2, -1) for p in pieces[:6])
            xw, yw = xw.to(torch.int32), yw.to(torch.int32)
        fill = pieces[-1].to(torch.uint8)
        crops.append(_torch_crop(frame, xs, xvalid != 0, xw, ys, yvalid != 0, yw, fill))
    return torch.stack(crops).contiguous()
