"""Run a tracker over a benchmark (``docs/evaluation.md``): OPE or the VOT restart protocol,
with a progress bar, per-sequence result files written atomically, and resume.

The tracker is any object with ``init(frame, (x, y, w, h))`` and ``track(frame) -> {"bbox":
(x, y, w, h), "score": s}`` (``siamtrack.tracking.SiamTracker``); frames are read by
:func:`siamtrack.utils.frames.read_image` (BGR ``uint8`` as ``cv2.imread`` returns them), the
reader of tracking and training too.
"""
import logging
import os
import time
from typing import Dict, Optional

import numpy as np
from tqdm import tqdm

from ..structures.boxes import init_box_from_region
from ..utils.frames import read_image
from .benchmarks.base import Benchmark, BenchmarkError
from .results import (read_boxes, read_vot_records, result_path, sequence_finished, write_boxes,
                      write_times, write_vot_records)
from .vot import run_restart

__all__ = ["run_ope", "run_benchmark", "tracker_results_dir"]

logger = logging.getLogger(__name__)


def run_ope(tracker, sequence, read_frame=read_image):
    """One-pass run: init on frame 0 with the §9.1 init box (also its output), track the rest.
    Returns ``(boxes N x 4, seconds per frame)``."""
    boxes, times = [], []
    for i, path in enumerate(sequence.frames):
        img = read_frame(path)
        start = time.perf_counter()
        if i == 0:
            box = init_box_from_region(sequence.init_region)
            tracker.init(img, box)
        else:
            box = tracker.track(img)["bbox"]
        times.append(time.perf_counter() - start)
        boxes.append([float(v) for v in box])
    return np.asarray(boxes, dtype=np.float64), times


def tracker_results_dir(output_dir: str, benchmark: Benchmark, tracker_name: str) -> str:
    """``<output>/<dataset>/<tracker>`` (pysot's layout)."""
    return os.path.join(output_dir, benchmark.results_name, tracker_name)


def run_benchmark(tracker, benchmark: Benchmark, output_dir: Optional[str] = None,
                  tracker_name: str = "tracker", resume: bool = True, progress: bool = True,
                  read_frame=read_image) -> Dict[str, object]:
    """Run ``tracker`` on every sequence of ``benchmark`` in sorted order.

    With ``output_dir``, each finished sequence is written at once (atomically) under
    :func:`tracker_results_dir`, and with ``resume`` sequences whose file already exists are
    read back instead of re-run. Returns ``{sequence: N x 4 boxes}`` (OPE) or
    ``{sequence: [records]}`` (VOT, one run).
    """
    benchmark.check_frames()
    tracker_dir = tracker_results_dir(output_dir, benchmark, tracker_name) if output_dir else None
    layout = benchmark.results_layout
    results = {}
    bar = tqdm(benchmark.sequences, desc=f"{benchmark.name} {tracker_name}", unit="seq",
               disable=not progress, dynamic_ncols=True)
    for seq in bar:
        bar.set_postfix_str(seq.name)
        path = result_path(tracker_dir, seq.name, layout) if tracker_dir else None
        if path and resume and sequence_finished(tracker_dir, seq, layout):
            results[seq.name] = [read_vot_records(path)] if layout == "vot" else read_boxes(path)
            continue
        if benchmark.protocol == "vot":
            records, times = run_restart(tracker, seq.frames, seq.gt, seq.frame_reader or read_frame)
            results[seq.name] = [records]
            if path:
                write_vot_records(path, records)
        else:
            boxes, times = run_ope(tracker, seq, seq.frame_reader or read_frame)
            results[seq.name] = boxes
            if path:
                if layout == "got10k":
                    write_times(os.path.join(os.path.dirname(path), f"{seq.name}_time.txt"), times)
                write_boxes(path, boxes)
        logger.debug("%s: %d frames, %.1f fps", seq.name, len(times), len(times) / max(sum(times), 1e-9))
    return results
