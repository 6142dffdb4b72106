"""Track one or several targets through a video with a SiamRPN / SiamRPN++ model.

    siamtrack-track --config-file configs/pysot/siamrpn_alex_dwxcorr.yaml \\
        --video clip.mp4 --init-box 315,140,113,115 --output out.mp4 --output-boxes out.txt \\
        MODEL.WEIGHTS model.pth

``--video`` is a video file, a folder of images (natural sort) or a camera index. The init box
``x,y,w,h`` (0-based pixels; repeat ``--init-box`` for several targets) may also come from the
first line of a ground-truth file (``--gt-file``, converted as pysot's test driver does) or, with
a display, be drawn on the first frame. ``--output-boxes`` may be repeated (one file per
format); at least one output is required. Outputs are written as ``<name>.partial`` and
renamed when the run completes (see docs/tracking.md). Bad input: one line on stderr, exit status 2; Ctrl-C 130, SIGTERM 143.
"""
import argparse
import os
import re
import sys
from pathlib import Path

from .common import add_config_arguments, add_threads_argument, config_file_problem, log_to_stderr, option_value, \
    run_command, set_threads
from .paths import output_file_problem

__all__ = ["build_parser", "parse_box", "main"]

PROG = "siamtrack-track"
DEFAULT_CONFIG = "siamrpnpp_r50"  # a packaged config name: works from any folder
BOX_SUFFIXES = (".txt", ".csv", ".json")  # siamtrack.tracking.outputs.BOX_SUFFIXES (not imported before parsing)
CODECS = ("auto", "avc1", "mp4v", "mjpg")  # siamtrack.utils.video_encode.CODECS


def build_parser(prog=PROG):
    """The argument parser (detectron2 style: ``--config-file`` and trailing ``opts``)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", required=True, help="video file, folder of images, or camera index")
    parser.add_argument("--init-box", action="append", default=[], metavar="X,Y,W,H",
                        help="target box in the first frame, 0-based pixels (repeat for several targets; "
                             "a negative x may be written --init-box -20,140,113,115)")
    parser.add_argument("--gt-file", help="take the init box from the first line of this ground-truth file")
    parser.add_argument("--output", help="annotated video (.mp4, .mkv, .mov, .m4v or .avi)")
    parser.add_argument("--codec", choices=CODECS, default="auto",
                        help="annotated video codec (default auto: H.264 when this OpenCV can encode it, "
                             "else mp4v; Motion JPEG for .avi)")
    parser.add_argument("--no-score", action="store_true", help="do not draw the scores on the video")
    parser.add_argument("--output-boxes", action="append", default=[], metavar="FILE",
                        help="boxes per frame: .txt (x,y,w,h lines; one file per target), .csv or .json "
                             "(repeat for several formats); /dev/stdout (or another device) gets CSV rows")
    parser.add_argument("--output-masks", metavar="DIR",
                        help="mask tracker (SiamMask): one PNG per tracked frame and target into DIR, "
                             "<frame>_<target>.png, 0 / 255")
    parser.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0: all)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_threads_argument(parser)
    add_config_arguments(parser, default=DEFAULT_CONFIG,
                         opts_help="config overrides as KEY VALUE pairs, e.g. MODEL.WEIGHTS w.pth MODEL.DEVICE cpu")
    return parser


def parse_box(text):
    """Four numbers ``x,y,w,h`` (commas, tabs or spaces) from ``text``, or None when malformed."""
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    return values if len(values) == 4 else None


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    problem = config_file_problem(args.config_file)
    if problem:
        return problem
    if args.video.isdigit() and not os.path.exists(args.video):
        if sys.platform.startswith("linux") and not os.path.exists(f"/dev/video{args.video}"):
            return f"camera {args.video} not found (no /dev/video{args.video})"
    elif not os.path.exists(args.video):
        return f"video not found: {args.video}"
    for text in args.init_box:
        if parse_box(text) is None:
            return f"malformed box {text!r}: expected four numbers x,y,w,h"
    if not args.init_box:
        if args.gt_file and not os.path.isfile(args.gt_file):
            return f"cannot read ground-truth file {args.gt_file}: no such file"
        if not args.gt_file and sys.platform.startswith("linux") and not (
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return "no init box: pass --init-box x,y,w,h or --gt-file (no display for interactive selection)"
    for path in args.output_boxes:
        if os.path.splitext(path)[1].lower() not in BOX_SUFFIXES and not _is_device(path):
            return f"--output-boxes must end in .txt, .csv or .json, got {path}"
    if args.max_frames < 0:
        return "--max-frames must be 0 (all) or positive"
    if not (args.output or args.output_boxes or args.output_masks):
        return ("nothing to write: give --output-boxes FILE (.txt, .csv, .json) and/or --output VIDEO "
                "(annotated video)")
    if args.output_masks and os.path.exists(args.output_masks) and not os.path.isdir(args.output_masks):
        return f"--output-masks {args.output_masks} exists and is not a folder"
    if args.threads < 0:
        return "--threads must be 0 (PyTorch's default: one per core) or positive"
    for what, path in [("--output", args.output)] + [("--output-boxes", p) for p in args.output_boxes]:
        problem = output_file_problem(what, path)
        if problem:
            return problem
    return None


def _is_device(path):
    """An existing output that is neither a file nor a folder (``/dev/stdout``, a FIFO)."""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def _is_stdout(path):
    """Whether ``path`` is this process's standard output (``/dev/stdout``, its FIFO ...)."""
    try:
        here, out = os.stat(path), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (here.st_dev, here.st_ino) == (out.st_dev, out.st_ino) and not os.path.isfile(path)


def _inputs(args):
    """The files the run reads, which no output may overwrite."""
    inputs = [("--video", args.video), ("--gt-file", args.gt_file), ("--config-file", args.config_file),
              ("MODEL.WEIGHTS", option_value(args.opts, "MODEL.WEIGHTS"))]
    return [(what, path) for what, path in inputs if path and os.path.exists(path)]


def _track(args):
    """The command's work, top to bottom: outputs checked against the inputs, config, first
    frame and init boxes, tracker, then :func:`~siamtrack.tracking.video_job.track_video`."""
    set_threads(args.threads)
    to_stdout = any(_is_stdout(path) for path in args.output_boxes)
    if to_stdout:
        log_to_stderr()  # stdout carries the boxes
    from siamtrack.tracking import build_tracker
    from siamtrack.tracking.outputs import planned_paths
    from siamtrack.tracking.video_job import (load_tracking_config, read_init_box, select_box_interactively,
                                              track_video)
    from siamtrack.utils.fileio import check_outputs_spare_inputs
    from siamtrack.utils.video_io import open_video, read_first_frame

    count = max(len(args.init_box), 1)
    check_outputs_spare_inputs(planned_paths(args.output_boxes, args.output, list(range(count))), _inputs(args))
    cfg = load_tracking_config(args.config_file, args.opts)
    with open_video(args.video) as source:
        first = read_first_frame(source)
        if args.init_box:
            boxes = [parse_box(text) for text in args.init_box]
        elif args.gt_file:
            boxes = [read_init_box(args.gt_file)]
        else:
            boxes = [select_box_interactively(first)]
        summary = track_video(build_tracker(cfg), source, first, boxes, output_boxes=args.output_boxes,
                              output_video=args.output, max_frames=args.max_frames,
                              progress=not args.no_progress, codec=args.codec, show_score=not args.no_score,
                              output_masks=args.output_masks)
    plural = "s" if summary.targets > 1 else ""
    report = sys.stderr if to_stdout else sys.stdout
    print(f"tracked {summary.frames} frames ({summary.targets} target{plural}) at {summary.fps:.1f} fps "
          f"on {cfg.MODEL.DEVICE}", file=report)
    for path in summary.outputs:
        codec = f" ({summary.video_codec})" if args.output and Path(path) == Path(args.output) else ""
        print(f"wrote {path}{codec}", file=report)
    return 0


def main(argv=None):
    """Entry point; returns the exit status (2 for bad input, with one line on stderr; 130 on
    Ctrl-C, 143 on SIGTERM)."""
    return run_command(PROG, build_parser, _argument_problem, _track, argv, log_to_console=True,
                       negative_value_options=("--init-box",))
