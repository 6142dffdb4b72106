"""Run a tracker over a benchmark and score it: the work of ``siamtrack-eval`` (``tools/eval_tracker.py``).

:func:`evaluate_on_benchmark` loads the benchmark, runs the tracker of a config on it (results
in pysot's layout, resumable; see :mod:`.runner`) and/or scores existing result folders; the
command prints the table and writes JSON and plots with :func:`write_scores_json` and
:func:`write_plots`. docs/evaluation.md explains the layouts and metrics.
"""
import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from ...tracking import build_tracker
from ...tracking.video_job import load_tracking_config
from ...utils.errors import InputError, first_line
from ...utils.fileio import atomic_write
from ..benchmarks import Benchmark, load_benchmark
from ..results.fingerprint import ResultsRecord, default_tracker_name, results_fingerprint
from ..metrics.plots import plot_benchmark
from .runner import run_benchmark, tracker_results_dir
from ..metrics.scoring import score_result_dirs

__all__ = ["EvaluationReport", "evaluate_on_benchmark", "write_scores_json", "write_plots"]


@dataclass
class EvaluationReport:
    """What :func:`evaluate_on_benchmark` did: the benchmark, the scores per tracker (None when
    the benchmark has no public ground truth) and the folder the tracker's results went to."""

    benchmark: Benchmark
    scores: Optional[Dict[str, object]]
    results_dir: Optional[str]


def evaluate_on_benchmark(dataset, dataset_root=None, config_file="", opts=(), results=(),
                          output="output/results", tracker_name="", max_sequences=0, resume=True,
                          progress=True) -> EvaluationReport:
    """Run the tracker of ``config_file`` (with ``opts``) on benchmark ``dataset`` and score it
    with the result folders ``results``; with no ``config_file``, only score ``results``.

    The tracker's results go to ``<output>/<dataset>/<tracker_name>/`` (default name:
    :func:`~siamtrack.evaluation.results.fingerprint.default_tracker_name`) with the folder's
    fingerprint; with ``resume`` the sequences finished under the same fingerprint are read
    back, and a folder of another fingerprint is refused (:class:`ResultsError`).
    """
    bench = load_benchmark(dataset, dataset_root, max_sequences, need_frames=bool(config_file))
    dirs: List[str] = list(results)
    results_dir = None
    if config_file:
        cfg = load_tracking_config(config_file, opts)
        name = tracker_name or default_tracker_name(cfg, config_file)
        tracker = build_tracker(cfg)
        results_dir = tracker_results_dir(output, bench, name)
        record = ResultsRecord(results_dir, results_fingerprint(cfg, config_file)).open(resume)
        run_benchmark(tracker, bench, output, name, resume=resume, progress=progress, record=record)
        dirs.insert(0, results_dir)
    scores = score_result_dirs(bench, dirs) if bench.has_full_gt else None
    return EvaluationReport(bench, scores, results_dir)


def _cannot_write(path, exc):
    return InputError(f"cannot write {path}: {exc.strerror or first_line(exc)}")


def write_scores_json(path, scores):
    """Write each tracker's score summary to ``path`` as JSON (atomically)."""
    summary = {name: score.summary() for name, score in scores.items()}
    try:
        atomic_write(path, [json.dumps(summary, indent=1)])
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def write_plots(scores, plot_dir, benchmark_name) -> Sequence[str]:
    """Success and precision plots (PNG) of ``scores`` in ``plot_dir``; returns their paths."""
    try:
        return plot_benchmark(scores, plot_dir, benchmark_name)
    except OSError as exc:
        raise _cannot_write(exc.filename or plot_dir, exc) from None
