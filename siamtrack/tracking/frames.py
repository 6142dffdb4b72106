"""Frame normalisation: whatever a user hands the tracker becomes an HxWx3 BGR ``uint8`` image."""
import cv2
import numpy as np

from ..utils.errors import InputError


class FrameError(InputError):
    """A frame the tracker cannot use (wrong type, shape or dtype, or empty)."""


def normalize_frame(frame):
    """Return ``frame`` as a C-contiguous HxWx3 BGR ``uint8`` array (no copy when it already is).

    Accepted: BGR ``uint8`` as OpenCV reads it; greyscale (HxW or HxWx1, replicated to three
    channels, as ``cv2.imread`` does for grey files); BGRA (HxWx4, alpha dropped); ``uint16``
    images (scaled to 8 bits). Anything else raises :class:`FrameError`.
    """
    if not isinstance(frame, np.ndarray):
        raise FrameError(f"a frame must be a numpy array, got {type(frame).__name__}")
    if frame.ndim not in (2, 3) or frame.shape[0] == 0 or frame.shape[1] == 0:
        raise FrameError(f"a frame must be an HxW or HxWxC image, got shape {frame.shape}")
    if frame.dtype == np.uint16:
        frame = (frame >> 8).astype(np.uint8)
    elif frame.dtype != np.uint8:
        raise FrameError(f"frames must be uint8 (BGR as OpenCV reads them), got {frame.dtype}")
    channels = 1 if frame.ndim == 2 else frame.shape[2]
    if channels == 1:
        frame = cv2.cvtColor(np.ascontiguousarray(frame.reshape(frame.shape[:2])), cv2.COLOR_GRAY2BGR)
    elif channels == 4:
        frame = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_BGRA2BGR)
    elif channels != 3:
        raise FrameError(f"frames need 1, 3 or 4 channels, got {channels}")
    return np.ascontiguousarray(frame)
