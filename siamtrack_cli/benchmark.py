"""Tracker speed: frames per second and the per-frame split between the network and the rest.

    siamtrack-benchmark --config-file configs/pysot/siamrpn_alex_dwxcorr.yaml \\
        --device cpu --targets 1 [MODEL.WEIGHTS w.pth]

Frames come from ``--video``, else ``$SIAMTRACK_SHARED/data/bag.avi`` (``../shared`` beside the
repository) when present, else a generated 480x360 clip. Works without weights (random
initialisation: speed does not depend on them). "other" is everything outside the network
forward: frame reading, crops, decoding, update. The network is also timed as a plain eager
forward (no fusion, no inference mode, float32) on the same crops, for comparison. Prints a
summary and one JSON line (also written to ``--json``). Bad input: one line on stderr, exit 2.
"""
import argparse
import json
import os
from pathlib import Path

from .common import add_config_arguments, config_file_problem, option_value, run_command
from .paths import output_file_problem

__all__ = ["build_parser", "default_video", "main"]

PROG = "siamtrack-benchmark"


def default_video():
    """``bag.avi`` of the shared test data, when it is there (else None)."""
    shared = Path(os.environ.get("SIAMTRACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    video = shared / "data" / "bag.avi"
    return str(video) if video.is_file() else None


def build_parser(prog=PROG):
    """Command-line options (detectron2 style: ``--config-file`` and trailing ``opts``)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when present, else cpu")
    parser.add_argument("--targets", type=int, default=1, help="targets tracked at once")
    parser.add_argument("--frames", type=int, default=60, help="timed frames (after warm-up)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--video", default=None, help="video file or image folder (default: bag.avi)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    parser.add_argument("--json", help="also write the JSON result here")
    add_config_arguments(parser, default="siamrpnpp_r50", opts_help="config overrides KEY VALUE ...")
    return parser


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    for name, low in (("targets", 1), ("frames", 1), ("warmup", 0), ("threads", 0)):
        if getattr(args, name) < low:
            return f"--{name} must be at least {low}"
    if args.video is not None and not os.path.exists(args.video):
        return f"video not found: {args.video}"
    return config_file_problem(args.config_file) or output_file_problem("--json", args.json)


def _benchmark(args):
    from siamtrack.evaluation.speed import measure_tracker_speed, write_result_json
    from siamtrack.tracking.video_job import load_tracking_config
    from siamtrack.utils.fileio import check_outputs_spare_inputs

    check_outputs_spare_inputs([("--json", args.json)], [
        ("--video", args.video), ("--config-file", args.config_file),
        ("MODEL.WEIGHTS", option_value(args.opts, "MODEL.WEIGHTS"))])

    opts = list(args.opts) + (["MODEL.DEVICE", args.device] if args.device else [])
    cfg = load_tracking_config(args.config_file, opts)
    result = measure_tracker_speed(cfg, args.targets, args.frames, args.warmup,
                                   args.video or default_video(), args.threads)
    result = {"config": args.config_file, **result}
    print(f"{result['fps']:.1f} fps ({result['ms_per_frame']:.1f} ms/frame) on {result['device']}, "
          f"{args.targets} target(s), {result['frame_size'][0]}x{result['frame_size'][1]}: "
          f"network {result['network_ms']:.2f} ms (plain eager forward {result['eager_network_ms']:.2f} ms), "
          f"other {result['other_ms']:.2f} ms (of which frame reading {result['read_ms']:.2f} ms)")
    print(json.dumps(result))
    if args.json:
        write_result_json(args.json, result)
    return 0


def main(argv=None):
    """Run the benchmark; returns the exit status (2 and one line on bad input)."""
    return run_command(PROG, build_parser, _argument_problem, _benchmark, argv)
