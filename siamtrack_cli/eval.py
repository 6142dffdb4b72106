"""Run a tracker over a tracking benchmark and score it, or score existing result folders.

Run (pysot result layout under --output, resumable, then table and plots)::

    siamtrack-eval --config-file configs/pysot/siamrpn_alex_dwxcorr.yaml \\
        --dataset OTB100 --dataset-root datasets/OTB100 MODEL.WEIGHTS model.pth

Score existing results (no model)::

    siamtrack-eval --dataset otb --dataset-root datasets/OTB100 \\
        --results output/results/OTB100/trackerA output/results/OTB100/trackerB \\
        --output-json scores.json --plot-dir plots

Several processes (CPU processes without CUDA), GPUs or machines, as siamtrack-train::

    siamtrack-eval --config-file ... --dataset OTB100 --num-gpus 2 MODEL.WEIGHTS model.pth

A folder of your own sequences: ``--dataset videos --dataset-root DIR`` (or ``videos:DIR``; any
layout of datasets/README.md). GOT-10k is scored with AO / SR, VOT2018-LT / VOT2019-LT with
long-term precision / recall / F1 (docs/evaluation.md).

Bad input prints one line on stderr and exits with status 2.
"""
import argparse
import os
import re
import sys

from .common import config_file_problem, option_value, run_command
from .paths import output_file_problem, output_folder_problem

__all__ = ["build_parser", "main"]

PROG = "siamtrack-eval"


def build_parser(prog=PROG):
    """Command-line arguments (detectron2 style: trailing ``KEY VALUE`` config overrides)."""
    p = _Parser(prog=prog, description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config-file", default="", metavar="FILE", help="siamtrack config (run mode)")
    p.add_argument("--dataset", required=True,
                   help="benchmark name (OTB100, VOT2018, GOT-10k-val, VOT2018-LT, ...) or a folder "
                        "layout: videos, got10k, otb, vot, vot-lt, ... with --dataset-root, or LAYOUT:DIR")
    p.add_argument("--dataset-root", default=None, metavar="DIR",
                   help="benchmark folder (default: $DETECTRON2_DATASETS/<standard folder>)")
    p.add_argument("--output", default="output/results", metavar="DIR",
                   help="results root: <output>/<dataset>/<tracker>/ (default: output/results)")
    p.add_argument("--tracker-name", default="",
                   help="results folder name (default: the weights file name; for a generic name "
                        "such as model_final.pth prefixed with its folder: a_model_final)")
    p.add_argument("--results", nargs="+", default=[], metavar="DIR",
                   help="score these result folders (tracker folders or folders of them)")
    p.add_argument("--output-json", default="", metavar="FILE", help="write the scores as JSON")
    p.add_argument("--plot-dir", default="", metavar="DIR", help="write success/precision plots (PNG)")
    p.add_argument("--max-sequences", type=int, default=0, help="only the first N sequences (0 = all)")
    p.add_argument("--no-resume", action="store_true",
                   help="re-run every sequence (also into a folder made with other weights or config)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--threads", type=int, default=0,
                   help="threads per process (default: the machine's cores shared equally among its processes)")
    p.add_argument("--num-gpus", type=int, default=1,
                   help="processes per machine: GPUs, or CPU processes without CUDA (default: 1)")
    p.add_argument("--num-machines", type=int, default=1, help="total number of machines (default: 1)")
    p.add_argument("--machine-rank", type=int, default=0, help="the rank of this machine (unique per machine)")
    p.add_argument("--dist-url", default="auto",
                   help="process group address, tcp://HOST:PORT of machine 0 with several machines "
                        "(default: auto, a free port of this machine)")
    p.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides: KEY VALUE ... (last)")
    return p


# A config override's key: an upper-case section and dotted keys (MODEL.WEIGHTS, TRACK.LR)
_CONFIG_KEY = re.compile(r"^[A-Z][A-Z0-9_]*(\.[A-Z][A-Z0-9_]*)+$")


def overrides_last(argv, parser):
    """``argv`` with every ``KEY VALUE`` config override moved after the options, so that
    ``--results DIR MODEL.WEIGHTS w.pth`` does not read the overrides as folders and an option
    written after the overrides is still an option (an unknown one is then argparse's error)."""
    takes_value = {s for a in parser._actions if a.nargs is None and a.option_strings
                   and not isinstance(a, (argparse._StoreTrueAction, argparse._HelpAction))
                   for s in a.option_strings}
    options, overrides, i = [], [], 0
    while i < len(argv):
        word = argv[i]
        if word in takes_value and i + 1 < len(argv):
            options += argv[i:i + 2]
            i += 2
        elif _CONFIG_KEY.match(word) and i + 1 < len(argv):
            overrides += argv[i:i + 2]
            i += 2
        else:
            options.append(word)
            i += 1
    return options + overrides


class _Parser(argparse.ArgumentParser):
    """argparse with :func:`overrides_last` applied first."""

    def parse_args(self, args=None, namespace=None):
        """Parse ``args`` (default ``sys.argv[1:]``), config overrides last."""
        return super().parse_args(overrides_last(sys.argv[1:] if args is None else list(args), self), namespace)


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    if args.threads < 0:
        return f"--threads must be 0 (a share of the cores) or more, got {args.threads}"
    if args.num_gpus < 1 or args.num_machines < 1:
        return "--num-gpus and --num-machines must be at least 1"
    if not 0 <= args.machine_rank < args.num_machines:
        return (f"--machine-rank {args.machine_rank} is not one of the {args.num_machines} machine(s) "
                f"(0 to {args.num_machines - 1})")
    if args.tracker_name in (".", "..") or "/" in args.tracker_name or os.sep in args.tracker_name:
        return f"--tracker-name {args.tracker_name!r} is a folder name inside --output: no '/', '..' or '.'"
    if not args.config_file and not args.results:
        return "give --config-file (run a tracker) or --results DIR ... (score results)"
    if args.opts and not args.config_file:
        return f"config overrides {' '.join(args.opts[:2])} ... need --config-file"
    if args.config_file:
        problem = config_file_problem(args.config_file)
        if problem:
            return problem
    if args.dataset_root and not os.path.isdir(args.dataset_root):
        return f"{args.dataset}: dataset folder {args.dataset_root} does not exist"
    for path in args.results:
        if not os.path.isdir(path):
            return f"results folder {path} does not exist"
    if args.output_json and not args.output_json.lower().endswith(".json"):
        return f"--output-json must end in .json, got {args.output_json}"
    return output_file_problem("--output-json", args.output_json) or output_folder_problem("--plot-dir", args.plot_dir)


def _check_outputs(args):
    """Refuse, before any work, a --output-json that is an input (config, weights, a file of
    the dataset folder)."""
    from siamtrack.utils.fileio import OutputClashError, check_outputs_spare_inputs

    check_outputs_spare_inputs([("--output-json", args.output_json)], [
        ("--config-file", args.config_file), ("MODEL.WEIGHTS", option_value(args.opts, "MODEL.WEIGHTS"))])
    root = args.dataset_root
    if args.output_json and root and os.path.isfile(args.output_json) and \
            os.path.realpath(args.output_json).startswith(os.path.realpath(root) + os.sep):
        raise OutputClashError(f"--output-json {args.output_json} is a file of the dataset folder {root}: "
                               "refusing to overwrite an input; choose another output path")


def _evaluate(args):
    from siamtrack.engine.eval_job import run_evaluation
    from siamtrack.evaluation import format_table, score_notes
    from siamtrack.evaluation.runs.benchmark_job import write_plots, write_scores_json

    _check_outputs(args)
    report = run_evaluation(args)
    if report is None:
        print(f"machine {args.machine_rank}: its sequences are tracked; machine 0 scores the results")
        return 0
    bench = report.benchmark
    if report.scores is None:
        print(f"{bench.name}: results written under {os.path.join(args.output, bench.results_name)}; "
              "no public ground truth, submit them to the evaluation server")
        return 0
    print(format_table(report.scores))
    for note in score_notes(report.scores):
        print(note)
    if args.output_json:
        write_scores_json(args.output_json, report.scores)
    if args.plot_dir:
        paths = write_plots(report.scores, args.plot_dir, bench.results_name, bench.label)
        for path in paths:
            print(f"plot: {path}")
        if not paths:
            print(f"no plots for {bench.name} (success / precision plots are drawn for OPE and GOT-10k)")
    return 0


def main(argv=None):
    """Entry point; returns the exit status (2 for bad input, with one line on stderr)."""
    return run_command(PROG, build_parser, _argument_problem, _evaluate, argv, log_to_console=True)
