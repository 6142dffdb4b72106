"""Convert a pysot SiamRPN++ checkpoint into a siamtrack (detectron2) checkpoint.

    siamtrack-convert model.pth siamrpn_alex.pth [--config-file CONFIG]

Without ``--config-file`` the architecture is detected from the keys and the config of the
matching pysot experiment is printed. Exits with status 2 and one error line on bad input.
"""
import argparse
import os

from .common import config_file_problem, run_command
from .paths import output_file_problem

__all__ = ["build_parser", "main"]

PROG = "siamtrack-convert"


def build_parser(prog=PROG):
    """The converter's arguments."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("input", help="pysot checkpoint (.pth): state_dict or {'state_dict': ...}")
    parser.add_argument("output", help="where to write the converted checkpoint (.pth)")
    parser.add_argument("--config-file", default=None, help="siamtrack config of the model: a packaged name or a YAML path (default: detect)")
    return parser


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    if not os.path.isfile(args.input):
        return f"{args.input}: no such file"
    if args.config_file:
        problem = config_file_problem(args.config_file)
        if problem:
            return problem
    if os.path.exists(args.output) and os.path.samefile(args.input, args.output):
        return f"output {args.output} is the input {args.input}: refusing to overwrite an input; choose another output path"
    return output_file_problem("output", args.output)


def _convert(args):
    from siamtrack.checkpoint import convert_pysot_file

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    count, config = convert_pysot_file(args.input, args.output, args.config_file)
    print(f"wrote {count} tensors to {args.output}")
    if args.config_file is None:
        experiment = config.rsplit("/", 1)[-1][: -len(".yaml")]
        print(f"detected pysot experiment {experiment}; use --config-file {config} "
              f"with MODEL.WEIGHTS {args.output}")
    return 0


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    return run_command(PROG, build_parser, _argument_problem, _convert, argv)
