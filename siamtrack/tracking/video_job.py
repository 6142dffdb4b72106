"""Track a video into result files: the work of ``siamtrack-track`` (``tools/track_video.py``).

:func:`track_video` runs a built tracker over an open frame source and writes every frame to
the requested writers as it goes (``tracking/outputs.py``: ``<name>.partial`` files, renamed
when the run completes; docs/tracking.md). When the run stops early -- an unreadable frame, a
truncated video, a full disk, Ctrl-C, SIGTERM -- the writers are closed, the partial files
stay, and the error says how many frames were done and where they are.
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
from ..utils.fileio import cannot_write
from ..utils.interrupts import interrupts_deferred
from .build import resolve_device
from .mask_outputs import binary_mask
from .outputs import TargetResult, VideoWriter, open_writers

__all__ = ["TrackingInterrupted", "TrackingSummary", "load_tracking_config", "read_init_box",
           "select_box_interactively", "track_video"]

logger = logging.getLogger(__name__)


class TrackingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, which the commands turn into the same ``KeyboardInterrupt``) during
    :func:`track_video`; the message says how far it got and what was kept."""


@dataclass
class TrackingSummary:
    """What a finished :func:`track_video` run did."""

    frames: int
    targets: int
    seconds: float
    outputs: List[Path] = field(default_factory=list)
    video_codec: str = ""  # the annotated video's codec (and padding), when one was written

    @property
    def fps(self):
        """Frames per second over the tracked frames (the init frame excluded)."""
        return (self.frames - 1) / self.seconds if self.frames > 1 and self.seconds > 0 else 0.0


def load_tracking_config(config_file, opts=()):
    """The frozen config of ``config_file`` (a path or a packaged name) and ``opts``, its values
    range-checked (``load_config``) and its ``MODEL.DEVICE`` checked (the device rule,
    docs/config.md). ``TRACK.HALF`` on the CPU, which has no effect there, is said in one
    warning line."""
    cfg = load_config(config_file, opts)
    device = resolve_device(cfg.MODEL.DEVICE)
    if cfg.TRACK.HALF and device.type == "cpu":
        logger.warning("TRACK.HALF True has no effect on the CPU (half precision is CUDA only): tracking in float32")
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
    except UnicodeDecodeError:
        raise InputError(f"cannot read ground-truth file {gt_file}: not a text file") from None
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


def track_video(tracker, source, first_frame, boxes, output_boxes=(), output_video=None,
                max_frames=0, progress=False, codec="auto", show_score=True, output_masks=None):
    """Track the targets ``boxes`` (``x, y, w, h``; the tracker checks them against the frame)
    from ``first_frame`` through the rest of ``source``, writing each frame to the outputs asked
    for (``output_boxes``: a list of ``.txt`` / ``.csv`` / ``.json`` paths; ``output_video``:
    annotated video, encoded with ``codec``, scores drawn unless ``show_score`` is False;
    ``output_masks``: a folder of mask PNGs, for a mask tracker such as ``SiamMaskTracker``,
    whose polygons also go into the box files and masks onto the video).

    The caller checks the outputs against its inputs first (``check_outputs_spare_inputs``).
    Stops after ``max_frames`` frames when positive. Returns a :class:`TrackingSummary`. On an
    ``InputError`` (an unreadable frame, a truncated video, an unwritable output) or Ctrl-C /
    SIGTERM (a ``KeyboardInterrupt``) the outputs keep their partial files and the raised
    ``InputError`` / :class:`TrackingInterrupted` says so.
    """
    threshold = getattr(tracker, "mask_threshold", None)  # set by mask trackers
    if output_masks and threshold is None:
        raise InputError(f"--output-masks needs a mask tracker (TRACK.TYPE SiamMaskTracker), not {type(tracker).__name__}")
    ids = tracker.init(first_frame, boxes)
    writers = open_writers(ids, first_frame, source.fps, output_boxes, output_video, codec, show_score,
                           output_masks, polygons=threshold is not None)
    total = source.frame_count
    if max_frames > 0:
        total = min(total, max_frames) if total else max_frames
    bar = tqdm(total=total, unit="frame", disable=not progress, dynamic_ncols=True)
    done, start = 0, time.perf_counter()
    try:
        results = [TargetResult(tid, box, None) for tid, box in zip(ids, boxes)]
        frame = first_frame
        while True:
            with interrupts_deferred():  # every output gets the frame, or none does
                for writer in writers:
                    try:
                        writer.write(frame, done, results)
                    except OSError as exc:
                        raise cannot_write(exc.filename or (writer.partials or writer.paths)[0], exc) from None
                done += 1
            bar.update(1)
            if 0 < max_frames <= done:
                break
            frame = source.read()
            if frame is None:
                break
            results = [TargetResult(tid, res["bbox"], res["score"], bool(res.get("lost", False)), res.get("polygon"),
                                    binary_mask(res, threshold)) for tid, res in tracker.track_targets(frame).items()]
        for writer in writers:  # the video first: it is read back before any box file is renamed
            try:
                writer.finish()
            except OSError as exc:
                raise cannot_write(exc.filename or writer.paths[0], exc) from None
    except BaseException as exc:
        for writer in writers:
            writer.close()
        bar.close()
        kept = ", ".join(str(p) for w in writers for p in w.partials if os.path.exists(p)) or "no partial files"
        if isinstance(exc, KeyboardInterrupt):
            raise TrackingInterrupted(f"stopped after {done} frames, partial results kept in: {kept}") from None
        if isinstance(exc, InputError):
            raise InputError(f"{first_line(exc)}; stopped after {done} frames, partial results kept in: {kept}") from exc
        logger.error("stopped by an error after %d frames; partial results kept in: %s", done, kept)
        raise
    bar.close()
    video = next((w.description for w in writers if isinstance(w, VideoWriter)), "")
    return TrackingSummary(done, len(ids), time.perf_counter() - start,
                           [p for w in writers for p in w.paths], video)
