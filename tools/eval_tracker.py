#!/usr/bin/env python
"""Run a tracker over a tracking benchmark and score it, or score existing result folders.

Run (pysot result layout under --output, resumable, then table and plots)::

    python tools/eval_tracker.py --config-file configs/pysot/siamrpn_alex_dwxcorr.yaml \\
        --dataset OTB100 --dataset-root datasets/OTB100 MODEL.WEIGHTS model.pth MODEL.DEVICE cpu

Score existing results (no model)::

    python tools/eval_tracker.py --dataset otb --dataset-root datasets/OTB100 \\
        --results output/results/OTB100/trackerA output/results/OTB100/trackerB \\
        --output-json scores.json --plot-dir plots

Bad input prints one line on stderr and exits with status 2.
"""
import argparse
import json
import logging
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def parse_args(argv=None):
    """Command-line arguments (detectron2 style: trailing ``KEY VALUE`` config overrides)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config-file", default="", metavar="FILE", help="siamtrack config (run mode)")
    p.add_argument("--dataset", required=True, help="benchmark name, e.g. OTB100, otb, VOT2018, GOT-10k-val")
    p.add_argument("--dataset-root", default=None, metavar="DIR",
                   help="benchmark folder (default: $DETECTRON2_DATASETS/<standard folder>)")
    p.add_argument("--output", default="output/results", metavar="DIR",
                   help="results root: <output>/<dataset>/<tracker>/ (default: output/results)")
    p.add_argument("--tracker-name", default="", help="results folder name (default: weights file name)")
    p.add_argument("--results", nargs="+", default=[], metavar="DIR",
                   help="score these result folders (tracker folders or folders of them)")
    p.add_argument("--output-json", default="", metavar="FILE", help="write the scores as JSON")
    p.add_argument("--plot-dir", default="", metavar="DIR", help="write success/precision plots (PNG)")
    p.add_argument("--max-sequences", type=int, default=0, help="only the first N sequences (0 = all)")
    p.add_argument("--no-resume", action="store_true", help="re-run sequences that already have results")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides: KEY VALUE ...")
    args = p.parse_args(argv)
    if not args.config_file and not args.results:
        p.error("give --config-file (run a tracker) or --results DIR ... (score results)")
    if args.opts and not args.config_file:
        p.error(f"config overrides {' '.join(args.opts[:2])} ... need --config-file")
    return args


class UsageError(ValueError):
    """Bad command-line input; reported as one line, exit status 2."""


def setup_cfg(args):
    """detectron2 config with siamtrack's keys, the YAML file and the overrides."""
    from siamtrack.config import ConfigError, load_config

    try:
        cfg = load_config(args.config_file, args.opts)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    cfg.freeze()
    return cfg


def default_tracker_name(cfg, config_file):
    """pysot's model name: the weights file name up to its first '.', else the config name."""
    source = cfg.MODEL.WEIGHTS or config_file
    return os.path.basename(source).split(".")[0] or "tracker"


def run(args, bench):
    """Run the tracker of ``--config-file`` on ``bench``; returns the tracker results folder."""
    from siamtrack.evaluation import run_benchmark, tracker_results_dir
    from siamtrack.tracking import SiamTracker

    cfg = setup_cfg(args)
    name = args.tracker_name or default_tracker_name(cfg, args.config_file)
    tracker = SiamTracker.from_config(cfg)
    run_benchmark(tracker, bench, args.output, name, resume=not args.no_resume,
                  progress=not args.no_progress)
    return tracker_results_dir(args.output, bench, name)


def main(argv=None):
    """Entry point; returns the exit status."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    warnings.filterwarnings("ignore", category=FutureWarning)  # torch/detectron2 import noise
    from siamtrack.evaluation import (BenchmarkError, ResultsError, format_table, load_benchmark,
                                      plot_benchmark, score_result_dirs)
    from siamtrack.utils.fileio import atomic_write
    from siamtrack.tracking import InputError

    try:
        bench = load_benchmark(args.dataset, args.dataset_root, args.max_sequences,
                               need_frames=bool(args.config_file))
        dirs = list(args.results)
        if args.config_file:
            dirs.insert(0, run(args, bench))
        if not bench.has_full_gt:
            print(f"{bench.name}: results written under {os.path.join(args.output, bench.results_name)}; "
                  "no public ground truth, submit them to the evaluation server")
            return 0
        scores = score_result_dirs(bench, dirs)
        print(format_table(scores))
        if args.output_json:
            summary = {name: s.summary() for name, s in scores.items()}
            atomic_write(args.output_json, [json.dumps(summary, indent=1)])
    except (BenchmarkError, ResultsError, InputError, UsageError, KeyError) as exc:
        msg = exc.args[0] if exc.args else str(exc)
        print(f"eval_tracker.py: error: {msg}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. an unwritable --output or --output-json
        msg = f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc)
        print(f"eval_tracker.py: error: {msg}", file=sys.stderr)
        return 2
    if args.plot_dir:
        for path in plot_benchmark(scores, args.plot_dir, bench.name):
            print(f"plot: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
