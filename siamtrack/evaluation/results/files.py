"""Result files in pysot's layouts (``docs/evaluation.md``), written atomically, and read back.

Layouts under ``<output>/<dataset>/<tracker>/``: ``ope`` → ``<seq>.txt`` (``x,y,w,h`` per line,
shortest round-trip floats, first line the init box); ``got10k`` → ``<seq>/<seq>_001.txt``
(``_002`` ... for repetitions) and ``<seq>/<seq>_time.txt`` (the GOT-10k submission layout);
``vot`` → ``baseline/<seq>/<seq>_001.txt`` (``1``/``2``/``0`` codes or ``%.4f`` numbers). The
long-term layout is in :mod:`.longterm_results`; a whole tracker folder of any layout is read
by :mod:`.tracker_results`.
"""
import os
import re
from typing import List, Optional

import numpy as np

from ...utils.errors import InputError
from ...utils.fileio import atomic_write
from ...utils.textio import read_number_rows, read_numbers

__all__ = ["ResultsError", "result_path", "write_boxes", "write_vot_records",
           "write_times", "read_boxes", "read_vot_records", "read_times", "find_result_file",
           "numbered_runs", "sequence_finished"]


class ResultsError(InputError):
    """A results folder or file is missing, incomplete or malformed."""


def result_path(tracker_dir: str, sequence: str, layout: str = "ope", run: int = 1) -> str:
    """Path of a sequence's result file in ``layout`` (``ope``, ``got10k``, ``vot`` or ``longterm``)."""
    if layout == "ope":
        return os.path.join(tracker_dir, sequence + ".txt")
    if layout == "got10k":
        return os.path.join(tracker_dir, sequence, f"{sequence}_{run:03d}.txt")
    if layout == "vot":
        return os.path.join(tracker_dir, "baseline", sequence, f"{sequence}_{run:03d}.txt")
    if layout == "longterm":  # and its confidences beside it (.longterm_results)
        return os.path.join(tracker_dir, "longterm", sequence, f"{sequence}_{run:03d}.txt")
    raise ValueError(f"unknown results layout {layout!r}")


def write_boxes(path: str, boxes):
    """Write ``x,y,w,h`` lines with full float precision."""
    atomic_write(path, [",".join(repr(float(v)) for v in box) for box in boxes])


def write_vot_records(path: str, records):
    """Write VOT restart records: ``[1]``/``[2]``/``[0]`` as integers, predictions ``%.4f``."""
    atomic_write(path, ["%d" % r[0] if len(r) == 1 else ",".join("%.4f" % v for v in r)
                        for r in records])


def write_times(path: str, times):
    """Write per-frame seconds (``%.6f``), e.g. GOT-10k's ``<seq>_time.txt``."""
    atomic_write(path, ["%.6f" % t for t in times])


def read_boxes(path: str) -> np.ndarray:
    """N x 4 array of a box result file, read by :func:`siamtrack.utils.textio.read_numbers`
    (comma, tab or space separated; a blank inner line is a NaN row, scored as a miss)."""
    return read_numbers(path, 4, "result", ResultsError)


def read_vot_records(path: str) -> List[List[float]]:
    """Per-frame records of a VOT restart result file: a code (``1``, ``2``, ``0``), a box or
    a polygon per line; a blank or odd-length line raises :class:`ResultsError`."""
    rows = read_number_rows(path, ResultsError, "result")
    if not rows:
        raise ResultsError(f"result file {path} is empty")
    for lineno, row in enumerate(rows, 1):
        if len(row) not in (1, 4) and (len(row) < 6 or len(row) % 2):
            raise ResultsError(f"result file {path}:{lineno}: expected a code, a box or a polygon")
    return rows


def read_times(path: str) -> np.ndarray:
    """All per-frame seconds of a ``<seq>_time.txt`` (one column per repetition, as the GOT-10k
    toolkit writes it; read in file order)."""
    rows = read_number_rows(path, ResultsError, "time")
    return np.asarray([v for row in rows for v in row], dtype=np.float64)


def _legacy_names(sequence: str):
    # pysot's fallbacks for third-party OTB results: jogging_1.txt, human4_2.txt, basketball.txt
    return [sequence.lower().replace("-", "_"), sequence[0].lower() + sequence[1:]]


def find_result_file(tracker_dir: str, sequence: str, layout: str = "ope") -> Optional[str]:
    """Existing result file of ``sequence`` (layout path, then ``<seq>.txt``, then OTB's
    legacy lower-case names), or None."""
    candidates = [result_path(tracker_dir, sequence, layout)]
    if layout != "vot":
        candidates += [os.path.join(tracker_dir, n + ".txt") for n in [sequence] + _legacy_names(sequence)]
    for path in candidates:
        if os.path.isfile(path):
            return path
    return None


def numbered_runs(folder: str, sequence: str) -> List[str]:
    """The repetition files ``<folder>/<sequence>_001.txt``, ``_002.txt``, ... that exist, in order."""
    if not os.path.isdir(folder):
        return []
    pattern = re.compile(re.escape(sequence) + r"_\d{3}\.txt$")
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if pattern.match(n))


def sequence_finished(tracker_dir: str, sequence, layout: str) -> bool:
    """True when the result file of ``sequence`` exists with one line per frame (files are
    written atomically, so an existing file is complete unless the frame count changed)."""
    path = result_path(tracker_dir, sequence.name, layout)
    if not os.path.isfile(path):
        return False
    with open(path) as f:
        return sum(1 for line in f if line.strip()) == sequence.n_frames
