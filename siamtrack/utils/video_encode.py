"""Video encoders: the codec chosen for a container, and frame sizes kept exactly or padded.

What this build of OpenCV does, measured (docs/tracking.md, "Annotated video"):

* H.264 (``avc1``) needs an FFmpeg with an H.264 encoder; the opencv-python wheels have none
  (only the ``h264_v4l2m2m`` hardware wrapper, which fails without the device), so ``auto``
  probes it once and falls back to MPEG-4 Part 2 (``mp4v``), which most browsers do not play.
* OpenCV's FFmpeg writer silently drops the last column / row of a frame whose width / height is
  odd, whatever the codec. Frames for FFmpeg codecs are therefore padded to even sizes (black
  column on the right, black row at the bottom) so that no pixel is lost; OpenCV's own Motion
  JPEG writer (``.avi``) keeps any size exactly.
"""
import os
import tempfile
from functools import lru_cache

import cv2
import numpy as np

from .errors import InputError

__all__ = ["CODECS", "VIDEO_SUFFIXES", "VideoEncodeError", "silence_ffmpeg_log", "can_encode", "choose_codec",
           "VideoEncoder", "readable_frames"]

CODECS = ("auto", "avc1", "mp4v", "mjpg")
FFMPEG_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv")
VIDEO_SUFFIXES = FFMPEG_SUFFIXES + (".avi",)
CODEC_NAMES = {"avc1": "H.264", "mp4v": "MPEG-4 Part 2", "mjpg": "Motion JPEG"}


def silence_ffmpeg_log():
    """Quiet FFmpeg's own messages (decoder warnings of a damaged file, a missing encoder) unless
    the user set ``OPENCV_FFMPEG_LOGLEVEL``; OpenCV reads it when FFmpeg is first used."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET


silence_ffmpeg_log()


class VideoEncodeError(InputError):
    """A video that cannot be encoded as asked (container, codec); one line meant for users."""


def _open_writer(path, codec, fps, size):
    if codec == "mjpg":
        return cv2.VideoWriter(str(path), cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    return cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*codec), fps, size)


@lru_cache(maxsize=None)
def can_encode(codec, suffix):
    """Whether this OpenCV build encodes ``codec`` (``"avc1"``, ``"mp4v"``, ``"mjpg"``) into a
    ``suffix`` file: probed once per pair by writing one 16x16 frame to a temporary file, with
    OpenCV's log silenced (a missing encoder logs errors)."""
    with tempfile.TemporaryDirectory(prefix="siamtrack-codec-") as folder:
        level = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        try:
            writer = _open_writer(os.path.join(folder, "probe" + suffix), codec, 10.0, (16, 16))
            ok = writer.isOpened()
            if ok:
                writer.write(np.zeros((16, 16, 3), np.uint8))
            writer.release()
        finally:
            cv2.utils.logging.setLogLevel(level)
    return ok


def choose_codec(codec, suffix, probe=can_encode):
    """The codec to write a ``suffix`` video with: ``codec`` itself when this build can encode
    it, and for ``"auto"`` Motion JPEG for ``.avi``, else H.264 when ``probe("avc1", suffix)``
    says it is available, else ``mp4v``. Raises :class:`VideoEncodeError` for an unknown
    container or a codec the build lacks."""
    suffix = suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise VideoEncodeError(f"an annotated video must end in {', '.join(VIDEO_SUFFIXES)}, got {suffix or 'no extension'}")
    if codec not in CODECS:
        raise VideoEncodeError(f"unknown codec {codec!r}; choose one of {', '.join(CODECS)}")
    if codec == "auto":
        if suffix == ".avi":
            return "mjpg"
        return "avc1" if probe("avc1", suffix) else "mp4v"
    if codec == "mjpg" and suffix != ".avi":
        raise VideoEncodeError(f"codec mjpg writes .avi files only, not {suffix}")
    if codec != "mjpg" and not probe(codec, suffix):
        raise VideoEncodeError(f"this OpenCV build cannot encode {CODEC_NAMES[codec]} ({codec}) into {suffix} "
                               "files; use codec auto or mp4v")
    return codec


class VideoEncoder:
    """Frames of one size (``(width, height)``) into the video file ``path``, with the codec of
    :func:`choose_codec`. Odd sizes are padded for FFmpeg codecs (module docstring):
    :attr:`size` is the encoded size, :attr:`description` says codec and padding."""

    def __init__(self, path, fps, size, codec="auto", probe=can_encode):
        path = os.fspath(path)
        self.codec = choose_codec(codec, os.path.splitext(path)[1], probe)
        self.fell_back = codec == "auto" and self.codec == "mp4v"  # no H.264 encoder
        self.frame_size = (int(size[0]), int(size[1]))
        width, height = self.frame_size
        pad = self.codec != "mjpg"
        self.size = (width + width % 2, height + height % 2) if pad else self.frame_size
        with open(path, "wb"):  # an unwritable path raises OSError here, with its reason
            pass
        self._writer = _open_writer(path, self.codec, float(fps), self.size)
        if not self._writer.isOpened():
            os.remove(path)
            raise VideoEncodeError(f"cannot write video {path}: OpenCV could not open its "
                                   f"{CODEC_NAMES[self.codec]} ({self.codec}) encoder")

    @property
    def description(self):
        """``"H.264, avc1"``; whether ``auto`` fell back to mp4v, and how frames are padded."""
        text = f"{CODEC_NAMES[self.codec]}, {self.codec}"
        if self.fell_back:
            text += ": this OpenCV build has no H.264 encoder, and many browsers do not play mp4v"
        if self.size != self.frame_size:
            text += (f"; {self.frame_size[0]}x{self.frame_size[1]} frames padded to {self.size[0]}x{self.size[1]} "
                     "because OpenCV's FFmpeg writer needs even sizes (.avi keeps any size)")
        return text

    def write(self, frame):
        """Append one ``frame_size`` BGR frame (padded with black to :attr:`size` if needed)."""
        extra_h, extra_w = self.size[1] - frame.shape[0], self.size[0] - frame.shape[1]
        if extra_h or extra_w:
            frame = cv2.copyMakeBorder(frame, 0, extra_h, 0, extra_w, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        self._writer.write(frame)

    def release(self):
        """Close the file (it then plays up to the last frame written)."""
        self._writer.release()


def readable_frames(path):
    """How many frames of the video ``path`` OpenCV decodes (0 when it cannot open it): what a
    written video really holds, since OpenCV's writers report no write error (a full disk)."""
    capture = cv2.VideoCapture(str(path))
    count = 0
    try:
        while capture.isOpened() and capture.grab():
            count += 1
    finally:
        capture.release()
    return count
