"""Check siamtrack on a CUDA GPU: CUDA tests, exactness vs the CPU, training, speed (docs/gpu.md).

    python tools/gpu_check.py [--device cuda|cpu] [--tiny] [--shared DIR] [--skip SECTION ...]
        [--output-json F] [--output-table F] [--budget-s S]

Sections: pytest (the tests marked ``cuda``), exactness (reference AlexNet and seeded
ResNet-50 / MobileNetV2: raw maps and 100 tracked frames of bag.avi vs the CPU, GPU crops vs
OpenCV, half precision), training (ResNet-50 SiamRPN++, 50 iterations with and without AMP),
speed (fps and aggregate target-frames/s at 1 / 8 / 32 targets vs the pysot-equivalent
baseline). Prints a table with each line's bound or goal and status. Exit status: 0, or 1 when
an exactness line or a CUDA test fails; 2 and one line on bad input. ``--device cpu --tiny`` is
the dry run of the same code on tiny sizes.
"""
import argparse
import os
import sys

from siamtrack_cli.common import run_command

__all__ = ["SECTIONS", "build_parser", "main"]

PROG = "gpu_check"
SECTIONS = ("pytest", "exactness", "training", "speed")  # siamtrack_dev.gpu_check.SECTIONS (not imported before parsing)


def build_parser(prog=PROG):
    """The check's options."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda",
                        help="where to run (default cuda; cpu only as a dry run, with --tiny)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: few frames and iterations, small models")
    parser.add_argument("--shared", metavar="DIR", help="the shared test data folder (holding reference/ and "
                        "data/bag.avi); default $SIAMTRACK_SHARED, ../shared beside the repository, or shared/ in it")
    parser.add_argument("--skip", action="append", default=[], choices=SECTIONS, metavar="SECTION",
                        help=f"a section not to run (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--output-json", metavar="F", help="write the JSON report here (kept up to date)")
    parser.add_argument("--output-table", metavar="F", help="write the tables here as Markdown")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="time budget in seconds, after which later steps are skipped (default 360; tiny 300)")
    return parser


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    if args.shared is not None and not os.path.isdir(args.shared):
        return f"--shared {args.shared}: no such folder"
    if args.budget_s is not None and args.budget_s <= 0:
        return "--budget-s must be positive"
    for option in ("output_json", "output_table"):
        path = getattr(args, option)
        if path and os.path.isdir(path):
            return f"--{option.replace('_', '-')} {path}: is a folder"
    return None


def _check(args):
    from siamtrack_dev.gpu_check import run_gpu_check

    report = run_gpu_check(args.device, args.tiny, args.shared, args.skip, args.output_json, args.output_table,
                           args.budget_s, echo=lambda line: print(line, flush=True))
    print()
    print(report.table())
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts().items()))
    failed = report.failed()
    print(f"\n{counts}; {'exactness and tests: all within their bounds' if not failed else 'FAILED: '}"
          + "; ".join(f"{line.section}: {line.name}" for line in failed[:5]))
    for path in (args.output_json, args.output_table):
        if path:
            print(f"wrote {path}")
    sys.stdout.flush()
    return report.exit_status()


def main(argv=None):
    """Run the check; returns the exit status (1: an exactness line or CUDA test failed)."""
    return run_command(PROG, build_parser, _argument_problem, _check, argv)
