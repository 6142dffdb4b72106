"""Run a tracker over a benchmark and score it: the work of ``siamtrack-eval`` (``tools/eval_tracker.py``).

An :class:`EvaluationJob` says what is tracked and where; :func:`prepare_job` checks it and the
results folder's fingerprint before any tracking, :func:`track_share` tracks one process's
share of the sequences (all of them in one process), :func:`score_job` scores the folder
(:mod:`siamtrack.engine.eval_job` runs these over launched processes). :func:`evaluate_on_benchmark`
does all three in this process. The command prints the table and writes JSON and plots with
:func:`write_scores_json` and :func:`write_plots`. docs/evaluation.md explains the layouts and metrics.
"""
import json
import os
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple

from ...tracking import build_tracker
from ...tracking.video_job import load_tracking_config
from ...utils.fileio import atomic_write, cannot_write
from ..benchmarks import Benchmark, load_benchmark
from ..metrics.plots import plot_benchmark
from ..metrics.scoring import score_result_dirs
from ..results.files import ResultsError
from ..results.fingerprint import ResultsRecord, default_tracker_name, results_fingerprint
from .runner import run_benchmark, tracker_results_dir
from .shard import assign_sequences

__all__ = ["EvaluationReport", "EvaluationJob", "prepare_job", "track_share", "score_job",
           "evaluate_on_benchmark", "write_scores_json", "write_plots"]


@dataclass
class EvaluationReport:
    """What :func:`evaluate_on_benchmark` did: the benchmark, the scores per tracker (None when
    the benchmark has no public ground truth) and the folder the tracker's results went to."""

    benchmark: Benchmark
    scores: Optional[Dict[str, object]]
    results_dir: Optional[str]


@dataclass(frozen=True)
class EvaluationJob:
    """What one ``siamtrack-eval`` run tracks and where: the same in every process of a launch
    (it is sent to them), each of which loads the benchmark and builds the tracker from it."""

    dataset: str
    dataset_root: Optional[str] = None
    config_file: str = ""
    opts: Tuple[str, ...] = ()
    output: str = "output/results"
    tracker_name: str = ""
    max_sequences: int = 0
    resume: bool = True

    def benchmark(self) -> Benchmark:
        """The benchmark (with its frames when a tracker is run)."""
        return load_benchmark(self.dataset, self.dataset_root, self.max_sequences,
                              need_frames=bool(self.config_file))

    def config(self):
        """The tracker's config (frozen)."""
        return load_tracking_config(self.config_file, list(self.opts))


def _check_outside_dataset(results_dir: str, benchmark: Benchmark):
    """Results are never written inside the dataset (its next read would take them for data)."""
    root, target = os.path.realpath(benchmark.root), os.path.realpath(results_dir)
    if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
        raise ResultsError(f"the results folder {results_dir} is inside the dataset folder "
                           f"{benchmark.root}: give an --output outside it")


def prepare_job(job: EvaluationJob, reset: bool = True):
    """Before any tracking (in the launching process): ``(benchmark, job with its tracker name,
    tracker results folder or None)``; the folder's fingerprint is checked and written (with
    ``reset`` and no ``job.resume``: a new record, every sequence to be re-run)."""
    bench = job.benchmark()
    if not job.config_file:
        return bench, job, None
    cfg = job.config()
    job = replace(job, tracker_name=job.tracker_name or default_tracker_name(cfg, job.config_file))
    if job.tracker_name in (".", "..") or "/" in job.tracker_name or os.sep in job.tracker_name:
        raise ResultsError(f"--tracker-name {job.tracker_name!r} is a folder name inside "
                           f"{job.output}: no '/', '..' or '.'")
    results_dir = tracker_results_dir(job.output, bench, job.tracker_name)
    _check_outside_dataset(results_dir, bench)
    ResultsRecord(results_dir, results_fingerprint(cfg, job.config_file)).open(job.resume or not reset)
    return bench, job, results_dir


def track_share(job: EvaluationJob, rank: int = 0, world_size: int = 1, benchmark=None,
                progress=None, bar: bool = False):
    """Track this process's share of the benchmark (:func:`.shard.assign_sequences`) into the
    results folder, resuming under its fingerprint; ``progress`` (a :class:`.shard.ProgressFiles`)
    counts the frames done, ``bar`` shows this process's own bar."""
    bench = benchmark if benchmark is not None else job.benchmark()
    cfg = job.config()
    results_dir = tracker_results_dir(job.output, bench, job.tracker_name)
    record = ResultsRecord(results_dir, results_fingerprint(cfg, job.config_file)).open(True)
    names = assign_sequences(bench.sequences, world_size)[rank]
    try:
        run_benchmark(build_tracker(cfg), bench, job.output, job.tracker_name, resume=True,
                      progress=bar, record=record, names=names,
                      on_frames=progress.add if progress is not None else None)
    except OSError as exc:  # a full disk, a folder made read-only meanwhile
        raise cannot_write(exc.filename or results_dir, exc) from None
    if progress is not None:
        progress.add(0, force=True)


def score_job(benchmark: Benchmark, results_dir: Optional[str], results=()) -> EvaluationReport:
    """Score the tracker's folder (first) and the other ``results`` folders."""
    dirs: List[str] = ([results_dir] if results_dir else []) + list(results)
    scores = score_result_dirs(benchmark, dirs) if benchmark.has_full_gt else None
    return EvaluationReport(benchmark, scores, results_dir)


def evaluate_on_benchmark(dataset, dataset_root=None, config_file="", opts=(), results=(),
                          output="output/results", tracker_name="", max_sequences=0, resume=True,
                          progress=True) -> EvaluationReport:
    """Run the tracker of ``config_file`` (with ``opts``) on benchmark ``dataset`` in this
    process and score it with the result folders ``results``; with no ``config_file``, only
    score ``results``. (``siamtrack-eval`` spreads the same work over processes:
    :mod:`siamtrack.engine.eval_job`.)

    The tracker's results go to ``<output>/<dataset>/<tracker_name>/`` (default name:
    :func:`~siamtrack.evaluation.results.fingerprint.default_tracker_name`) with the folder's
    fingerprint; with ``resume`` the sequences finished under the same fingerprint are read
    back, and a folder of another fingerprint is refused (:class:`ResultsError`).
    """
    job = EvaluationJob(dataset, dataset_root, config_file, tuple(opts), output, tracker_name,
                        max_sequences, resume)
    bench, job, results_dir = prepare_job(job)
    if results_dir:
        track_share(job, benchmark=bench, bar=progress)
    return score_job(bench, results_dir, results)


def write_scores_json(path, scores):
    """Write each tracker's score summary to ``path`` as JSON (atomically)."""
    summary = {name: score.summary() for name, score in scores.items()}
    try:
        atomic_write(path, [json.dumps(summary, indent=1)])
    except OSError as exc:
        raise cannot_write(path, exc) from None


def write_plots(scores, plot_dir, benchmark_name, title="") -> Sequence[str]:
    """Success and precision plots (PNG) of ``scores`` in ``plot_dir`` (titles: ``title``, default
    the name); returns their paths."""
    try:
        return plot_benchmark(scores, plot_dir, benchmark_name, title)
    except OSError as exc:
        raise cannot_write(exc.filename or plot_dir, exc) from None
