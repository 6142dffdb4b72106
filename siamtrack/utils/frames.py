"""Frames: what a user hands the tracker becomes an HxWx3 BGR ``uint8`` image, and the one way
image files are listed (natural order) and read, for tracking, evaluation and training alike."""
import os
from typing import List

import cv2
import numpy as np

from .errors import InputError
from .natural_sort import natural_key

__all__ = ["IMAGE_EXTENSIONS", "FrameError", "normalize_frame", "read_image", "list_images"]

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm",
                              ".pgm", ".pbm"})


class FrameError(InputError):
    """A frame the tracker cannot use (wrong type, shape or dtype, or empty), or an image file
    that cannot be read."""


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


def read_image(path):
    """The image file ``path`` as ``cv2.imread`` reads it (HxWx3 BGR ``uint8``); raises
    :class:`FrameError` when it is missing or not an image OpenCV can decode."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        reason = "not an image OpenCV can decode" if os.path.isfile(path) else "file not found"
        raise FrameError(f"cannot read image {path}: {reason}")
    return normalize_frame(image)


def list_images(folder) -> List[str]:
    """Paths of the image files of ``folder`` (extensions :data:`IMAGE_EXTENSIONS`, any case)
    in natural order (:func:`~siamtrack.utils.natural_sort.natural_key` of the file name);
    ``[]`` when the folder does not exist or holds no image."""
    folder = str(folder)
    if not os.path.isdir(folder):
        return []
    with os.scandir(folder) as entries:  # is_file() needs no stat call on most file systems
        names = [e.name for e in entries
                 if os.path.splitext(e.name)[1].lower() in IMAGE_EXTENSIONS and e.is_file()]
    return [os.path.join(folder, n) for n in sorted(names, key=natural_key)]
