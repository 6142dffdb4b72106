"""One benchmark evaluation spread over processes, GPUs and machines: the work of
``siamtrack-eval`` (``tools/eval_tracker.py``; docs/evaluation.md, "Several processes, GPUs and
machines").

:func:`run_evaluation` checks everything in the launching process (benchmark, config, results
folder and its fingerprint, launch arguments: one line each), then starts the processes with
:func:`~siamtrack.engine.launch.launch` -- detectron2's, CPU processes without CUDA -- and draws
one progress bar of all of them. Each process tracks its share of the sequences
(:func:`~siamtrack.evaluation.runs.benchmark_job.track_share`) into the one results folder and
waits for the others at a barrier; the first machine's launching process then scores the folder.
"""
import logging
import os
import shutil
import signal
import sys
import tempfile
from typing import Optional

import torch
from detectron2.utils import comm
from torch.multiprocessing import ProcessExitedException, ProcessRaisedException

from ..evaluation.runs.benchmark_job import (EvaluationJob, EvaluationReport, prepare_job, score_job,
                                              track_share)
from ..evaluation.runs.shard import ProgressFiles, default_threads
from ..utils.errors import InputError, first_line
from .launch import LaunchError, launch, launch_problem

__all__ = ["EvaluationProcessError", "run_evaluation"]

KEPT = "the sequences finished are kept: run the same command again to track the rest"


class EvaluationProcessError(InputError):
    """An evaluation process ended before its share was done (killed, or its input failed)."""


def _ignore(signum, frame):
    """A signal after the first: the process is already ending."""


def _stop(signum, frame):
    """Ctrl-C or SIGTERM in a launched process: end through Python (temporary files and
    semaphores cleaned up), deaf to the launching process's own SIGINT that follows (it would
    interrupt that cleanup with a traceback)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _ignore)  # not SIG_IGN: one already pending would be reported
    if signum == signal.SIGINT:
        raise KeyboardInterrupt  # torch's process wrapper ends quietly on it
    raise SystemExit(128 + signum)


def _worker(job: EvaluationJob, results_dir: str, threads: int, error_dir: str):
    """One process: its thread count, its share of the sequences, then the barrier."""
    if comm.get_world_size() > 1:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stop)
    # One process runs inside the caller (the Python API, a test): its thread count is restored.
    caller_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    rank, world = comm.get_rank(), comm.get_world_size()
    try:
        track_share(job, rank, world, progress=ProgressFiles(results_dir, rank))
    except InputError as exc:
        if world == 1:
            raise
        with open(os.path.join(error_dir, f"rank{rank}"), "w") as f:
            f.write(first_line(exc))
        sys.exit(2)  # the launching process reads the line (no traceback)
    finally:
        torch.set_num_threads(caller_threads)
    comm.synchronize()


def _process_error(exc, error_dir: str) -> Optional[EvaluationProcessError]:
    """One line for a process that ended early: its own error line, or how it ended; None for
    a bug in a process (its traceback is kept)."""
    lines = []
    for name in sorted(os.listdir(error_dir)):
        with open(os.path.join(error_dir, name)) as f:
            lines.append(f.read().strip())
    if lines:
        return EvaluationProcessError(f"{lines[0]} ({KEPT})")
    if isinstance(exc, ProcessRaisedException):
        return None
    how = getattr(exc, "signal_name", None) or (
        "SIGTERM" if exc.exit_code == 128 + signal.SIGTERM else f"exit code {exc.exit_code}")
    return EvaluationProcessError(f"evaluation process {exc.error_index} ended by {how}; {KEPT}")


def _launch(job, name, results_dir, args, threads, total_frames, progress):
    """Start the processes with one bar (on the first machine), turn their ends into one line."""
    world = args.num_gpus * args.num_machines
    files = ProgressFiles(results_dir)
    first = args.machine_rank * args.num_gpus
    files.clear(range(first, first + args.num_gpus))
    finish = files.show(world, total_frames, f"{name} {job.tracker_name}",
                        enabled=progress and args.machine_rank == 0)
    error_dir = tempfile.mkdtemp(prefix="siamtrack-eval-")
    spawn_log = logging.getLogger("torch.multiprocessing.spawn")
    level = spawn_log.level
    spawn_log.setLevel(logging.ERROR)  # "Terminating process ..." after one ended: we say it once
    try:
        launch(_worker, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
               dist_url=args.dist_url, args=(job, results_dir, threads, error_dir))
    except (ProcessExitedException, ProcessRaisedException) as exc:
        error = _process_error(exc, error_dir)
        if error is None:
            raise
        raise error from None
    except KeyboardInterrupt as exc:
        raise type(exc)(f"{exc}: {KEPT}" if str(exc) else KEPT) from None
    finally:
        spawn_log.setLevel(level)
        finish()
        shutil.rmtree(error_dir, ignore_errors=True)


def run_evaluation(args) -> Optional[EvaluationReport]:
    """``siamtrack-eval``'s work for its parsed ``args`` (``dataset``, ``config_file``, ``opts``,
    ``results``, ``output``, ``tracker_name``, ``max_sequences``, ``no_resume``, ``no_progress``,
    ``threads``, and detectron2's ``num_gpus``, ``num_machines``, ``machine_rank``,
    ``dist_url``). Returns the report on the first machine, None on the others."""
    problem = launch_problem(args.num_gpus, args.num_machines, args.machine_rank, args.dist_url)
    if problem:
        raise LaunchError(problem)
    job = EvaluationJob(args.dataset, args.dataset_root, args.config_file, tuple(args.opts), args.output,
                        args.tracker_name, args.max_sequences, resume=not args.no_resume)
    # only the first machine starts a new record; the others join it (docs/evaluation.md)
    bench, job, results_dir = prepare_job(job, reset=args.machine_rank == 0)
    if results_dir:
        threads = args.threads or default_threads(args.num_gpus)
        total = sum(seq.n_frames for seq in bench)
        _launch(job, bench.label, results_dir, args, threads, total, not args.no_progress)
    if args.machine_rank != 0:
        return None
    return score_job(bench, results_dir, args.results)

