#!/usr/bin/env python
"""Tracker speed: frames per second and the per-frame split between the network and the rest.

    python tools/benchmark_tracker.py --config-file configs/pysot/siamrpn_alex_dwxcorr.yaml \\
        --device cpu --targets 1 [MODEL.WEIGHTS w.pth]

Frames come from ``../shared/data/bag.avi`` when present (else ``--video``, else a generated
480x360 clip). Works without weights (random initialisation: speed does not depend on them).
"other" is everything outside the network forward: frame reading, crops, decoding, update.
The network is also timed as a plain eager forward (no fusion, no inference mode, float32) on the
same crops, for comparison. Prints a summary and one JSON line (also written to ``--json``).
Bad input: one line on stderr, exit status 2.
"""
import argparse
import json
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated")

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
DEFAULT_VIDEO = REPO_ROOT.parent / "shared" / "data" / "bag.avi"


def build_parser():
    """Command-line options (detectron2 style: ``--config-file`` and trailing ``opts``)."""
    parser = argparse.ArgumentParser(prog="benchmark_tracker.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config-file", default="configs/siamrpnpp_r50.yaml", metavar="FILE")
    parser.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when present, else cpu")
    parser.add_argument("--targets", type=int, default=1, help="targets tracked at once")
    parser.add_argument("--frames", type=int, default=60, help="timed frames (after warm-up)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--video", default=None, help="video file or image folder (default: bag.avi)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    parser.add_argument("--json", help="also write the JSON result here")
    parser.add_argument("opts", default=[], nargs=argparse.REMAINDER, help="config overrides KEY VALUE ...")
    return parser


def synthetic_clip(count, size=(360, 480)):
    """A textured 480x360 clip with a moving bright blob (when no video is available)."""
    import numpy as np

    rng = np.random.default_rng(0)
    background = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
    frames = []
    for i in range(count):
        frame = background.copy()
        frame[120 + i % 50:200 + i % 50, 150 + 2 * (i % 80):250 + 2 * (i % 80)] = (30, 200, 240)
        frames.append(frame)
    return frames


def frame_source(args, count):
    """Iterator over ``count`` frames (looping the video if it is shorter) and its description."""
    from siamtrack.utils.video_io import VideoSourceError, open_video

    path = args.video or (str(DEFAULT_VIDEO) if DEFAULT_VIDEO.is_file() else None)
    if path is None:
        frames = synthetic_clip(min(count, 100))
        return (frames[i % len(frames)] for i in range(count)), "synthetic 480x360 clip"

    def frames():
        """Yield the benchmark frames."""
        produced = 0
        while produced < count:
            with open_video(path) as source:
                before = produced
                for frame in source:
                    yield frame
                    produced += 1
                    if produced >= count:
                        return
            if produced == before:  # would loop forever
                raise VideoSourceError(f"{path} has no frames")
    return frames(), path


def target_boxes(n, shape):
    """``n`` boxes spread over a frame of ``shape``."""
    height, width = shape[:2]
    return [(width * (0.15 + 0.6 * (i % 3) / 2), height * (0.2 + 0.5 * (i // 3 % 2)), width / 5, height / 4)
            for i in range(n)]


def eager_network_ms(cfg, tracker, frames_per_call, repeats=10):
    """Mean ms of a plain eager forward (fresh float32 model, no fusion, ``no_grad``) on the
    tracker's current search-crop batch size."""
    import torch
    from detectron2.modeling import build_model

    model = build_model(cfg).eval()
    z = torch.rand(frames_per_call, 3, cfg.TRACK.EXEMPLAR_SIZE, cfg.TRACK.EXEMPLAR_SIZE, device=tracker.device) * 255
    x = torch.rand(frames_per_call, 3, cfg.TRACK.INSTANCE_SIZE, cfg.TRACK.INSTANCE_SIZE, device=tracker.device) * 255
    with torch.no_grad():
        state = model.template(z)
        model.track(x, state)
        if tracker.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            model.track(x, state)
        if tracker.device.type == "cuda":
            torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats * 1000


def load_config(args):
    """The config of ``--config-file`` and ``opts``; raises ``InputError`` with one line when bad."""
    from siamtrack.config import ConfigError, load_config as load_siamtrack_config
    from siamtrack.tracking import InputError, default_device

    try:
        cfg = load_siamtrack_config(args.config_file, args.opts)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    cfg.MODEL.DEVICE = args.device or default_device()
    return cfg


def main(argv=None):
    """Run the benchmark; returns the result dict. Bad input exits with status 2 and one line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, low in (("targets", 1), ("frames", 1), ("warmup", 0), ("threads", 0)):
        if getattr(args, name) < low:
            parser.exit(2, f"{parser.prog}: error: --{name} must be at least {low}\n")
    from siamtrack.tracking import InputError
    from siamtrack.utils.errors import first_line

    try:
        return benchmark(args)
    except InputError as exc:
        parser.exit(2, f"{parser.prog}: error: {first_line(exc)}\n")


def benchmark(args):
    """Time the tracker as ``args`` says; returns the result dict."""
    import torch

    from siamtrack.tracking import SiamTracker, StageTimer

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args)
    tracker = SiamTracker.from_config(cfg)
    timer = StageTimer(cuda_sync=tracker.device.type == "cuda")
    frames, video = frame_source(args, 1 + args.warmup + args.frames)
    first = next(frames)
    tracker.init(first, target_boxes(args.targets, first.shape))
    for _ in range(args.warmup):
        tracker.track(next(frames))
    tracker.timer = timer
    read = 0.0
    start = time.perf_counter()
    for _ in range(args.frames):
        t0 = time.perf_counter()
        frame = next(frames)
        read += time.perf_counter() - t0
        tracker.track(frame)
    if tracker.device.type == "cuda":
        torch.cuda.synchronize()
    total = time.perf_counter() - start
    network = timer.seconds["network"]
    result = {
        "config": args.config_file, "device": str(tracker.device), "targets": args.targets,
        "frames": args.frames, "video": video, "frame_size": [first.shape[1], first.shape[0]],
        "threads": torch.get_num_threads(), "fps": args.frames / total,
        "ms_per_frame": total / args.frames * 1000,
        "network_ms": network / args.frames * 1000,
        "other_ms": (total - network) / args.frames * 1000,
        "read_ms": read / args.frames * 1000,
        "eager_network_ms": eager_network_ms(cfg, tracker, args.targets),
        "fuse_conv_bn": cfg.TRACK.FUSE_CONV_BN, "channels_last": cfg.TRACK.CHANNELS_LAST,
        "half": cfg.TRACK.HALF and tracker.device.type == "cuda", "gpu_crop": tracker.gpu_crop,
    }
    print(f"{result['fps']:.1f} fps ({result['ms_per_frame']:.1f} ms/frame) on {result['device']}, "
          f"{args.targets} target(s), {result['frame_size'][0]}x{result['frame_size'][1]}: "
          f"network {result['network_ms']:.2f} ms (plain eager forward {result['eager_network_ms']:.2f} ms), "
          f"other {result['other_ms']:.2f} ms (of which frame reading {result['read_ms']:.2f} ms)")
    print(json.dumps(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
