"""Tracker speed: the work of ``siamtrack-benchmark`` (``tools/benchmark_tracker.py``).

:func:`measure_tracker_speed` tracks ``frames`` frames after a warm-up and splits each frame's
time between the network forward and everything else (frame reading, crops, decoding, update).
The same crops also go through a plain eager forward (fresh float32 model, no fusion, no
inference mode) for comparison, measured in the same run. Speed does not depend on the weights,
so a config without ``MODEL.WEIGHTS`` (random initialisation) measures the same.
"""
import json
import time

import numpy as np
import torch
from detectron2.modeling import build_model

from ..tracking import StageTimer, build_tracker
from ..utils.video_io import VideoSourceError, open_video
from ..utils.errors import InputError
from ..utils.fileio import atomic_write

__all__ = ["synthetic_clip", "frame_stream", "target_boxes", "eager_network_ms", "measure_tracker_speed",
           "write_result_json"]


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


def frame_stream(video, count):
    """``count`` frames of ``video`` (looped if shorter; a synthetic clip when None) and a
    description of where they come from."""
    if video is None:
        frames = synthetic_clip(min(count, 100))
        return (frames[i % len(frames)] for i in range(count)), "synthetic 480x360 clip"

    def frames():
        """Yield the benchmark frames."""
        produced = 0
        while produced < count:
            with open_video(video) as source:
                before = produced
                for frame in source:
                    yield frame
                    produced += 1
                    if produced >= count:
                        return
            if produced == before:  # would loop forever
                raise VideoSourceError(f"{video} has no frames")
    return frames(), str(video)


def target_boxes(n, shape):
    """``n`` boxes spread over a frame of ``shape``."""
    height, width = shape[:2]
    return [(width * (0.15 + 0.6 * (i % 3) / 2), height * (0.2 + 0.5 * (i // 3 % 2)), width / 5, height / 4)
            for i in range(n)]


def eager_network_ms(cfg, device, batch, repeats=10):
    """Mean ms of a plain eager forward (fresh float32 model, no fusion, ``no_grad``) on a
    search-crop batch of ``batch`` targets."""
    model = build_model(cfg).eval()
    z = torch.rand(batch, 3, cfg.TRACK.EXEMPLAR_SIZE, cfg.TRACK.EXEMPLAR_SIZE, device=device) * 255
    x = torch.rand(batch, 3, cfg.TRACK.INSTANCE_SIZE, cfg.TRACK.INSTANCE_SIZE, device=device) * 255
    with torch.no_grad():
        state = model.template(z)
        model.track(x, state)
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            model.track(x, state)
        if device.type == "cuda":
            torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats * 1000


def measure_tracker_speed(cfg, targets=1, frames=60, warmup=5, video=None, threads=0):
    """Time the tracker of ``cfg`` on ``targets`` targets over ``frames`` frames of ``video``
    after ``warmup`` frames, with ``threads`` torch CPU threads (0: torch's default); returns
    the result dict (fps, ms per frame and per stage, settings)."""
    if threads:
        torch.set_num_threads(threads)
    tracker = build_tracker(cfg)
    timer = StageTimer(cuda_sync=tracker.device.type == "cuda")
    stream, source = frame_stream(video, 1 + warmup + frames)
    first = next(stream)
    tracker.init(first, target_boxes(targets, first.shape))
    for _ in range(warmup):
        tracker.track(next(stream))
    tracker.timer = timer
    read = 0.0
    start = time.perf_counter()
    for _ in range(frames):
        t0 = time.perf_counter()
        frame = next(stream)
        read += time.perf_counter() - t0
        tracker.track(frame)
    if tracker.device.type == "cuda":
        torch.cuda.synchronize()
    total = time.perf_counter() - start
    network = timer.seconds["network"]
    return {
        "device": str(tracker.device), "targets": targets, "frames": frames, "video": source,
        "frame_size": [first.shape[1], first.shape[0]], "threads": torch.get_num_threads(),
        "fps": frames / total, "ms_per_frame": total / frames * 1000,
        "network_ms": network / frames * 1000, "other_ms": (total - network) / frames * 1000,
        "read_ms": read / frames * 1000,
        "eager_network_ms": eager_network_ms(cfg, tracker.device, targets),
        "fuse_conv_bn": cfg.TRACK.FUSE_CONV_BN, "channels_last": cfg.TRACK.CHANNELS_LAST,
        "half": cfg.TRACK.HALF and tracker.device.type == "cuda", "gpu_crop": tracker.gpu_crop,
    }


def write_result_json(path, result):
    """Write ``result`` to ``path`` as indented JSON (atomically)."""
    try:
        atomic_write(path, [json.dumps(result, indent=2)])
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
