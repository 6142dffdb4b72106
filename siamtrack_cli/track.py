"""Track one or several targets through a video with a SiamRPN / SiamRPN++ model.

    siamtrack-track --config-file configs/pysot/siamrpn_alex_dwxcorr.yaml \\
        --video clip.mp4 --init-box 315,140,113,115 --output out.mp4 --output-boxes out.txt \\
        MODEL.WEIGHTS model.pth

``--video`` is a video file, a folder of images (natural sort) or a camera index. The init box
``x,y,w,h`` (0-based pixels; repeat ``--init-box`` for several targets) may also come from the
first line of a ground-truth file (``--gt-file``, converted as pysot's test driver does) or, with
a display, be drawn on the first frame. Outputs are written as ``<name>.partial`` and renamed
when the run completes (see docs/tracking.md). Bad input: one line on stderr, exit status 2.
"""
import argparse
import os
import re

from .common import config_file_problem, run_command

__all__ = ["build_parser", "parse_box", "main"]

PROG = "siamtrack-track"
DEFAULT_CONFIG = "siamrpnpp_r50"  # a packaged config name: works from any folder
BOX_SUFFIXES = (".txt", ".csv", ".json")


def build_parser(prog=PROG):
    """The argument parser (detectron2 style: ``--config-file`` and trailing ``opts``)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", default=DEFAULT_CONFIG, metavar="FILE", help="siamtrack config")
    parser.add_argument("--video", required=True, help="video file, folder of images, or camera index")
    parser.add_argument("--init-box", action="append", default=[], metavar="X,Y,W,H",
                        help="target box in the first frame, 0-based pixels (repeat for several targets)")
    parser.add_argument("--gt-file", help="take the init box from the first line of this ground-truth file")
    parser.add_argument("--output", help="annotated video (e.g. out.mp4)")
    parser.add_argument("--output-boxes", help="boxes per frame: .txt (x,y,w,h lines), .csv or .json")
    parser.add_argument("--max-frames", type=int, default=0, help="stop after this many frames (0: all)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("opts", default=[], nargs=argparse.REMAINDER,
                        help="config overrides as KEY VALUE pairs, e.g. MODEL.WEIGHTS w.pth MODEL.DEVICE cpu")
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
    if not (args.video.isdigit() or os.path.exists(args.video)):
        return f"video not found: {args.video}"
    for text in args.init_box:
        if parse_box(text) is None:
            return f"malformed box {text!r}: expected four numbers x,y,w,h"
    if args.gt_file and not args.init_box and not os.path.isfile(args.gt_file):
        return f"cannot read ground-truth file {args.gt_file}: no such file"
    if args.output_boxes and os.path.splitext(args.output_boxes)[1].lower() not in BOX_SUFFIXES:
        return f"--output-boxes must end in .txt, .csv or .json, got {args.output_boxes}"
    if args.max_frames < 0:
        return "--max-frames must be 0 (all) or positive"
    return None


def _track(args):
    from siamtrack.tracking import build_tracker, validate_box
    from siamtrack.utils.video_io import open_video, read_first_frame
    from siamtrack.tracking.video_job import (load_tracking_config, read_init_box, select_box_interactively,
                                              track_video)

    cfg = load_tracking_config(args.config_file, args.opts)
    with open_video(args.video) as source:
        first = read_first_frame(source)
        if args.init_box:
            boxes = [parse_box(text) for text in args.init_box]
        elif args.gt_file:
            boxes = [read_init_box(args.gt_file)]
        else:
            boxes = [select_box_interactively(first)]
        boxes = [validate_box(box, first.shape) for box in boxes]  # before the model is built
        summary = track_video(build_tracker(cfg), source, first, boxes, output_boxes=args.output_boxes,
                              output_video=args.output, max_frames=args.max_frames,
                              progress=not args.no_progress)
    plural = "s" if summary.targets > 1 else ""
    print(f"tracked {summary.frames} frames ({summary.targets} target{plural}) at {summary.fps:.1f} fps "
          f"on {cfg.MODEL.DEVICE}")
    for path in summary.outputs:
        print(f"wrote {path}")
    return 0


def main(argv=None):
    """Entry point; returns the exit status (2 for bad input, with one line on stderr; 130 on Ctrl-C)."""
    return run_command(PROG, build_parser, _argument_problem, _track, argv, log_to_console=True)
