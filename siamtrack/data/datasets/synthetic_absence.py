"""Synthetic clips in which the target disappears: it leaves the frame and comes back, and a
wall slides over it, hides it completely and slides away (docs/tracking.md, "Target lost").

Each clip is a :class:`~siamtrack.data.datasets.synthetic.SyntheticVideo` (the same textures,
distractors, partial bar occlusion, blur and lighting) with two absence events in random order
and, per frame, the **visible fraction** of the target: the share of its pixels (rectangle or
ellipse, as rendered) that lie inside the frame and are covered by neither the bar nor the
wall. Every frame is a pure function of ``(seed, clip index, frame index)``.
"""
import cv2
import numpy as np

from .synthetic import FRAME_SIZE, SyntheticVideo

__all__ = ["ABSENCE_SEED", "ABSENCE_FRAMES", "AbsenceVideo", "absence_clip"]

ABSENCE_SEED, ABSENCE_FRAMES = 2000, 150
_SETTLE = 15  # frames tracked before the first event


def _ramp(n, start, ramp, hold):
    """0 before ``start``, rising smoothly to 1 over ``ramp`` frames, 1 for ``hold`` frames,
    falling back to 0 over ``ramp`` frames (n values)."""
    t = np.arange(n, dtype=np.float64) - start
    up = np.clip(t / ramp, 0, 1)
    down = np.clip((t - ramp - hold) / ramp, 0, 1)
    return up * up * (3 - 2 * up) - down * down * (3 - 2 * down)


class AbsenceVideo(SyntheticVideo):
    """A synthetic clip with one exit from the frame and one full occlusion by a wall.

    ``boxes`` are the target's boxes (partly or wholly outside the frame during the exit),
    ``visible`` its visible fraction per frame (0 to 1), ``events`` the ``(kind, first frame
    of the ramp, ramp, hold)`` of the two events (``kind`` ``"exit"`` or ``"wall"``).
    """

    def __init__(self, seed, index, num_frames=ABSENCE_FRAMES, size=FRAME_SIZE):
        """Clip ``index`` of ``seed`` with ``num_frames`` (at least 100) frames of ``size``."""
        super().__init__(seed, index, num_frames, size)
        if self.num_frames < 100:
            raise ValueError(f"an absence clip needs at least 100 frames, got {num_frames}")
        rng = np.random.default_rng([self.seed, self.index, 3])
        kinds = ["exit", "wall"] if rng.integers(2) else ["wall", "exit"]
        budget = (self.num_frames - _SETTLE - 10) // 2  # frames per event, gaps included
        self.events, start = [], _SETTLE
        for kind in kinds:
            ramp = int(rng.integers(4, 9))
            hold = int(rng.integers(8, max(9, budget - 2 * ramp - 10)))
            self.events.append((kind, start, ramp, hold))
            start += 2 * ramp + hold + int(rng.integers(10, 16))
        self._wall = None
        for kind, start, ramp, hold in self.events:
            alpha = _ramp(self.num_frames, start, ramp, hold)
            if kind == "exit":
                self._move_out(alpha, start)
            else:
                self._wall = (alpha, bool(rng.integers(2)))
        self.visible = np.array([self._visible_fraction(i) for i in range(self.num_frames)])

    def _move_out(self, alpha, start):
        """Shift the boxes out through the frame edge nearest to the target at ``start``."""
        w, h = self.width, self.height
        x, y, bw, bh = self.boxes[start]
        gaps = {"left": x + bw, "right": w - x, "top": y + bh, "bottom": h - y}
        edge = min(gaps, key=gaps.get)
        boxes = self.boxes.astype(np.float64)
        axis, sign = {"left": (0, -1), "right": (0, 1), "top": (1, -1), "bottom": (1, 1)}[edge]
        size = boxes[:, 2 + axis]
        extent = w if axis == 0 else h
        # fully out: the near side of the box 10 px beyond the edge
        out = -(boxes[:, axis] + size + 10) if sign < 0 else extent + 10 - boxes[:, axis]
        boxes[:, axis] += np.floor(alpha * out)
        self.boxes = boxes

    def wall_box(self, frame_index):
        """The box (x, y, w, h) of the wall in frame ``frame_index``, or None: 1.6 times the
        target's box plus 12 px, centred on it while ``alpha`` is 1, beside it (off it) at 0."""
        if self._wall is None:
            return None
        alpha, vertical = self._wall
        a = alpha[frame_index]
        if a <= 0:
            return None
        x, y, w, h = self.boxes[frame_index]
        ww, wh = 1.6 * w + 12, 1.6 * h + 12
        cx, cy = x + w / 2, y + h / 2
        shift = (1 - a) * ((ww + w) / 2 + 4)
        if vertical:
            cy -= shift
        else:
            cx -= shift
        return (int(cx - ww / 2), int(cy - wh / 2), int(ww), int(wh))

    def _visible_fraction(self, i):
        """Share of the target's rendered pixels inside the frame and not occluded in frame ``i``."""
        mask = self._assets()[3]
        x, y, w, h = (int(v) for v in self.boxes[i])
        if w <= 0 or h <= 0:
            return 0.0
        pixels = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST) > 127
        total = int(pixels.sum())
        canvas = np.zeros((self.height, self.width), bool)
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, self.width), min(y + h, self.height)
        if x1 <= x0 or y1 <= y0 or total == 0:
            return 0.0
        canvas[y0:y1, x0:x1] = pixels[y0 - y:y1 - y, x0 - x:x1 - x]
        for box in (self.occluder_box(i), self.wall_box(i)):
            if box is not None:
                bx, by, bw, bh = (int(v) for v in box)
                canvas[max(by, 0):max(by + bh, 0), max(bx, 0):max(bx + bw, 0)] = False
        return float(canvas.sum()) / total

    def __call__(self, frame_index):
        """Render frame ``frame_index`` (the synthetic video, the wall pasted over it)."""
        frame = super().__call__(frame_index)
        box = self.wall_box(int(frame_index))
        if box is not None:
            occluder = self._assets()[4]
            wall = np.ascontiguousarray(occluder[::-1])  # the bar's texture, flipped
            self._paste(frame, wall, np.full(wall.shape[:2], 255, np.uint8), box)
        return frame


def absence_clip(index, seed=ABSENCE_SEED, num_frames=ABSENCE_FRAMES, size=FRAME_SIZE):
    """Render absence clip ``index``: ``(frames, boxes (N, 4) x,y,w,h, visible fraction (N,))``."""
    video = AbsenceVideo(seed, index, num_frames, size)
    return [video(i) for i in range(video.num_frames)], video.boxes.copy(), video.visible.copy()
