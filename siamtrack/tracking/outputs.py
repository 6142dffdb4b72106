"""Result files written as tracking goes: boxes (txt / csv / json) and an annotated video.

Every output is written under a ``.partial`` name and flushed after each frame; only a run that
completes renames it to the requested name. So an interrupted run (Ctrl-C, crash, unreadable
frame) keeps every frame done so far in ``<name>.partial`` (``<stem>.partial<ext>`` for videos,
whose container OpenCV picks from the extension), and a file under the final name is always a
finished one. A finished file left by an earlier run is removed when a new run starts writing.
"""
import json
import os
from pathlib import Path

import cv2

from ..utils.errors import InputError

_COLORS = [(0, 255, 0), (0, 0, 255), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0)]


def _fmt(value):
    """Shortest text that reads back to the same float (Python's ``repr``, as pysot writes)."""
    return repr(float(value))


class _PartialFile:
    """A text file written as ``<path>.partial`` and renamed to ``path`` by :meth:`finish`."""

    def __init__(self, path, partial=None):
        self.path = Path(path)
        self.partial = Path(partial) if partial else self.path.with_name(self.path.name + ".partial")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self.path.unlink()
        self._file = None

    def open_text(self):
        """Open the partial file for writing text."""
        self._file = open(self.partial, "w", encoding="utf-8", newline="\n")
        return self._file

    def finish(self):
        """Close and atomically rename the partial file to its final name."""
        self.close()
        os.replace(self.partial, self.path)

    def close(self):
        """Close without renaming (the ``.partial`` file stays)."""
        if self._file is not None and not self._file.closed:
            self._file.close()


class BoxWriter(_PartialFile):
    """Per-frame boxes. ``.txt``: one ``x,y,w,h`` line per frame (pysot/OTB format; several targets
    put their boxes one after another on the line). ``.csv``: ``frame,target_id,x,y,w,h,score`` rows.
    ``.json``: ``{"targets": [...], "frames": [{"frame", "targets": [{"id", "bbox", "score"}]}]}``
    with one frame per line. The init frame's score is empty / null."""

    def __init__(self, path, target_ids):
        super().__init__(path)
        self.kind = self.path.suffix.lower()
        if self.kind not in (".txt", ".csv", ".json"):
            raise InputError(f"output boxes must end in .txt, .csv or .json, got {self.path.name}")
        self.frames = 0
        out = self.open_text()
        if self.kind == ".csv":
            out.write("frame,target_id,x,y,w,h,score\n")
        elif self.kind == ".json":
            out.write('{"format": "siamtrack-boxes", "targets": %s, "frames": [\n' % json.dumps(list(target_ids)))
        out.flush()

    def write(self, index, results):
        """Append frame ``index``; ``results`` is a list of ``(target_id, bbox, score or None)``."""
        out = self._file
        if self.kind == ".txt":
            out.write(",".join(_fmt(v) for _, bbox, _ in results for v in bbox) + "\n")
        elif self.kind == ".csv":
            for tid, bbox, score in results:
                text = "" if score is None else _fmt(score)
                out.write(f"{index},{tid}," + ",".join(_fmt(v) for v in bbox) + f",{text}\n")
        else:
            entry = {"frame": index, "targets": [
                {"id": tid, "bbox": [float(v) for v in bbox], "score": None if score is None else float(score)}
                for tid, bbox, score in results]}
            out.write(("," if self.frames else "") + json.dumps(entry) + "\n")
        out.flush()
        self.frames += 1

    def finish(self):
        """Close the JSON document (if any) and rename to the final name."""
        if self.kind == ".json":
            self._file.write("]}\n")
        super().finish()


class VideoWriter(_PartialFile):
    """Annotated video: each target's box with its id and score, and the frame number."""

    def __init__(self, path, fps, frame_size):
        path = Path(path)
        super().__init__(path, partial=path.with_name(f"{path.stem}.partial{path.suffix}"))
        self.size = frame_size  # (width, height) of the first frame; later frames are resized to it
        fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix.lower() in (".mp4", ".m4v", ".mov") else "MJPG"))
        self._writer = cv2.VideoWriter(str(self.partial), fourcc, float(fps), frame_size)
        if not self._writer.isOpened():
            raise InputError(f"cannot write video {path} (OpenCV has no encoder for {path.suffix!r})")

    def write(self, frame, index, results):
        """Draw ``results`` (``(target_id, bbox, score or None)``) on a copy of ``frame`` and append it."""
        canvas = frame.copy()
        for tid, (x, y, w, h), score in results:
            color = _COLORS[tid % len(_COLORS)]
            cv2.rectangle(canvas, (int(round(x)), int(round(y))), (int(round(x + w)), int(round(y + h))), color, 2)
            label = f"#{tid}" if score is None else f"#{tid} {score:.3f}"
            cv2.putText(canvas, label, (int(round(x)), max(12, int(round(y)) - 4)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.5, color, 1, cv2.LINE_AA)
        cv2.putText(canvas, f"frame {index}", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2, cv2.LINE_AA)
        if (canvas.shape[1], canvas.shape[0]) != self.size:
            canvas = cv2.resize(canvas, self.size)
        self._writer.write(canvas)

    def close(self):
        """Release the encoder (the partial file stays playable up to the last frame)."""
        self._writer.release()

    def finish(self):
        """Release the encoder and rename to the final name."""
        self.close()
        os.replace(self.partial, self.path)
