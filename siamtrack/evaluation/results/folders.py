"""One tracker's results folder, in the layout of a benchmark (``ope``, ``got10k``, ``vot`` or
``longterm``; ``docs/evaluation.md``): does it hold results, read them all, read the times."""
import os
from typing import Dict, Optional

import numpy as np

from .longterm import is_longterm_tracker_dir, load_longterm_results
from .files import (ResultsError, find_result_file, numbered_runs, read_boxes, read_times,
                      read_vot_records, result_path)

__all__ = ["result_runs", "is_tracker_dir", "load_tracker_results", "load_result_times"]


def result_runs(tracker_dir: str, sequence: str, layout: str):
    """The repetition files of ``sequence`` (``_001``, ``_002`` ...) in a ``vot`` or ``got10k``
    folder; for ``ope`` the one result file (or none)."""
    if layout in ("vot", "got10k"):
        runs = numbered_runs(os.path.dirname(result_path(tracker_dir, sequence, layout)), sequence)
        if runs or layout == "vot":
            return runs
    path = find_result_file(tracker_dir, sequence, layout)
    return [path] if path else []


def is_tracker_dir(path: str, benchmark) -> bool:
    """True when ``path`` holds a result for at least one sequence of ``benchmark``."""
    if benchmark.results_layout == "longterm":
        return is_longterm_tracker_dir(path, benchmark.names)
    return any(result_runs(path, seq.name, benchmark.results_layout) for seq in benchmark)


def load_tracker_results(tracker_dir: str, benchmark) -> dict:
    """Results of one tracker for every sequence of ``benchmark``: N x 4 arrays (OPE; GOT-10k:
    a list of them when a sequence has several repetitions), for VOT a list of runs of
    per-frame records, for long-term ``(boxes, confidences)``. Raises :class:`ResultsError`
    when any is missing."""
    layout = benchmark.results_layout
    if layout == "longterm":
        return load_longterm_results(tracker_dir, benchmark.names)
    out, missing = {}, []
    for seq in benchmark:
        runs = result_runs(tracker_dir, seq.name, layout)
        if not runs:
            missing.append(seq.name)
        elif layout == "vot":
            out[seq.name] = [read_vot_records(p) for p in runs]
        else:
            boxes = [read_boxes(p) for p in runs]
            out[seq.name] = boxes[0] if len(boxes) == 1 else boxes
    if missing:
        raise ResultsError(f"{tracker_dir}: no result for {len(missing)} of {len(benchmark)} "
                           f"{benchmark.name} sequences (first: {missing[0]})")
    return out


def load_result_times(tracker_dir: str, benchmark) -> Optional[Dict[str, np.ndarray]]:
    """Per-frame seconds of the sequences that have a ``<seq>_time.txt`` (GOT-10k and
    long-term layouts), None when none has one."""
    times = {}
    for seq in benchmark:
        folder = os.path.dirname(result_path(tracker_dir, seq.name, benchmark.results_layout))
        path = os.path.join(folder, f"{seq.name}_time.txt")
        if benchmark.results_layout in ("got10k", "longterm") and os.path.isfile(path):
            times[seq.name] = read_times(path)
    return times or None
