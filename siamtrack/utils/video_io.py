"""Frame sources (``tools/track_video.py``, ``tools/benchmark_tracker.py``): a video file, a
folder of images (the order and reader of :mod:`siamtrack.utils.frames`), or a camera.
Annotated videos are written by :mod:`.video_encode`.

A video file that ends before the frame count its header announces (by more than
:func:`count_tolerance` frames, for containers whose count is an estimate from duration x fps)
is truncated or damaged: :meth:`VideoFileSource.read` raises :class:`VideoSourceError` instead
of ending quietly. FFmpeg's own decoder warnings are silenced (``OPENCV_FFMPEG_LOGLEVEL``, unless
set by the user), so that a damaged file gives that one line, not a page of codec messages.
"""
import math
from pathlib import Path

import cv2

from .errors import InputError
from .frames import FrameError, list_images, normalize_frame, read_image
from . import video_encode  # noqa: F401  (importing it silences FFmpeg's log)

__all__ = ["VideoSourceError", "VideoFileSource", "CameraSource", "ImageFolderSource",
           "open_video", "read_first_frame", "count_tolerance"]


def count_tolerance(announced):
    """How many frames short of its announced count a video may end without being reported
    as truncated: 1% of the count, at least 1."""
    return max(1, math.ceil(announced / 100))


class VideoSourceError(InputError):
    """A video that cannot be opened or read; the message is one line meant for users."""


class _Source:
    """Iterates over normalised BGR ``uint8`` frames; ``read()`` returns the next one or None."""

    name = ""
    fps = 30.0
    frame_count = None  # None when unknown (cameras)

    def read(self):
        """The next frame (HxWx3 BGR uint8), or None at the end."""
        raise NotImplementedError

    def __iter__(self):
        while True:
            frame = self.read()
            if frame is None:
                return
            yield frame

    def close(self):
        """Release the underlying file or device."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class VideoFileSource(_Source):
    """Frames of a video file OpenCV can decode."""

    def __init__(self, path):
        self._open(cv2.VideoCapture(str(path)), str(path),
                   f"cannot read video {path}: not a video file OpenCV can decode")
        count = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if math.isfinite(count) and count > 0 else None
        self.frames_read = 0

    def _open(self, capture, name, error):
        """Keep ``capture`` and its frame rate (30 when unknown); raise ``error`` if it is not open."""
        self.name = name
        self._capture = capture
        if not capture.isOpened():
            capture.release()
            raise VideoSourceError(error)
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and fps > 0 else 30.0

    def read(self):
        """The next frame (HxWx3 BGR uint8), or None at the end of the video; raises
        :class:`VideoSourceError` when the video ends well before its announced frame count."""
        ok, frame = self._capture.read()
        if ok and frame is not None:
            self.frames_read += 1
            return normalize_frame(frame)
        announced = self.frame_count
        if announced and self.frames_read < announced - count_tolerance(announced):
            raise VideoSourceError(
                f"{self.name} ends after {self.frames_read} frames but its header announces {announced}: "
                "the file is truncated or damaged")
        return None

    def close(self):
        """Release the underlying capture."""
        self._capture.release()


class CameraSource(VideoFileSource):
    """Frames of a camera (OpenCV device index)."""

    def __init__(self, index):
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # a missing camera: no WARN lines
        try:
            capture = cv2.VideoCapture(int(index))
        finally:
            cv2.utils.logging.setLogLevel(level)
        self._open(capture, f"camera {index}", f"cannot open camera {index}")
        self.frame_count, self.frames_read = None, 0


class ImageFolderSource(_Source):
    """Images of a folder in natural order (:func:`~siamtrack.utils.frames.list_images`), read
    as ``cv2.imread`` does (BGR, 3 channels)."""

    def __init__(self, folder):
        self.name = str(folder)
        self.paths = [Path(p) for p in list_images(folder)]
        self.frame_count = len(self.paths)
        self._next = 0

    def read(self):
        """The next image (HxWx3 BGR uint8), or None after the last; raises
        :class:`VideoSourceError` for a file OpenCV cannot decode."""
        if self._next >= len(self.paths):
            return None
        path = self.paths[self._next]
        try:
            frame = read_image(path)
        except FrameError:
            raise VideoSourceError(f"cannot read frame {self._next} ({path}): not an image OpenCV "
                                   "can decode") from None
        self._next += 1
        return frame


def open_video(spec):
    """Open ``spec``: a video file, a folder of images (natural sort) or a camera index ("0").

    Raises :class:`VideoSourceError` when it does not exist or cannot be opened.
    """
    spec = str(spec)
    path = Path(spec)
    if spec.isdigit() and not path.exists():
        return CameraSource(int(spec))
    if not path.exists():
        raise VideoSourceError(f"video not found: {spec}")
    if path.is_dir():
        return ImageFolderSource(path)
    return VideoFileSource(path)


def read_first_frame(source):
    """The first frame of ``source``; raises :class:`VideoSourceError` if it has none."""
    frame = source.read()
    if frame is None:
        raise VideoSourceError(f"{source.name} has no frames")
    return frame
