"""What the speed benchmark reads and writes: its frames and target boxes, the machine's load,
the package versions and the JSON result."""
import json
import os
import platform
from importlib import metadata

import numpy as np

from ...utils.errors import InputError
from ...utils.fileio import atomic_write
from ...utils.video_io import VideoSourceError, open_video

__all__ = ["synthetic_clip", "load_frames", "target_boxes", "machine_load", "versions", "write_result_json",
           "BF16_CANDIDATE", "WINOGRAD_CANDIDATE", "FUSED_CANDIDATE", "TORCH_VARIANTS", "STAGES", "MIN_FRAME_SIDE", "MAX_TARGETS"]


def synthetic_clip(count, size=(360, 480)):
    """A textured 480x360 clip with a moving bright blob (when no video is available)."""
    rng = np.random.default_rng(0)
    background = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
    frames = []
    for i in range(count):
        frame = background.copy()
        frame[120 + i % 50:200 + i % 50, 150 + 2 * (i % 80):250 + 2 * (i % 80)] = (30, 200, 240)
        frames.append(frame)
    return frames


def load_frames(video, count):
    """``count`` frames in memory (``video`` looped if shorter; a synthetic clip when None) and a
    description of where they come from. Every candidate of the benchmark tracks these frames.
    :class:`InputError` for frames smaller than :data:`MIN_FRAME_SIDE` on a side."""
    if video is None:
        return synthetic_clip(count), "synthetic 480x360 clip"
    frames = []
    while len(frames) < count:
        before = len(frames)
        with open_video(video) as source:
            for frame in source:
                frames.append(frame)
                if len(frames) >= count:
                    break
        if len(frames) == before:  # would loop forever
            raise VideoSourceError(f"{video} has no frames")
        height, width = frames[0].shape[:2]
        if min(height, width) < MIN_FRAME_SIDE:
            raise InputError(f"{video}: frames of {width}x{height} pixels; the benchmark needs at least "
                             f"{MIN_FRAME_SIDE}x{MIN_FRAME_SIDE} (its targets are a fifth of the frame wide)")
    return frames, str(video)


MIN_FRAME_SIDE = 32  # pixels: the targets of target_boxes are a fifth of the width, a quarter of the height
# Target counts above this are refused: the baseline tracks them one by one, and 128 targets
# already take the baseline minutes per repeat on a CPU (docs/deploy.md, "Speed").
MAX_TARGETS = 128


def target_boxes(n, shape):
    """``n`` boxes spread over a frame of ``shape``."""
    height, width = shape[:2]
    return [(width * (0.15 + 0.6 * (i % 3) / 2), height * (0.2 + 0.5 * (i // 3 % 2)), width / 5, height / 4)
            for i in range(n)]


def machine_load(when):
    """CPU count, platform and the load averages (1, 5, 15 min) and ``uptime`` at ``when``."""
    load = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    info = {"cpu_count": os.cpu_count(), "platform": platform.platform(), f"load_average_{when}": load}
    try:
        with open("/proc/uptime", encoding="ascii") as f:
            info[f"uptime_s_{when}"] = float(f.read().split()[0])
    except OSError:
        pass
    return info


def versions():
    """Versions of the packages whose kernels are timed."""
    found = {}
    for name in ("torch", "onnxruntime", "numpy", "opencv-python", "opencv-python-headless", "siamtrack"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def write_result_json(path, result):
    """Write ``result`` to ``path`` as indented JSON (atomically)."""
    try:
        atomic_write(path, [json.dumps(result, indent=2)])
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None


STAGES = ("crop", "network", "decode", "update")  # timed stages of a tracker step
# the torch backend with TRACK.BF16 (bfloat16 autocast on the CPU): fast, not pysot-exact
BF16_CANDIDATE = "torch-bf16"
# the torch backend with TRACK.WINOGRAD (float32; within 0.01 px of pysot's trajectory)
WINOGRAD_CANDIDATE = "torch-winograd"
# the torch backend with conv+BN folding and channels-last weights (the fastest float32 path of
# the PyTorch model, not bit-exact): beside "torch" it prices the exact default
FUSED_CANDIDATE = "torch-fused"
# candidates that run the PyTorch model: name -> the TRACK options they set
TORCH_VARIANTS = {"torch": {}, BF16_CANDIDATE: {"BF16": True}, WINOGRAD_CANDIDATE: {"WINOGRAD": True},
                  FUSED_CANDIDATE: {"FUSE_CONV_BN": True, "CHANNELS_LAST": True}}
