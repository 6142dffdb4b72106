#!/usr/bin/env python
"""Track one or several targets through a video with a SiamRPN / SiamRPN++ model.

    python tools/track_video.py --config-file configs/pysot/siamrpn_alex_dwxcorr.yaml \\
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
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated")  # not actionable for users

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROG = "track_video.py"
DEFAULT_CONFIG = "configs/siamrpnpp_r50.yaml"
INTERRUPTED = 130


def _input_errors():
    from siamtrack.tracking import InputError

    return (InputError, UsageError)


class UsageError(ValueError):
    """Bad command-line input; reported as one line, exit status 2."""


def build_parser():
    """The argument parser (detectron2 style: ``--config-file`` and trailing ``opts``)."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
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
    """Four numbers ``x,y,w,h`` (commas, tabs or spaces) from ``text``; raises :class:`UsageError`."""
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise UsageError(f"malformed box {text!r}: expected four numbers x,y,w,h")
    return values


def box_from_gt_file(path):
    """Init box from the first line of a ground-truth file (4-number box or 8-number polygon),
    converted as pysot's test driver does (SIAMRPN.md §9.1)."""
    from siamtrack.evaluation.init_box import init_box_from_region

    try:
        with open(path, encoding="utf-8") as f:
            line = f.readline()
    except OSError as exc:
        raise UsageError(f"cannot read ground-truth file {path}: {exc.strerror}") from None
    parts = [p for p in re.split(r"[,\s;]+", line.strip()) if p]
    try:
        region = [float(p) for p in parts]
    except ValueError:
        region = []
    if len(region) not in (4, 8):
        raise UsageError(f"{path}: first line must be x,y,w,h or an 8-number polygon, got {line.strip()!r}")
    return [float(v) for v in init_box_from_region(region)]


def select_box_interactively(frame):
    """Let the user draw the box on ``frame`` (needs a display and OpenCV with GUI support)."""
    import cv2

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError("no init box: pass --init-box x,y,w,h or --gt-file (no display for interactive selection)")
    try:
        x, y, w, h = cv2.selectROI("siamtrack: select the target, then press Enter", frame, False)
        cv2.destroyAllWindows()
    except cv2.error:
        raise UsageError("no init box: pass --init-box x,y,w,h or --gt-file "
                         "(this OpenCV build cannot open windows)") from None
    if w <= 0 or h <= 0:
        raise UsageError("no target selected")
    return [float(x), float(y), float(w), float(h)]


def setup_config(args):
    """detectron2 config from ``--config-file`` and ``opts``; the device defaults to CUDA if present."""
    from siamtrack.config import ConfigError, load_config
    from siamtrack.tracking import default_device, resolve_device

    try:
        cfg = load_config(args.config_file, args.opts)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if "MODEL.DEVICE" not in args.opts[::2] and cfg.MODEL.DEVICE == "cuda":
        cfg.MODEL.DEVICE = default_device()
    resolve_device(cfg.MODEL.DEVICE)
    cfg.freeze()
    return cfg


def init_boxes(args, frame):
    """The init boxes from ``--init-box``, ``--gt-file`` or interactive selection."""
    if args.init_box:
        return [parse_box(text) for text in args.init_box]
    if args.gt_file:
        return [box_from_gt_file(args.gt_file)]
    return [select_box_interactively(frame)]


def run(args):
    """Track the video of ``args``; returns the process exit status."""
    from siamtrack.utils.video_io import open_video

    if args.output_boxes and Path(args.output_boxes).suffix.lower() not in (".txt", ".csv", ".json"):
        raise UsageError(f"--output-boxes must end in .txt, .csv or .json, got {args.output_boxes}")
    cfg = setup_config(args)
    with open_video(args.video) as source:
        return _track(args, cfg, source)


def _track(args, cfg, source):
    """Track ``source`` (an open frame source) and write the outputs; returns the exit status."""
    from tqdm import tqdm

    from siamtrack.tracking import SiamTracker, validate_box
    from siamtrack.utils.errors import first_line
    from siamtrack.tracking.outputs import BoxWriter, VideoWriter
    from siamtrack.utils.video_io import read_first_frame

    first = read_first_frame(source)
    boxes = [validate_box(b, first.shape) for b in init_boxes(args, first)]
    tracker = SiamTracker.from_config(cfg)
    ids = tracker.init(first, boxes)

    writers = []
    try:
        if args.output_boxes:
            writers.append(BoxWriter(args.output_boxes, ids))
        if args.output:
            writers.append(VideoWriter(args.output, source.fps, (first.shape[1], first.shape[0])))
    except BaseException:
        for writer in writers:
            writer.close()
        raise
    total = source.frame_count
    if args.max_frames > 0:
        total = min(total, args.max_frames) if total else args.max_frames
    bar = tqdm(total=total, unit="frame", disable=args.no_progress, dynamic_ncols=True)
    done, start = 0, time.perf_counter()
    try:
        results = [(tid, box, None) for tid, box in zip(ids, boxes)]
        frame = first
        while True:
            for writer in writers:
                if isinstance(writer, BoxWriter):
                    writer.write(done, results)
                else:
                    writer.write(frame, done, results)
            done += 1
            bar.update(1)
            if args.max_frames > 0 and done >= args.max_frames:
                break
            frame = source.read()
            if frame is None:
                break
            tracked = tracker.track_targets(frame)
            results = [(tid, res["bbox"], res["score"]) for tid, res in tracked.items()]
        for writer in writers:
            writer.finish()
    except BaseException as exc:
        for writer in writers:
            writer.close()
        bar.close()
        kept = ", ".join(str(w.partial) for w in writers) or "no outputs requested"
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"error: {first_line(exc)}"
        print(f"{PROG}: {reason} after {done} frames; partial results kept in: {kept}", file=sys.stderr)
        if isinstance(exc, KeyboardInterrupt):
            return INTERRUPTED
        if isinstance(exc, _input_errors()):
            return 2
        raise
    bar.close()
    elapsed = time.perf_counter() - start
    fps = (done - 1) / elapsed if done > 1 and elapsed > 0 else 0.0
    print(f"tracked {done} frames ({len(ids)} target{'s' if len(ids) > 1 else ''}) at {fps:.1f} fps on "
          f"{cfg.MODEL.DEVICE}")
    for writer in writers:
        print(f"wrote {writer.path}")
    return 0


def main(argv=None):
    """Entry point; returns the exit status (2 for bad input, with one line on stderr)."""
    from siamtrack.utils.errors import first_line

    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except _input_errors() as exc:
        print(f"{PROG}: error: {first_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    from detectron2.utils.logger import setup_logger

    setup_logger(name="siamtrack", abbrev_name="siamtrack")
    sys.exit(main())
