"""Run a tracker over a benchmark (``docs/evaluation.md``): OPE, the VOT restart protocol or a
long-term pass (boxes and confidences), with a progress bar, per-sequence result files written
atomically, and resume.

The tracker is any object with ``init(frame, (x, y, w, h))`` and ``track(frame) -> {"bbox":
(x, y, w, h), "score": s}`` (what :func:`siamtrack.tracking.build_tracker` returns); frames are read by
:func:`siamtrack.utils.frames.read_image` (BGR ``uint8`` as ``cv2.imread`` returns them), the
reader of tracking and training too.
"""
import logging
import os
import time
from typing import Dict, Optional, Sequence as Seq

import numpy as np
from tqdm import tqdm

from ...structures.boxes import init_box_from_region
from ...utils.frames import read_image
from ..benchmarks.base import Benchmark
from ..metrics.vot import SKIP_FRAMES, region_overlap
from ..results.claims import SequenceClaim
from ..results.files import (read_boxes, read_vot_records, result_path, sequence_finished, write_boxes,
                             write_times, write_vot_records)
from ..results.longterm import read_longterm_results, write_longterm_results

__all__ = ["run_ope", "run_longterm", "run_restart", "run_benchmark", "tracker_results_dir"]

logger = logging.getLogger(__name__)


def _track_all(tracker, sequence, read_frame):
    """Init on frame 0 with the init box of docs/evaluation.md, track the rest; yields
    ``(box, score, seconds)`` per frame (frame 0: the init box and NaN)."""
    for i, path in enumerate(sequence.frames):
        img = read_frame(path)
        start = time.perf_counter()
        if i == 0:
            box = init_box_from_region(sequence.init_region)
            tracker.init(img, box)
            score = float("nan")
        else:
            out = tracker.track(img)
            box, score = out["bbox"], float(out.get("score", float("nan")))
        yield [float(v) for v in box], score, time.perf_counter() - start


def run_ope(tracker, sequence, read_frame=read_image):
    """One-pass run: init on frame 0 with the init box (also its output), track the rest.
    Returns ``(boxes N x 4, seconds per frame)``."""
    rows = list(_track_all(tracker, sequence, read_frame))
    return np.asarray([r[0] for r in rows], dtype=np.float64), [r[2] for r in rows]


def run_longterm(tracker, sequence, read_frame=read_image):
    """One-pass run keeping each frame's confidence (the result's ``score``), as pysot runs
    VOT-LT. Returns ``(boxes N x 4, confidences N, seconds per frame)``: row 0 and confidence 0
    are NaN (the files mark frame 0 instead), confidences rounded as the files store them
    (``%.6f``), so that scoring in memory equals scoring the written files."""
    rows = list(_track_all(tracker, sequence, read_frame))
    boxes = np.asarray([r[0] for r in rows], dtype=np.float64)
    boxes[0] = np.nan
    scores = np.asarray([float("%.6f" % r[1]) for r in rows], dtype=np.float64)
    scores[0] = np.nan
    return boxes, scores, [r[2] for r in rows]


def run_restart(tracker, frames: Seq, gt: np.ndarray, read_frame=read_image, skip: int = SKIP_FRAMES):
    """Run ``tracker`` on one sequence with the VOT restart protocol (``docs/evaluation.md``).

    Records per frame: ``[1]`` (initialised), ``[2]`` (failure: overlap 0), ``[0]`` (skipped
    after a failure) or the predicted box rounded to 4 decimals as written to result files.
    Returns ``(records, seconds_per_frame)``.
    """
    records, times, next_init = [], [], 0
    for i, path in enumerate(frames):
        if i < next_init:
            records.append([0])
            times.append(0.0)
            continue
        img = read_frame(path)
        start = time.perf_counter()
        if i == next_init:
            tracker.init(img, init_box_from_region(gt[i]))
            records.append([1])
        else:
            out = tracker.track(img)
            pred = [float(v) for v in out.get("polygon", out["bbox"])]
            if region_overlap(pred, gt[i], (img.shape[1], img.shape[0])) > 0:
                records.append([float("%.4f" % v) for v in pred])
            else:
                records.append([2])
                next_init = i + skip
        times.append(time.perf_counter() - start)
    return records, times


def tracker_results_dir(output_dir: str, benchmark: Benchmark, tracker_name: str) -> str:
    """``<output>/<dataset>/<tracker>`` (pysot's layout)."""
    return os.path.join(output_dir, benchmark.results_name, tracker_name)


def _read_back(tracker_dir, seq, layout, path):
    if layout == "vot":
        return [read_vot_records(path)]
    if layout == "longterm":
        return read_longterm_results(tracker_dir, seq.name)
    return read_boxes(path)


def _run_one(tracker, benchmark, seq, tracker_dir, path, read_frame):
    """Track one sequence by the benchmark's protocol, write its files; returns its result."""
    layout = benchmark.results_layout
    if benchmark.protocol == "vot":
        records, times = run_restart(tracker, seq.frames, seq.gt, read_frame)
        if path:
            write_vot_records(path, records)
        return [records], times
    if benchmark.protocol == "longterm":
        boxes, scores, times = run_longterm(tracker, seq, read_frame)
        if path:
            write_longterm_results(tracker_dir, seq.name, boxes, scores, times)
        return (boxes, scores), times
    boxes, times = run_ope(tracker, seq, read_frame)
    if path:
        if layout == "got10k":
            write_times(os.path.join(os.path.dirname(path), f"{seq.name}_time.txt"), times)
        write_boxes(path, boxes)
    return boxes, times


def _finished(tracker_dir, seq, layout, record) -> bool:
    return (sequence_finished(tracker_dir, seq, layout)
            and (record is None or record.is_finished(seq.name, refresh=True)))


def _sequence(tracker, benchmark, seq, tracker_dir, resume, record, read_frame, wait):
    """One sequence: ``(result, read back?)``, or None when another process holds its claim
    (and ``wait`` is False). With a folder, the sequence is claimed while it is tracked."""
    layout = benchmark.results_layout
    path = result_path(tracker_dir, seq.name, layout) if tracker_dir else None
    if path is None:
        return _run_one(tracker, benchmark, seq, None, None, read_frame)[0], False
    with SequenceClaim(tracker_dir, seq.name) as claim:
        if not (claim.wait() if wait else claim.try_take()):
            return None
        if resume and _finished(tracker_dir, seq, layout, record):
            return _read_back(tracker_dir, seq, layout, path), True
        result, times = _run_one(tracker, benchmark, seq, tracker_dir, path, read_frame)
        if record is not None:
            record.add(seq.name)
    logger.debug("%s: %d frames, %.1f fps", seq.name, len(times), len(times) / max(sum(times), 1e-9))
    return result, False


def run_benchmark(tracker, benchmark: Benchmark, output_dir: Optional[str] = None,
                  tracker_name: str = "tracker", resume: bool = True, progress: bool = True,
                  read_frame=read_image, record=None, names=None, on_frames=None) -> Dict[str, object]:
    """Run ``tracker`` on the sequences ``names`` of ``benchmark`` (default: all, in sorted order).

    With ``output_dir``, each finished sequence is written at once (atomically) under
    :func:`tracker_results_dir`, and with ``resume`` sequences whose file already exists are
    read back instead of re-run — with a ``record``
    (:class:`~siamtrack.evaluation.results.fingerprint.ResultsRecord`), only those it lists as
    finished under its fingerprint, and each new sequence is added to it. A sequence another
    process is tracking into the same folder (its claim, :mod:`..results.claims`) is taken up
    last, once that process is done with it. ``on_frames(n)`` is told the frames of each
    sequence done. Returns ``{sequence: N x 4 boxes}`` (OPE, GOT-10k), ``{sequence:
    [records]}`` (VOT, one run) or ``{sequence: (boxes, confidences)}`` (long-term).
    """
    benchmark.check_frames()
    tracker_dir = tracker_results_dir(output_dir, benchmark, tracker_name) if output_dir else None
    sequences = benchmark.sequences if names is None else [benchmark[n] for n in names]
    results = {}
    bar = tqdm(sequences, desc=f"{benchmark.label} {tracker_name}", unit="seq",
               disable=not progress, dynamic_ncols=True)
    busy = []

    def take(seq, wait):
        """Track or read back ``seq`` (None: claimed elsewhere, kept for later); 1 when read back."""
        bar.set_postfix_str(seq.name)
        outcome = _sequence(tracker, benchmark, seq, tracker_dir, resume, record,
                            seq.frame_reader or read_frame, wait)
        if outcome is None:
            busy.append(seq)
            return 0
        results[seq.name] = outcome[0]
        if on_frames is not None:
            on_frames(seq.n_frames)
        return int(outcome[1])

    skipped = sum(take(seq, False) for seq in bar)
    skipped += sum(take(seq, True) for seq in list(busy))
    if skipped:
        logger.info("%s %s: skipped %d finished sequence%s (results in %s; --no-resume re-runs them)",
                    benchmark.name, tracker_name, skipped, "" if skipped == 1 else "s", tracker_dir)
    return results
