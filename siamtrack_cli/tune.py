"""Tune the tracker's TRACK.PENALTY_K, WINDOW_INFLUENCE and LR on a benchmark with Optuna.

    siamtrack-tune --config-file configs/pysot/siamrpn_alex_dwxcorr_otb.yaml \\
        --dataset OTB100 --dataset-root datasets/OTB100 --study alex_otb \\
        --storage sqlite:///tune.db --trials 100 --metric auc MODEL.WEIGHTS model.pth

The study lives in the --storage database (SQLite, or any database URL Optuna accepts): processes
on several machines given the same storage and --study share it, and the same command run again
after a kill resumes it (completed trials are not re-run). --trials is the number of completed
trials the study should reach; several processes share a study one trial each (docs/evaluation.md).
The best trial is printed and written as a config YAML
(``_BASE_`` = --config-file, only the tuned TRACK keys) beside a PNG of the trials in --output.
Bad input: one line on stderr, exit status 2. docs/evaluation.md, "Tuning the tracker".
"""
import argparse
import os
from importlib.util import find_spec

from .common import config_file_problem, run_command

__all__ = ["build_parser", "main"]

PROG = "siamtrack-tune"
METRICS = ("auc", "eao", "ao", "f1")  # siamtrack.evaluation.tuning.search.METRICS, without importing it


def build_parser(prog=PROG):
    """Command-line arguments (detectron2 style: trailing ``KEY VALUE`` config overrides)."""
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config-file", required=True, metavar="FILE", help="tracker config (path or packaged name)")
    p.add_argument("--dataset", required=True, help="benchmark name, e.g. OTB100, VOT2018, GOT-10k-val")
    p.add_argument("--dataset-root", default=None, metavar="DIR",
                   help="benchmark folder (default: $DETECTRON2_DATASETS/<standard folder>)")
    p.add_argument("--study", required=True, help="study name in the storage")
    p.add_argument("--storage", default="sqlite:///tune.db", metavar="URL",
                   help="Optuna database URL (default: sqlite:///tune.db, in the current folder)")
    p.add_argument("--trials", type=int, required=True, help="completed trials the study should reach")
    p.add_argument("--metric", default="auc", help=f"what to maximise: {', '.join(METRICS)} (default: auc)")
    p.add_argument("--search-instance-size", action="store_true",
                   help="also tune TRACK.INSTANCE_SIZE (255 to 287, step 8)")
    p.add_argument("--output", default="output/tune", metavar="DIR",
                   help="where <study>_best.yaml and <study>_trials.png go (default: output/tune)")
    p.add_argument("--max-sequences", type=int, default=0, help="only the first N sequences (0 = all)")
    p.add_argument("--seed", type=int, default=None, help="seed of this process's sampler (default: random)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides: KEY VALUE ...")
    return p


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    if args.metric not in METRICS:
        return f"unknown --metric {args.metric!r}; choose one of {', '.join(METRICS)}"
    if args.study in (".", "..") or "/" in args.study or os.sep in args.study:
        return f"--study {args.study!r} names files in --output: no '/', '..' or '.'"
    if args.trials < 1:
        return f"--trials must be at least 1, got {args.trials}"
    if find_spec("optuna") is None:
        return "needs the 'tune' extra (No module named 'optuna'): pip install 'siamtrack[tune]'"
    problem = config_file_problem(args.config_file)
    if problem:
        return problem
    if args.dataset_root and not os.path.isdir(args.dataset_root):
        return f"{args.dataset}: dataset folder {args.dataset_root} does not exist"
    if len(args.opts) % 2:
        return f"config overrides must be KEY VALUE pairs, got {len(args.opts)} words"
    return None


def _tune(args):
    from siamtrack.evaluation import load_benchmark
    from siamtrack.evaluation.tuning.search import (SEARCH_SPACE, check_metric, display_url, open_study,
                                             tracker_fingerprint, tune)
    from siamtrack.evaluation.tuning.output import best_line, plot_trials, write_best_config
    from siamtrack.model_zoo import get_config_file
    from siamtrack.tracking.video_job import load_tracking_config

    config_file = args.config_file if os.path.isfile(args.config_file) else get_config_file(args.config_file)
    cfg = load_tracking_config(config_file, args.opts)
    bench = load_benchmark(args.dataset, args.dataset_root, args.max_sequences, need_frames=True)
    check_metric(bench, args.metric)  # before the study is made for it
    keys = list(SEARCH_SPACE) + (["INSTANCE_SIZE"] if args.search_instance_size else [])
    identity = {"metric": args.metric, "benchmark": f"{bench.name} ({len(bench)} sequences)",
                "tuned": " ".join(keys), "tracker": tracker_fingerprint(cfg, keys)}
    study = open_study(args.study, args.storage, identity, args.seed)
    print(f"study {args.study!r}: {len(study.trials)} trials so far; tuning TRACK.{', TRACK.'.join(keys)} "
          f"for {args.metric} on {bench.name}", flush=True)
    run = tune(cfg, bench, study, args.trials, args.metric, args.search_instance_size,
               progress=not args.no_progress, report=lambda line: print(line, flush=True))
    print(f"{run.completed_here} trials completed by this process")
    if run.best is None:
        return 0
    print(best_line(study, args.metric))
    yaml_path = write_best_config(os.path.join(args.output, f"{args.study}_best.yaml"), config_file, study,
                                  args.metric, bench.name, display_url(args.storage), args.opts)
    plot_path = plot_trials(os.path.join(args.output, f"{args.study}_trials.png"), study, args.metric)
    print(f"best config: {yaml_path}\nplot: {plot_path}")
    return 0


def main(argv=None):
    """Entry point; returns the exit status (2 for bad input, with one line on stderr)."""
    return run_command(PROG, build_parser, _argument_problem, _tune, argv, log_to_console=True)
