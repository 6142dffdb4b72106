"""Track a video into result files: the work of ``siamtrack-track`` (``tools/track_video.py``).

:func:`track_video` runs a built tracker over an open frame source and writes every frame to
the requested writers as it goes (``tracking/outputs.py``: ``<name>.partial`` files, renamed
when the run completes; docs/tracking.md). When the run stops early -- an unreadable frame, a
full disk, Ctrl-C -- the writers are closed, the partial files stay, and the error says how many
frames were done and where they are.
"""
import logging
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

import cv2
from tqdm import tqdm

from ..config import load_config
from ..structures.boxes import init_box_from_region
from ..utils.errors import InputError, first_line
from .build import resolve_device
from .outputs import BoxWriter, VideoWriter
from .target import validate_box

__all__ = ["TrackingInterrupted", "TrackingSummary", "load_tracking_config", "read_init_box",
           "select_box_interactively", "open_writers", "track_video"]

logger = logging.getLogger(__name__)


class TrackingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`track_video`; the message says how far it got and what was kept."""


@dataclass
class TrackingSummary:
    """What a finished :func:`track_video` run did."""

    frames: int
    targets: int
    seconds: float
    outputs: List[Path] = field(default_factory=list)

    @property
    def fps(self):
        """Frames per second over the tracked frames (the init frame excluded)."""
        return (self.frames - 1) / self.seconds if self.frames > 1 and self.seconds > 0 else 0.0


def load_tracking_config(config_file, opts=()):
    """The frozen config of ``config_file`` (a path or a packaged name) and ``opts``, its
    ``MODEL.DEVICE`` checked (the device rule, docs/config.md). Raises an ``InputError`` when bad."""
    cfg = load_config(config_file, opts)
    resolve_device(cfg.MODEL.DEVICE)
    cfg.freeze()
    return cfg


def read_init_box(gt_file):
    """Init box ``[x, y, w, h]`` from the first line of a ground-truth file (a 4-number box or
    an 8-number polygon), converted as pysot's test driver does (docs/evaluation.md)."""
    try:
        with open(gt_file, encoding="utf-8") as f:
            line = f.readline()
    except OSError as exc:
        raise InputError(f"cannot read ground-truth file {gt_file}: {exc.strerror}") from None
    parts = [p for p in re.split(r"[,\s;]+", line.strip()) if p]
    try:
        region = [float(p) for p in parts]
    except ValueError:
        region = []
    if len(region) not in (4, 8):
        raise InputError(f"{gt_file}: first line must be x,y,w,h or an 8-number polygon, got {line.strip()!r}")
    return [float(v) for v in init_box_from_region(region)]


def select_box_interactively(frame):
    """Let the user draw the box on ``frame`` (needs a display and OpenCV with GUI support)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise InputError("no init box: pass --init-box x,y,w,h or --gt-file (no display for interactive selection)")
    try:
        x, y, w, h = cv2.selectROI("siamtrack: select the target, then press Enter", frame, False)
        cv2.destroyAllWindows()
    except cv2.error:
        raise InputError("no init box: pass --init-box x,y,w,h or --gt-file "
                         "(this OpenCV build cannot open windows)") from None
    if w <= 0 or h <= 0:
        raise InputError("no target selected")
    return [float(x), float(y), float(w), float(h)]


def _cannot_write(path, exc):
    return InputError(f"cannot write {path}: {exc.strerror or first_line(exc)}")


def open_writers(target_ids, first_frame, fps, output_boxes=None, output_video=None):
    """The writers of the requested outputs (boxes file, annotated video), opened; an
    unwritable path raises an ``InputError`` naming it."""
    writers = []
    try:
        for path, make in ((output_boxes, lambda: BoxWriter(output_boxes, target_ids)),
                           (output_video, lambda: VideoWriter(output_video, fps, (first_frame.shape[1],
                                                                                first_frame.shape[0])))):
            if path:
                try:
                    writers.append(make())
                except OSError as exc:
                    raise _cannot_write(path, exc) from None
    except BaseException:
        for writer in writers:
            writer.close()
        raise
    return writers


def _write(writers, frame, index, results):
    for writer in writers:
        try:
            if isinstance(writer, BoxWriter):
                writer.write(index, results)
            else:
                writer.write(frame, index, results)
        except OSError as exc:
            raise _cannot_write(writer.partial, exc) from None


def _finish(writers):
    for writer in writers:
        try:
            writer.finish()
        except OSError as exc:
            raise _cannot_write(writer.path, exc) from None


def track_video(tracker, source, first_frame, boxes, output_boxes=None, output_video=None,
                max_frames=0, progress=False):
    """Track the targets ``boxes`` (``x, y, w, h``, validated against the frame) from
    ``first_frame`` through the rest of ``source``, writing each frame to the outputs asked for
    (``output_boxes``: ``.txt`` / ``.csv`` / ``.json``; ``output_video``: annotated video).

    Stops after ``max_frames`` frames when positive. Returns a :class:`TrackingSummary`. On an
    ``InputError`` (an unreadable frame, an unwritable output) or Ctrl-C the outputs keep their
    partial files and the raised ``InputError`` / :class:`TrackingInterrupted` says so.
    """
    boxes = [validate_box(box, first_frame.shape) for box in boxes]
    ids = tracker.init(first_frame, boxes)
    writers = open_writers(ids, first_frame, source.fps, output_boxes, output_video)
    total = source.frame_count
    if max_frames > 0:
        total = min(total, max_frames) if total else max_frames
    bar = tqdm(total=total, unit="frame", disable=not progress, dynamic_ncols=True)
    done, start = 0, time.perf_counter()
    try:
        results = [(tid, box, None) for tid, box in zip(ids, boxes)]
        frame = first_frame
        while True:
            _write(writers, frame, done, results)
            done += 1
            bar.update(1)
            if 0 < max_frames <= done:
                break
            frame = source.read()
            if frame is None:
                break
            results = [(tid, res["bbox"], res["score"]) for tid, res in tracker.track_targets(frame).items()]
        _finish(writers)
    except BaseException as exc:
        for writer in writers:
            writer.close()
        bar.close()
        kept = ", ".join(str(w.partial) for w in writers) or "no outputs requested"
        if isinstance(exc, KeyboardInterrupt):
            raise TrackingInterrupted(f"interrupted after {done} frames; partial results kept in: {kept}") from None
        if isinstance(exc, InputError):
            raise InputError(f"{first_line(exc)} after {done} frames; partial results kept in: {kept}") from exc
        logger.error("stopped by an error after %d frames; partial results kept in: %s", done, kept)
        raise
    bar.close()
    return TrackingSummary(done, len(ids), time.perf_counter() - start, [w.path for w in writers])
