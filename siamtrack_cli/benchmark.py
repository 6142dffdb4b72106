"""Tracker speed against a pysot-equivalent baseline, measured interleaved in one run.

    siamtrack-benchmark --config-file configs/pysot/siamrpn_alex_dwxcorr.yaml --device cpu \\
        --targets 1 8 [--backends torch,onnxruntime] [--json out.json] [MODEL.WEIGHTS w.pth]

The baseline is pysot's tracker as pysot runs it (eager float32 forward, NumPy arithmetic, one
target at a time); each backend is siamtrack's tracker (``TRACK.BACKEND``; onnxruntime runs an
export of the same weights, made in a temporary folder unless ``--onnx DIR`` names one).
``--repeats`` blocks of ``--frames`` frames go through every candidate in turn, so a busy
machine slows all alike; medians and speed-ups over the baseline are printed per target count,
with the per-stage split (crop, network, decode, update), GFLOP per frame and achieved GFLOP/s,
and written to ``--json`` after each target count. Frames come from ``--video``, else
``$SIAMTRACK_SHARED/data/bag.avi`` (``../shared`` beside the repository) when present, else a
generated 480x360 clip (frames of at least 32 x 32 pixels). Works without weights (speed does not
depend on them). An ``--onnx`` folder must be an export of the config's model and weights (its
maps are compared first). Bad input: one line on stderr, exit 2.
"""
import argparse
import os
from pathlib import Path

from .common import add_config_arguments, config_file_problem, option_value, run_command
from .paths import output_file_problem

__all__ = ["build_parser", "default_video", "main"]

PROG = "siamtrack-benchmark"
BACKENDS = ("torch", "onnxruntime")  # siamtrack.tracking.build.BACKENDS (not imported before parsing)
# + siamtrack.evaluation.speed.io's BF16_CANDIDATE (TRACK.BF16, not exact), WINOGRAD_CANDIDATE and
# FUSED_CANDIDATE (conv+BN folding and channels-last weights, not bit-exact)
CANDIDATES = BACKENDS + ("torch-bf16", "torch-winograd", "torch-fused")
MAX_TARGETS = 128  # siamtrack.evaluation.speed.MAX_TARGETS


def default_video():
    """``bag.avi`` of the shared test data, when it is there (else None)."""
    shared = Path(os.environ.get("SIAMTRACK_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    video = shared / "data" / "bag.avi"
    return str(video) if video.is_file() else None


def build_parser(prog=PROG):
    """Command-line options (detectron2 style: ``--config-file`` and trailing ``opts``)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when present, else cpu")
    parser.add_argument("--targets", type=int, nargs="+", default=[1],
                        help=f"target counts, e.g. 1 8 (each from 1 to {MAX_TARGETS})")
    parser.add_argument("--frames", type=int, default=10, help="frames per repeat and candidate")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (medians over them)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed frames per candidate first")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated TRACK.BACKEND values, torch-winograd (TRACK.WINOGRAD: float32 "
                             "Winograd convolutions on the CPU), torch-fused (TRACK.FUSE_CONV_BN and "
                             "TRACK.CHANNELS_LAST: the exact default's faster, not bit-exact twin) or "
                             "torch-bf16 (TRACK.BF16: bfloat16, not exact)")
    parser.add_argument("--onnx", metavar="DIR", help="an export of the same weights for onnxruntime")
    parser.add_argument("--video", default=None, help="video file or image folder (default: bag.avi)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads of torch and ONNX Runtime (0: torch default)")
    parser.add_argument("--json", help="write the JSON result here (after every target count)")
    add_config_arguments(parser, default="siamrpnpp_r50", opts_help="config overrides KEY VALUE ...")
    return parser


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    for name, low in (("frames", 1), ("repeats", 1), ("warmup", 0), ("threads", 0)):
        if getattr(args, name) < low:
            return f"--{name} must be at least {low}"
    if min(args.targets) < 1:
        return "--targets must be at least 1"
    if max(args.targets) > MAX_TARGETS:
        return f"--targets must be at most {MAX_TARGETS} (the baseline tracks each target alone)"
    backends = [b for b in args.backends.split(",") if b]
    unknown = [b for b in backends if b not in CANDIDATES]
    if unknown or len(set(backends)) != len(backends):
        return f"--backends takes distinct values of {', '.join(CANDIDATES)}, got {args.backends!r}"
    if args.video is not None and not os.path.exists(args.video):
        return f"video not found: {args.video}"
    if args.onnx is not None and not os.path.isfile(os.path.join(args.onnx, "model.json")):
        return f"--onnx {args.onnx} is not an exported folder (no model.json)"
    return config_file_problem(args.config_file) or output_file_problem("--json", args.json)


def _print_section(result, section):
    """One target count's summary lines."""
    n = section["targets"]
    print(f"{n} target(s), {result['frame_size'][0]}x{result['frame_size'][1]}, {result['device']}, "
          f"{result['threads']} thread(s), {result['gflop_per_target_frame']:.2f} GFLOP per target-frame, "
          f"load average {result['machine'].get('load_average_start')}:")
    for name, c in section["candidates"].items():
        stages = ", ".join(f"{s} {ms:.1f}" for s, ms in c["stages_ms"].items())
        gflops = f"{c['network_gflop_per_s']:.0f}" if c["network_gflop_per_s"] else "-"
        print(f"  {name:15s} {c['ms_per_frame']:8.1f} ms/frame  {c['target_frames_per_s']:7.2f} target-frames/s  "
              f"x{c['speedup']:.2f}  ({stages} ms; network {gflops} GFLOP/s)")
    if section["fastest"]:
        print(f"  fastest: {section['fastest']} at {section['candidates'][section['fastest']]['speedup']:.2f}x "
              "the baseline")


def _benchmark(args):
    from siamtrack.evaluation.speed import measure_speed, write_result_json
    from siamtrack.tracking.video_job import load_tracking_config
    from siamtrack.utils.fileio import check_outputs_spare_inputs

    check_outputs_spare_inputs([("--json", args.json)], [
        ("--video", args.video), ("--config-file", args.config_file),
        ("MODEL.WEIGHTS", option_value(args.opts, "MODEL.WEIGHTS"))])

    opts = list(args.opts) + (["MODEL.DEVICE", args.device] if args.device else [])
    cfg = load_tracking_config(args.config_file, opts)
    backends = [b for b in args.backends.split(",") if b]
    printed = []

    def on_section(result):
        result["config"] = args.config_file
        for section in result["results"][len(printed):]:
            _print_section(result, section)
            printed.append(section)
        if args.json:
            write_result_json(args.json, result)

    result = measure_speed(cfg, args.targets, args.frames, args.repeats, args.warmup, args.video or default_video(),
                           args.threads, backends, args.onnx, on_section)
    result["config"] = args.config_file
    if args.json:
        write_result_json(args.json, result)
        print(f"wrote {args.json}")
    return 0


def main(argv=None):
    """Run the benchmark; returns the exit status (2 and one line on bad input)."""
    return run_command(PROG, build_parser, _argument_problem, _benchmark, argv)
