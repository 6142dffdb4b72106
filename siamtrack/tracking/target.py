"""One tracked target's state, and the checks of what users hand the tracker (the API's edge)."""
import math

import numpy as np

from ..structures.crop import check_box_size
from ..utils.errors import InputError
from .postprocess import LostRule

__all__ = ["Target", "TrackerInputError", "TrackerStateError", "LostRule", "validate_box", "is_single_box"]


class TrackerInputError(InputError):
    """A box, config or model the tracker cannot use; the message is one line meant for users."""


class TrackerStateError(InputError, RuntimeError):
    """A call the tracker's state does not allow (``track`` before ``init``, an unknown target
    id); one line for users. Also a ``RuntimeError``, what these calls raised before."""


class Target:
    """Per-target state: centre and size (float64 arrays, frame pixels), the init frame's mean
    colour (the crops' padding), the model's template state of this target alone (batch of
    one), and whether it is ``lost`` (with ``lost_run``, the frames counted towards switching,
    see :class:`~siamtrack.tracking.postprocess.LostRule`). Trackers may add their own fields."""

    def __init__(self, center, size, average, state):
        self.center = center
        self.size = size
        self.average = average
        self.state = state
        self.lost = False
        self.lost_run = 0


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
