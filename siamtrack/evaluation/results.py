"""Result files in pysot's layouts (``docs/evaluation.md``), written atomically, and read back.

Layouts under ``<output>/<dataset>/<tracker>/``: ``ope`` → ``<seq>.txt`` (``x,y,w,h`` per line,
shortest round-trip floats, first line the init box); ``got10k`` → ``<seq>/<seq>_001.txt`` and
``<seq>/<seq>_time.txt`` (the GOT-10k submission layout); ``vot`` →
``baseline/<seq>/<seq>_001.txt`` (``1``/``2``/``0`` codes or ``%.4f`` numbers).
"""
import os
import re
from typing import List, Optional

import numpy as np

from ..utils.errors import InputError
from ..utils.fileio import atomic_write
from ..utils.textio import read_number_rows, read_numbers

__all__ = ["ResultsError", "result_path", "write_boxes", "write_vot_records",
           "write_times", "read_boxes", "read_vot_records", "find_result_file",
           "load_tracker_results", "is_tracker_dir", "sequence_finished"]


class ResultsError(InputError):
    """A results folder or file is missing, incomplete or malformed."""


def result_path(tracker_dir: str, sequence: str, layout: str = "ope", run: int = 1) -> str:
    """Path of a sequence's result file in ``layout`` (``ope``, ``got10k`` or ``vot``)."""
    if layout == "ope":
        return os.path.join(tracker_dir, sequence + ".txt")
    if layout == "got10k":
        return os.path.join(tracker_dir, sequence, f"{sequence}_{run:03d}.txt")
    if layout == "vot":
        return os.path.join(tracker_dir, "baseline", sequence, f"{sequence}_{run:03d}.txt")
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


def _vot_runs(tracker_dir: str, sequence: str) -> List[str]:
    folder = os.path.dirname(result_path(tracker_dir, sequence, "vot"))
    if not os.path.isdir(folder):
        return []
    pattern = re.compile(re.escape(sequence) + r"_\d{3}\.txt$")
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if pattern.match(n))


def is_tracker_dir(path: str, benchmark) -> bool:
    """True when ``path`` holds a result for at least one sequence of ``benchmark``."""
    for seq in benchmark.sequences:
        if benchmark.results_layout == "vot":
            if _vot_runs(path, seq.name):
                return True
        elif find_result_file(path, seq.name, benchmark.results_layout):
            return True
    return False


def load_tracker_results(tracker_dir: str, benchmark) -> dict:
    """Results of one tracker for every sequence of ``benchmark``: N x 4 arrays (OPE) or, for
    VOT, a list of runs of per-frame records. Raises :class:`ResultsError` when any is missing."""
    out, missing = {}, []
    for seq in benchmark.sequences:
        if benchmark.results_layout == "vot":
            runs = _vot_runs(tracker_dir, seq.name)
            if runs:
                out[seq.name] = [read_vot_records(p) for p in runs]
                continue
        else:
            path = find_result_file(tracker_dir, seq.name, benchmark.results_layout)
            if path:
                out[seq.name] = read_boxes(path)
                continue
        missing.append(seq.name)
    if missing:
        raise ResultsError(f"{tracker_dir}: no result for {len(missing)} of {len(benchmark)} "
                           f"{benchmark.name} sequences (first: {missing[0]})")
    return out


def sequence_finished(tracker_dir: str, sequence, layout: str) -> bool:
    """True when the result file of ``sequence`` exists with one line per frame (files are
    written atomically, so an existing file is complete unless the frame count changed)."""
    path = result_path(tracker_dir, sequence.name, layout)
    if not os.path.isfile(path):
        return False
    with open(path) as f:
        return sum(1 for line in f if line.strip()) == sequence.n_frames
