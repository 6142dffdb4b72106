"""A TraX tracker for the VOT toolkit (``vot-toolkit``, protocol ``traxpython``)::

    python -m siamtrack.integrations.vot --config-file C [KEY VALUE ...]

The toolkit starts this process, sends the first frame and region (``initialize``) and then
one frame at a time; each reply is a rectangle and the property ``confidence`` (the tracker's
best score: VOT-LT's precision/recall analysis thresholds it). Several ``initialize``
requests in one session (the VOT restart protocol) each start a new target. The init box
follows pysot's VOT test driver (axis-aligned box of the region, centre ``x + w/2``). The
``trackers.ini`` entry is in docs/integrations.md.
"""
import argparse
import os
import sys

from ..utils.errors import InputError, first_line
from ._common import make_tracker, require, resolve_config

__all__ = ["main", "serve", "init_box_of_region"]

PROG = "siamtrack.integrations.vot"


def init_box_of_region(region):
    """The tracker's init box ``(x, y, w, h)`` of a TraX rectangle or polygon region."""
    from ..structures.boxes import init_box_from_region

    if region.type == "rectangle":
        values = region.bounds()
    elif region.type == "polygon":
        values = [c for point in region for c in point]
        if len(values) != 8:  # any polygon: its axis-aligned bounding box
            xs, ys = values[0::2], values[1::2]
            values = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    else:
        raise InputError(f"unsupported TraX region type {region.type!r}")
    return init_box_from_region(values)


def _read_image(images):
    """The colour frame of a TraX request as a BGR array."""
    import cv2

    image = images["color"]
    if image.type() == "path":
        frame = cv2.imread(image.path(), cv2.IMREAD_COLOR)
        if frame is None:
            raise InputError(f"cannot read frame {image.path()}")
        return frame
    pixels = image.array()  # memory images are RGB (or grey, which the tracker accepts)
    return cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR) if pixels.ndim == 3 else pixels


def serve(tracker, server):
    """Answer TraX requests of ``server`` (a ``trax.Server``) with ``tracker`` until the client
    quits; returns the number of frames answered."""
    from trax import TraxStatus
    from trax.region import Rectangle

    frames = 0
    while True:
        request = server.wait()
        if request.type == TraxStatus.QUIT:
            return frames
        frame = _read_image(request.image)
        if request.type == TraxStatus.INITIALIZE:
            region, _ = request.objects[0]
            box = init_box_of_region(region)
            tracker.init(frame, box)
            score = 1.0
        else:
            result = tracker.track(frame)
            box, score = result["bbox"], float(result["score"])
        server.status([(Rectangle.create(*(float(v) for v in box)), {"confidence": score})])
        frames += 1


def open_server():
    """A ``trax.Server`` taking rectangles or polygons and frames as file paths or in memory."""
    from trax import Image, Region
    from trax.server import Server

    return Server([Region.RECTANGLE, Region.POLYGON], [Image.PATH, Image.MEMORY],
                  tracker_name="siamtrack", tracker_family="SiamRPN++")


def parse_args(argv=None):
    """Command line: ``--config-file`` (path or packaged config name) and ``KEY VALUE`` opts."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="siamtrack as a TraX tracker for the VOT toolkit "
        "(run by the toolkit; see docs/integrations.md)")
    parser.add_argument("--config-file", required=True,
                        help="YAML config or packaged config name (e.g. siamrpnpp_r50)")
    parser.add_argument("opts", nargs=argparse.REMAINDER,
                        help="config overrides as KEY VALUE pairs, e.g. MODEL.WEIGHTS model.pth")
    return parser.parse_args(argv)


def main(argv=None):
    """Build the tracker, then serve the toolkit over TraX; exit status 2 on bad input."""
    args = parse_args(argv)
    try:
        if len(args.opts) % 2:
            raise InputError(f"overrides must be KEY VALUE pairs, got {len(args.opts)} words")
        require("trax", "vot")
        if "TRAX" not in os.environ and "TRAX_SOCKET" not in os.environ:
            raise InputError("this is a TraX tracker for the VOT toolkit: run it with `vot evaluate` "
                             "(trackers.ini entry in docs/integrations.md), not by hand")
        tracker = make_tracker(resolve_config(args.config_file, args.opts))
        server = open_server()
    except InputError as exc:
        print(f"{PROG}: error: {first_line(exc)}", file=sys.stderr)
        return 2
    from trax import TraxException

    try:
        with server:
            serve(tracker, server)
    except TraxException as exc:  # the toolkit went away or broke the protocol
        print(f"{PROG}: TraX error: {first_line(exc)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
