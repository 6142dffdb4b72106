"""Train (or evaluate) a SiamRPN++ tracker with detectron2's DefaultTrainer and pysot's recipe.

    siamtrack-train --config-file configs/siamrpnpp_r50.yaml --num-gpus 8 \\
        MODEL.SIAM_PRETRAINED pretrained/resnet50.model
    siamtrack-train --config-file ... --resume            # continue the last checkpoint
    siamtrack-train --config-file ... --eval-only MODEL.WEIGHTS model_final.pth
    siamtrack-train --config-file configs/quickstart_synthetic.yaml --num-gpus 2
        # two CPU processes (GLOO) when there is no GPU

The arguments are detectron2's (``default_argument_parser``). See docs/training.md.
"""
import argparse
import os
import sys

from .common import add_threads_argument, config_file_problem, run_command, set_threads

__all__ = ["build_parser", "main"]

PROG = "siamtrack-train"


def build_parser(prog=PROG):
    """detectron2's ``default_argument_parser`` options (same names, defaults and meaning),
    built without importing detectron2."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                     epilog="See docs/training.md.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", default="", metavar="FILE",
                        help="a packaged config name (e.g. siamrpnpp_r50) or a path to a YAML config")
    parser.add_argument("--resume", action="store_true",
                        help="resume from the last checkpoint of OUTPUT_DIR (DefaultTrainer.resume_or_load)")
    parser.add_argument("--eval-only", action="store_true", help="perform evaluation only")
    parser.add_argument("--num-gpus", type=int, default=1,
                        help="number of gpus *per machine* (of CPU processes without CUDA)")
    parser.add_argument("--num-machines", type=int, default=1, help="total number of machines")
    parser.add_argument("--machine-rank", type=int, default=0, help="the rank of this machine (unique per machine)")
    # detectron2's deterministic port: orphan processes of an earlier run show as a port in use.
    port = 2 ** 15 + 2 ** 14 + hash(os.getuid() if sys.platform != "win32" else 1) % 2 ** 14
    parser.add_argument("--dist-url", default=f"tcp://127.0.0.1:{port}",
                        help="initialization URL for pytorch distributed backend")
    add_threads_argument(parser)
    parser.add_argument("opts", default=[], nargs=argparse.REMAINDER,
                        help='config overrides at the end of the command: space-separated "PATH.KEY VALUE" pairs')
    return parser


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    if not args.config_file:
        return "--config-file is required"
    for name in ("num_gpus", "num_machines"):
        if getattr(args, name) < 1:
            return f"--{name.replace('_', '-')} must be at least 1"
    if args.threads < 0:
        return "--threads must be 0 (PyTorch's default: one per core) or positive"
    return config_file_problem(args.config_file)


def _train(args):
    set_threads(args.threads)
    from siamtrack.engine.train_job import run_training

    run_training(args)
    return 0


def main(argv=None):
    """Entry point; returns the exit status (2 and one line for bad input, 130 on Ctrl-C)."""
    return run_command(PROG, build_parser, _argument_problem, _train, argv)
