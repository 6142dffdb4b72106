"""Result files written as tracking goes: boxes (txt / csv / json) and an annotated video.

Every output is written under a ``.partial`` name and flushed after each frame; only a run that
completes renames it to the requested name. So an interrupted run (Ctrl-C, SIGTERM, crash,
unreadable frame) keeps every frame done so far in ``<name>.partial`` (``<stem>.partial<ext>``
for videos, whose container OpenCV picks from the extension), and a file under the final name is
always a finished one. A finished file left by an earlier run is removed when a new run starts
writing. A path that exists and is neither a regular file nor a folder (``/dev/stdout``, a FIFO,
a link to one) is written directly, without ``.partial`` and rename. docs/tracking.md.
"""
import errno
import json
import os
from pathlib import Path

import cv2

from ..utils.errors import InputError
from ..utils.video_encode import VideoEncoder
from .overlay import TargetResult, draw_results

__all__ = ["TargetResult", "BOX_SUFFIXES", "partial_name", "planned_paths", "box_file_paths", "open_box_writer",
           "VideoWriter"]

BOX_SUFFIXES = (".txt", ".csv", ".json")


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


def _is_special(path):
    """True for an existing path that is neither a regular file nor a folder (a device, FIFO)."""
    return path.exists() and not path.is_file() and not path.is_dir()


class _PartialFile:
    """A text file written as ``<path>.partial`` and renamed to ``path`` by :meth:`finish`."""

    def __init__(self, path):
        self.path = Path(path)
        self.direct = _is_special(self.path)
        if self.direct:
            self.partial = self.path
        else:
            self.partial = partial_name(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_symlink() or self.path.exists():
                self.path.unlink()
        self._file = None

    def open_text(self):
        """Open the partial file for writing text."""
        self._file = open(self.partial, "w", encoding="utf-8", newline="\n")
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

    def write(self, index, results):
        """Append frame ``index``; ``results`` are :class:`TargetResult` (score None on frame 0)."""
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

    def write(self, index, results):
        """Append each target's box to its file."""
        for result in results:
            out = self._outs[result.target_id]
            out.write(",".join(_fmt(v) for v in result.bbox) + "\n")
            out.flush()


class CsvBoxWriter(_BoxWriter):
    """``.csv``: ``frame,target_id,x,y,w,h,score,lost`` rows (score empty on the init frame,
    lost 0 / 1)."""

    def __init__(self, path):
        super().__init__([_PartialFile(path)])
        self._out = self._open()[0]
        self._out.write("frame,target_id,x,y,w,h,score,lost\n")
        self._out.flush()

    def write(self, index, results):
        """Append one row per target."""
        for result in results:
            score = "" if result.score is None else _fmt(result.score)
            self._out.write(f"{index},{result.target_id}," + ",".join(_fmt(v) for v in result.bbox)
                            + f",{score},{int(bool(result.lost))}\n")
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

    def write(self, index, results):
        """Append the frame's line."""
        entry = {"frame": index, "targets": [
            {"id": r.target_id, "bbox": [float(v) for v in r.bbox],
             "score": None if r.score is None else float(r.score), "lost": bool(r.lost)} for r in results]}
        self._out.write(("," if self._frames else "") + json.dumps(entry) + "\n")
        self._out.flush()
        self._frames += 1

    def finish(self):
        """Close the JSON document and rename."""
        self._out.write("]}\n")
        super().finish()


def open_box_writer(path, target_ids):
    """The writer of box output ``path`` (by extension: ``.txt``, ``.csv``, ``.json``)."""
    kind = Path(path).suffix.lower()
    if kind == ".txt":
        return TxtBoxWriter(path, target_ids)
    if kind == ".csv":
        return CsvBoxWriter(path)
    if kind == ".json":
        return JsonBoxWriter(path, target_ids)
    raise InputError(f"output boxes must end in .txt, .csv or .json, got {Path(path).name}")


class VideoWriter:
    """Annotated video (:func:`~siamtrack.tracking.overlay.draw_results`), encoded by
    :class:`~siamtrack.utils.video_encode.VideoEncoder` (``codec``: auto, avc1, mp4v, mjpg)."""

    def __init__(self, path, fps, frame_size, codec="auto", show_score=True):
        self.path = Path(path)
        self.partial = partial_name(self.path)
        if _is_special(self.path):
            raise InputError(f"cannot write video {self.path}: not a regular file")
        if self.path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.size = tuple(frame_size)  # (width, height) of the first frame; later frames are resized to it
        self.show_score = show_score
        self._encoder = VideoEncoder(self.partial, fps, self.size, codec)
        self.description = self._encoder.description
        if self.path.is_symlink() or self.path.exists():
            self.path.unlink()

    @property
    def paths(self):
        """The final file name (a list, as box writers')."""
        return [self.path]

    @property
    def partials(self):
        """The name written until the run completes."""
        return [self.partial]

    def write(self, frame, index, results):
        """Draw ``results`` (:class:`TargetResult`) on a copy of ``frame`` and append it."""
        canvas = draw_results(frame, index, results, self.show_score, init=index == 0)
        if (canvas.shape[1], canvas.shape[0]) != self.size:
            canvas = cv2.resize(canvas, self.size)
        self._encoder.write(canvas)

    def close(self):
        """Release the encoder (the partial file stays playable up to the last frame)."""
        self._encoder.release()

    def finish(self):
        """Release the encoder and rename to the final name."""
        self.close()
        os.replace(self.partial, self.path)
