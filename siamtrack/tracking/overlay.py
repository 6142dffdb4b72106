"""Drawing tracking results on a frame: the annotated video of ``siamtrack-track``.

Each target gets its box and a label (``#id``, the score unless hidden, ``init`` on the first
frame, ``lost`` when the tracker reports the target lost) on a filled background, kept inside
the frame. Lost targets are drawn grey and dashed. The frame number sits in the top-left corner;
on the init frame it reads ``frame 0 init`` on an orange background.
"""
from typing import Any, NamedTuple, Optional, Sequence

import cv2

from .mask_outputs import draw_mask

__all__ = ["TargetResult", "draw_results"]

COLORS = [(0, 200, 0), (0, 0, 255), (255, 80, 0), (0, 220, 255), (255, 0, 255), (255, 255, 0)]
LOST_COLOR = (160, 160, 160)
INIT_COLOR = (0, 140, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX
DASH = 8  # pixels drawn, then as many skipped


class TargetResult(NamedTuple):
    """One target in one frame: its box ``x, y, w, h``, score (None on the init frame),
    whether the tracker reports it lost, and a mask tracker's ``polygon`` (8 floats) and binary
    ``mask`` (H x W bool; None otherwise)."""

    target_id: int
    bbox: Sequence[float]
    score: Optional[float]
    lost: bool = False
    polygon: Optional[Sequence[float]] = None
    mask: Optional[Any] = None


def _text_color(background):
    """Black on light backgrounds, white on dark ones (BGR luminance)."""
    b, g, r = background
    return (0, 0, 0) if 0.114 * b + 0.587 * g + 0.299 * r > 140 else (255, 255, 255)


def _label(canvas, text, anchor, color, scale):
    """``text`` on a filled ``color`` box whose bottom-left is ``anchor`` (x, y), moved inside
    the frame where it would stick out."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, 1)
    height, width = canvas.shape[:2]
    x = min(max(anchor[0], 0), max(width - tw - 4, 0))
    y = min(max(anchor[1], th + base + 2), height - 1)
    cv2.rectangle(canvas, (x, y - th - base - 2), (x + tw + 4, y), color, cv2.FILLED)
    cv2.putText(canvas, text, (x + 2, y - base), FONT, scale, _text_color(color), 1, cv2.LINE_AA)


def _dashed_rectangle(canvas, p0, p1, color, thickness):
    (x0, y0), (x1, y1) = p0, p1
    for a, b, fixed, horizontal in ((x0, x1, y0, True), (x0, x1, y1, True), (y0, y1, x0, False), (y0, y1, x1, False)):
        for start in range(min(a, b), max(a, b) + 1, 2 * DASH):
            end = min(start + DASH, max(a, b))
            ends = ((start, fixed), (end, fixed)) if horizontal else ((fixed, start), (fixed, end))
            cv2.line(canvas, ends[0], ends[1], color, thickness)


def draw_results(frame, index, results, show_score=True, init=False):
    """A copy of ``frame`` with ``results`` (:class:`TargetResult`) and the frame number
    ``index`` drawn on it; ``init`` marks the frame the targets were given on."""
    canvas = frame.copy()
    height = canvas.shape[0]
    scale = min(max(height / 900, 0.4), 1.0)
    thickness = 1 if height < 200 else 2
    for result in results:
        x, y, w, h = (float(v) for v in result.bbox)
        p0, p1 = (int(round(x)), int(round(y))), (int(round(x + w)), int(round(y + h)))
        color = LOST_COLOR if result.lost else COLORS[result.target_id % len(COLORS)]
        draw_mask(canvas, result.mask, result.polygon, color, thickness)
        if result.lost:
            _dashed_rectangle(canvas, p0, p1, color, thickness)
        else:
            cv2.rectangle(canvas, p0, p1, color, thickness)
        parts = [f"#{result.target_id}"]
        if show_score and result.score is not None:
            parts.append(f"{float(result.score):.2f}")
        if init:
            parts.append("init")
        if result.lost:
            parts.append("lost")
        _label(canvas, " ".join(parts), (p0[0], p0[1] - 1), color, scale)
    corner = f"frame {index} init" if init else f"frame {index}"
    _label(canvas, corner, (0, 0), INIT_COLOR if init else (40, 40, 40), scale)
    return canvas
