"""Long-term result files in pysot's layout (VOT2018-LT / VOT2019-LT), written atomically,
and read back.

Under ``<output>/<dataset>/<tracker>/longterm/<seq>/``:

* ``<seq>_001.txt``: first line ``1`` (the initialisation frame), then ``x,y,w,h`` per frame
  (shortest round-trip floats);
* ``<seq>_001_confidence.value``: first line empty, then the confidence per frame (``%.6f``);
* ``<seq>_time.txt``: seconds per frame (``%.6f``).

In memory a result is ``(boxes, confidences)``: an N x 4 array whose row 0 (and any code row
such as ``0``) is NaN, and N confidences with NaN on frame 0, as
:func:`siamtrack.evaluation.longterm.evaluate_longterm` takes them.
"""
import os
from typing import Dict, Iterable, Optional, Sequence as Seq, Tuple

import numpy as np

from ...utils.fileio import atomic_write
from .files import ResultsError, write_times
from ...utils.textio import read_number_rows

__all__ = ["longterm_paths", "write_longterm_results", "read_longterm_results",
           "load_longterm_results", "longterm_sequence_finished", "is_longterm_tracker_dir"]


def longterm_paths(tracker_dir: str, sequence: str, run: int = 1) -> Tuple[str, str, str]:
    """``(boxes, confidences, times)`` file paths of ``sequence``."""
    folder = os.path.join(tracker_dir, "longterm", sequence)
    stem = os.path.join(folder, f"{sequence}_{run:03d}")
    return stem + ".txt", stem + "_confidence.value", os.path.join(folder, f"{sequence}_time.txt")


def write_longterm_results(tracker_dir: str, sequence: str, boxes, scores,
                           times: Optional[Seq[float]] = None):
    """Write one sequence's result: ``boxes`` (N x 4) and ``scores`` (N) per frame, frame 0's
    values being replaced by the markers (``1`` / an empty line); ``times`` per frame."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(scores) != len(boxes):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} confidences")
    box_path, conf_path, time_path = longterm_paths(tracker_dir, sequence)
    if times is not None:
        write_times(time_path, times)
    atomic_write(conf_path, [""] + ["%.6f" % float(s) for s in scores[1:]])
    # the boxes last: their file existing means the sequence is finished
    atomic_write(box_path, ["1"] + [",".join(repr(float(v)) for v in box) for box in boxes[1:]])


def _read_confidences(path: str):
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise ResultsError(f"cannot read confidence file {path}: {exc.strerror}")
    while lines and not lines[-1].strip():
        lines.pop()
    scores = [np.nan]  # the first line (the initialisation frame) is not read, as pysot
    for lineno, line in enumerate(lines[1:], 2):
        try:
            scores.append(float(line.strip()))
        except ValueError:
            raise ResultsError(f"{path}:{lineno}: not a confidence value: {line[:60]!r}")
    return np.asarray(scores)


def read_longterm_results(tracker_dir: str, sequence: str) -> Tuple[np.ndarray, np.ndarray]:
    """``(boxes N x 4, confidences N)`` of one sequence; single-number lines (the ``1`` of
    frame 0, or codes) become NaN rows."""
    box_path, conf_path, _ = longterm_paths(tracker_dir, sequence)
    rows = read_number_rows(box_path, ResultsError, "result")
    if not rows or any(len(r) not in (1, 4) for r in rows):
        raise ResultsError(f"result file {box_path}: expected a code or 4 numbers on every line")
    boxes = np.array([r if len(r) == 4 else [np.nan] * 4 for r in rows], dtype=np.float64)
    boxes[0] = np.nan
    scores = _read_confidences(conf_path)
    if len(scores) != len(boxes):
        raise ResultsError(f"{conf_path}: {len(scores) - 1} confidences after the first line "
                           f"for {len(boxes) - 1} tracked frames in {os.path.basename(box_path)}")
    return boxes, scores


def longterm_sequence_finished(tracker_dir: str, sequence: str, n_frames: int) -> bool:
    """True when the sequence's boxes file exists with one line per frame."""
    box_path = longterm_paths(tracker_dir, sequence)[0]
    if not os.path.isfile(box_path):
        return False
    with open(box_path) as f:
        return sum(1 for line in f if line.strip()) == n_frames


def is_longterm_tracker_dir(path: str, sequences: Iterable[str]) -> bool:
    """True when ``path`` holds a long-term result for at least one of ``sequences``."""
    return any(os.path.isfile(longterm_paths(path, name)[0]) for name in sequences)


def load_longterm_results(tracker_dir: str, sequences: Iterable[str]) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Results of every sequence name in ``sequences``; :class:`ResultsError` when any is
    missing."""
    names = list(sequences)
    missing = [n for n in names if not os.path.isfile(longterm_paths(tracker_dir, n)[0])]
    if missing:
        raise ResultsError(f"{tracker_dir}: no long-term result for {len(missing)} of "
                           f"{len(names)} sequences (first: {missing[0]})")
    return {n: read_longterm_results(tracker_dir, n) for n in names}
