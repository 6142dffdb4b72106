"""Result files written as tracking goes: boxes (txt / csv / json) and an annotated video.

Every output is written under a ``.partial`` name and flushed after each frame; only a run that
completes renames it to the requested name. So an interrupted run (Ctrl-C, SIGTERM, crash,
unreadable frame) keeps every frame done so far in ``<name>.partial`` (``<stem>.partial<ext>``
for videos, whose container OpenCV picks from the extension), and a file under the final name is
always a finished one: a finished file of an earlier run stays until the new one replaces it.
Each partial file is locked while it is written, so a second run writing the same output is
refused at once. The annotated video is read back when it is finished: fewer frames than were
written (a full disk) is an error and the partial file stays. A path that exists and is neither
a regular file nor a folder (``/dev/stdout``, a FIFO, a link to one) is written directly, without
``.partial`` and rename. docs/tracking.md.

Every writer has ``write(frame, index, results)``, ``finish()`` (complete, check, rename),
``close()`` (stop, the partial files kept), ``paths`` and ``partials``.
"""
import json
import os
from pathlib import Path

import cv2

from ..utils.errors import InputError
from ..utils.fileio import cannot_write, is_special, open_locked
from ..utils.video_encode import VideoEncoder, readable_frames
from .mask_outputs import POLYGON_COLUMNS, MaskWriter, polygon_fields
from .overlay import TargetResult, draw_results

__all__ = ["TargetResult", "BOX_SUFFIXES", "VideoWriteError", "partial_name", "planned_paths", "box_file_paths",
           "open_box_writer", "VideoWriter", "open_writers"]

BOX_SUFFIXES = (".txt", ".csv", ".json")


class VideoWriteError(InputError):
    """The annotated video could not be written completely (e.g. a full disk)."""


def _fmt(value):
    """Shortest text that reads back to the same float (Python's ``repr``, as pysot writes)."""
    return repr(float(value))


def partial_name(path):
    """Where ``path`` is written until the run completes: ``<name>.partial``, and for videos
    ``<stem>.partial<ext>`` (OpenCV picks the container from the extension)."""
    path = Path(path)
    if path.suffix.lower() in BOX_SUFFIXES:
        return path.with_name(path.name + ".partial")
    return path.with_name(f"{path.stem}.partial{path.suffix}")


class _PartialFile:
    """A text file written as ``<path>.partial`` and renamed to ``path`` by :meth:`finish`."""

    def __init__(self, path):
        self.path = Path(path)
        self.direct = is_special(self.path)
        self.partial = self.path if self.direct else partial_name(self.path)
        self._file = None

    def open_text(self):
        """Open (and lock) the partial file for writing text; missing folders are created."""
        if self.direct:
            self._file = open(self.partial, "w", encoding="utf-8", newline="\n")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(open_locked(self.partial), "w", encoding="utf-8", newline="\n")
        return self._file

    def finish(self):
        """Close and atomically rename the partial file to its final name."""
        self._file.close()  # a failing final write raises here, before the rename
        if not self.direct:
            os.replace(self.partial, self.path)

    def close(self):
        """Close without renaming (the ``.partial`` file stays), after an error or an interrupt:
        data a failed write left in the buffer (a full disk) is dropped without a second error."""
        if self._file is not None and not self._file.closed:
            try:
                self._file.close()
            except OSError:
                pass


def planned_paths(output_boxes=(), output_video=None, target_ids=(0,)):
    """Every file the outputs will write, final and partial, as ``(what, path)`` pairs: to check
    them against the inputs before anything is written."""
    finals = [final for path in output_boxes for final in box_file_paths(path, target_ids)]
    finals += [Path(output_video)] if output_video else []
    return [("output", path) for final in finals for path in (final, partial_name(final))]


def box_file_paths(path, target_ids):
    """The files a ``.txt`` box output ``path`` becomes: ``path`` itself for one target, else
    ``<stem>.<id>.txt`` per target (a line of 8 numbers would read as a VOT polygon)."""
    path = Path(path)
    if path.suffix.lower() != ".txt" or len(target_ids) <= 1:
        return [path]
    return [path.with_name(f"{path.stem}.{tid}{path.suffix}") for tid in target_ids]


class _BoxWriter:
    """Per-frame boxes into one or several partial files (:attr:`files`)."""

    def __init__(self, files):
        self.files = files

    @property
    def paths(self):
        """The final file names."""
        return [f.path for f in self.files]

    @property
    def partials(self):
        """The names written until the run completes (``.partial``; not for direct writes)."""
        return [f.partial for f in self.files if not f.direct]

    def write(self, frame, index, results):
        """Append frame ``index`` (``frame`` itself is not used); ``results`` are
        :class:`TargetResult` (score None on frame 0)."""
        raise NotImplementedError

    def finish(self):
        """Close the files and give them their final names."""
        for f in self.files:
            f.finish()

    def close(self):
        """Close without renaming (the ``.partial`` files stay)."""
        for f in self.files:
            f.close()

    def _open(self):
        try:
            return [f.open_text() for f in self.files]
        except BaseException:
            self.close()
            raise


class TxtBoxWriter(_BoxWriter):
    """``.txt``: one ``x,y,w,h`` line per frame (pysot / OTB result format), one file per target
    (:func:`box_file_paths`)."""

    def __init__(self, path, target_ids):
        super().__init__([_PartialFile(p) for p in box_file_paths(path, target_ids)])
        self._outs = dict(zip(target_ids, self._open()))

    def write(self, frame, index, results):
        """Append each target's box to its file."""
        for result in results:
            out = self._outs[result.target_id]
            out.write(",".join(_fmt(v) for v in result.bbox) + "\n")
            out.flush()


class CsvBoxWriter(_BoxWriter):
    """``.csv``: ``frame,target_id,x,y,w,h,score,lost`` rows (score empty on the init frame, lost
    0 / 1), with ``polygons`` (a mask tracker's) also ``x1,y1,...,y4`` (empty on the init frame)."""

    def __init__(self, path, polygons=False):
        super().__init__([_PartialFile(path)])
        self._out, self.polygons = self._open()[0], polygons
        self._out.write("frame,target_id,x,y,w,h,score,lost" + (POLYGON_COLUMNS if polygons else "") + "\n")
        self._out.flush()

    def write(self, frame, index, results):
        """Append one row per target."""
        for result in results:
            score = "" if result.score is None else _fmt(result.score)
            self._out.write(f"{index},{result.target_id}," + ",".join(_fmt(v) for v in result.bbox)
                            + f",{score},{int(bool(result.lost))}" + polygon_fields(result, self.polygons) + "\n")
        self._out.flush()


class JsonBoxWriter(_BoxWriter):
    """``.json``: ``{"format": "siamtrack-boxes", "targets": [...], "frames": [{"frame", "targets":
    [{"id", "bbox", "score", "lost"}]}]}`` with one frame per line (score null on frame 0)."""

    def __init__(self, path, target_ids):
        super().__init__([_PartialFile(path)])
        self._out = self._open()[0]
        self._out.write('{"format": "siamtrack-boxes", "targets": %s, "frames": [\n' % json.dumps(list(target_ids)))
        self._out.flush()
        self._frames = 0

    def write(self, frame, index, results):
        """Append the frame's line."""
        entry = {"frame": index, "targets": [
            {"id": r.target_id, "bbox": [float(v) for v in r.bbox],
             "score": None if r.score is None else float(r.score), "lost": bool(r.lost),
             **({} if r.polygon is None else {"polygon": [float(v) for v in r.polygon]})} for r in results]}
        self._out.write(("," if self._frames else "") + json.dumps(entry) + "\n")
        self._out.flush()
        self._frames += 1

    def finish(self):
        """Close the JSON document and rename."""
        self._out.write("]}\n")
        super().finish()


def open_box_writer(path, target_ids, polygons=False):
    """The writer of box output ``path`` (by extension: ``.txt``, ``.csv``, ``.json``; CSV for a
    device or FIFO without one, e.g. ``/dev/stdout``)."""
    kind = Path(path).suffix.lower()
    if kind not in BOX_SUFFIXES and is_special(path):  # /dev/stdout, a FIFO: CSV rows
        kind = ".csv"
    if kind == ".txt":
        return TxtBoxWriter(path, target_ids)
    if kind == ".csv":
        return CsvBoxWriter(path, polygons)
    if kind == ".json":
        return JsonBoxWriter(path, target_ids)
    raise InputError(f"output boxes must end in .txt, .csv or .json, got {Path(path).name}")


class VideoWriter:
    """Annotated video (:func:`~siamtrack.tracking.overlay.draw_results`), encoded by
    :class:`~siamtrack.utils.video_encode.VideoEncoder` (``codec``: auto, avc1, mp4v, mjpg),
    read back by :meth:`finish`."""

    def __init__(self, path, fps, frame_size, codec="auto", show_score=True):
        self.path = Path(path)
        self.partial = partial_name(self.path)
        self.paths, self.partials = [self.path], [self.partial]  # as box writers'
        if is_special(self.path):
            raise InputError(f"cannot write video {self.path}: not a regular file (a video is written "
                             "under a .partial name and renamed)")
        if self.path.is_dir():
            raise InputError(f"cannot write {self.path}: it is a folder")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.size = tuple(frame_size)  # (width, height) of the first frame; later frames are resized to it
        self.show_score = show_score
        self.frames = 0
        self._lock = open_locked(self.partial)  # held until the video is finished or closed
        try:
            self._encoder = VideoEncoder(self.partial, fps, self.size, codec)
        except BaseException:
            os.close(self._lock)
            raise
        self.description = self._encoder.description

    def write(self, frame, index, results):
        """Draw ``results`` (:class:`TargetResult`) on a copy of ``frame`` and append it."""
        canvas = draw_results(frame, index, results, self.show_score, init=index == 0)
        if (canvas.shape[1], canvas.shape[0]) != self.size:
            canvas = cv2.resize(canvas, self.size)
        self._encoder.write(canvas)
        self.frames += 1

    def close(self):
        """Release the encoder (the partial file stays playable up to the last frame stored)."""
        self._encoder.release()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def finish(self):
        """Release the encoder, read the frames back and rename to the final name. OpenCV's
        writers report no write error, so the read-back is what tells a full disk: fewer
        frames than written raise :class:`VideoWriteError` and the partial file stays."""
        self._encoder.release()
        stored = readable_frames(self.partial)
        if stored != self.frames:
            self.close()
            raise VideoWriteError(f"cannot write video {self.path}: only {stored} of its {self.frames} frames "
                                  "can be read back (is the disk full?)")
        os.replace(self.partial, self.path)
        self.close()


def open_writers(target_ids, first_frame, fps, output_boxes=(), output_video=None, codec="auto", show_score=True,
                 output_masks=None, polygons=False):
    """The writers of the requested outputs, opened: the annotated video first (it is read back
    when finished, before any box file gets its final name), then one per ``output_boxes`` path
    (with a mask tracker's ``polygons``), then the mask PNG folder. An unwritable path raises an
    ``InputError`` naming it; so does an output another run is writing (``OutputBusyError``)."""
    makers = []
    if output_video:
        size = (first_frame.shape[1], first_frame.shape[0])
        makers.append((output_video, lambda: VideoWriter(output_video, fps, size, codec, show_score)))
    makers += [(path, lambda p=path: open_box_writer(p, target_ids, polygons)) for path in output_boxes or ()]
    makers += [(output_masks, lambda: MaskWriter(output_masks))] if output_masks else []
    writers = []
    try:
        for path, make in makers:
            try:
                writers.append(make())
            except OSError as exc:
                raise cannot_write(path, exc) from None
    except BaseException:
        for writer in writers:
            writer.close()
        raise
    return writers
