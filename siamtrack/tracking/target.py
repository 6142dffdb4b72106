"""One tracked target's state, and the checks of the boxes users give."""
import math

import numpy as np

from ..structures.crop import check_box_size
from ..utils.errors import InputError

__all__ = ["Target", "TrackerInputError", "LostRule", "validate_box", "is_single_box"]


class TrackerInputError(InputError):
    """An init box the tracker cannot use; the message is one line meant for users."""


class Target:
    """Per-target state: centre and size (float64 arrays, frame pixels), the init frame's mean
    colour (the crops' padding), the model's template state of this target alone (batch of
    one), and whether it is ``lost`` (with ``lost_run``, the frames counted towards switching,
    see :class:`LostRule`). Trackers may add their own fields."""

    def __init__(self, center, size, average, state):
        self.center = center
        self.size = size
        self.average = average
        self.state = state
        self.lost = False
        self.lost_run = 0


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


def validate_box(box, frame_shape=None):
    """Return ``box`` as four floats ``(x, y, w, h)``, or raise :class:`TrackerInputError`.

    The size must be positive and finite; with ``frame_shape`` the box must overlap the frame
    and fit the crop's size limit (``structures.crop.check_box_size``).
    """
    try:
        values = [float(v) for v in box]
    except (TypeError, ValueError):
        raise TrackerInputError(f"a box must be 4 numbers x,y,w,h, got {box!r}") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise TrackerInputError(f"a box must be 4 finite numbers x,y,w,h, got {box!r}")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise TrackerInputError(f"box {x:g},{y:g},{w:g},{h:g} has zero or negative size")
    if frame_shape is not None:
        height, width = frame_shape[:2]
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            raise TrackerInputError(
                f"box {x:g},{y:g},{w:g},{h:g} lies outside the {width}x{height} frame")
        check_box_size(w, h, frame_shape)
    return values


def is_single_box(box):
    """True for one box (4 numbers), False for a sequence of boxes."""
    if isinstance(box, np.ndarray):
        return box.ndim == 1
    return len(box) == 0 or not hasattr(box[0], "__len__")
