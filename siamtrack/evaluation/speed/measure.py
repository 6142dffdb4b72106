"""Tracker speed against a pysot-equivalent baseline: the work of ``siamtrack-benchmark``
(``tools/benchmark_tracker.py``; docs/deploy.md, "Speed").

:func:`measure_speed` builds, from one set of weights, the baseline
(:class:`~siamtrack.evaluation.speed.pysot_baseline.PysotBaselineTracker`: eager float32 forward and
NumPy arithmetic, one target at a time) and siamtrack's tracker on each backend, then times them
*interleaved* on the same frames: each repeat runs a block of frames through every candidate in
turn (the order rotating), so a shared, noisy machine slows all of them alike. Per candidate it
reports the median ms per frame over the repeats, the per-stage split (crop, network, decode,
update), target-frames per second, the speed-up over the baseline (median of the per-repeat
ratios) and the network's achieved GFLOP/s. Speed does not depend on the weights, so a config
without ``MODEL.WEIGHTS`` (random initialisation) measures the same.
"""
import copy
import datetime
import os
import statistics
import tempfile
import time

import torch
from detectron2.modeling import build_model

from ...checkpoint.loading import load_weights
from ...export.backend import is_export_folder
from ...tracking import StageTimer, build_tracker, prepare_model
from ...utils.device import resolve_device
from ...utils.errors import InputError
from .pysot_baseline import PysotBaselineTracker
from .io import (
    BF16_CANDIDATE, MAX_TARGETS, STAGES, TORCH_VARIANTS, WINOGRAD_CANDIDATE, load_frames, machine_load, target_boxes,
    versions,
)

__all__ = ["BASELINE", "BF16_CANDIDATE", "WINOGRAD_CANDIDATE", "STAGES", "network_gflop", "check_export_matches",
           "measure_speed"]

BASELINE = "pysot_baseline"


def network_gflop(model, cfg):
    """GFLOP (2 x multiply-adds, convolutions and matrix products) of one target's search step
    (``model.track`` on one crop of ``TRACK.INSTANCE_SIZE``)."""
    from torch.utils.flop_counter import FlopCounterMode

    size, exemplar = int(cfg.TRACK.INSTANCE_SIZE), int(cfg.TRACK.EXEMPLAR_SIZE)
    with torch.no_grad():
        state = model.template(torch.zeros(1, 3, exemplar, exemplar, device=model.device))
        counter = FlopCounterMode(display=False)
        with counter:
            model.track(torch.zeros(1, 3, size, size, device=model.device), state)
    return counter.get_total_flops() / 1e9


def check_export_matches(model, cfg, folder):
    """:class:`~siamtrack.export.ExportError` (one line) unless ``folder`` is an export of
    ``model``: :func:`~siamtrack.export.manifest.check_export` passes (its graphs are the exported
    ones and ``cfg`` has their architecture) and they give the model's maps, within the export
    check's tolerance, on the export check's textured crops (an export of other weights differs
    far more). The speed-up of another network would mean nothing."""
    from ...export import TOLERANCE, ExportError, OnnxSiamModel, relative_difference
    from ...export.manifest import check_export
    from ...export.verify import textured_crops

    check_export(folder, cfg)  # the exported graphs (their hashes) and the config's architecture
    exported = OnnxSiamModel(folder)
    z = textured_crops(1, int(cfg.TRACK.EXEMPLAR_SIZE), seed=0)
    x = textured_crops(1, int(cfg.TRACK.INSTANCE_SIZE), seed=1)
    with torch.no_grad():
        reference = model.track(x.to(model.device), model.template(z.to(model.device)))
    outputs = exported.track(x, exported.template(z))
    worst = max(relative_difference(torch.as_tensor(outputs[key]).cpu(), reference[key].float().cpu())
                for key in reference)
    if not worst <= TOLERANCE:
        raise ExportError(f"{folder} is not an export of this config's model and weights: its maps differ from "
                          f"theirs by {worst:.3g} relative (tolerance {TOLERANCE:g}); export MODEL.WEIGHTS with "
                          "this config (siamtrack-export)")


class _Candidate:
    """One timed tracker set-up: ``step(frame)`` tracks every target; stages accumulate in ``timer``."""

    def __init__(self, name, timer, init, step):
        self.name, self.timer, self._init, self._step = name, timer, init, step
        self.blocks = []  # per repeat: (seconds per frame, {stage: seconds per frame})

    def init(self, frame, boxes):
        """Start tracking ``boxes`` in ``frame``."""
        self._init(frame, boxes)

    def run(self, frames, sync):
        """Track ``frames``; record the block's seconds per frame, total and per stage."""
        self.timer.reset()
        start = time.perf_counter()
        for frame in frames:
            self._step(frame)
        sync()
        total = (time.perf_counter() - start) / len(frames)
        stages = {name: self.timer.seconds[name] / len(frames) for name in STAGES if name != "update"}
        stages["update"] = self.timer.seconds["update"] / len(frames) if "update" in self.timer.seconds else \
            max(0.0, total - sum(stages.values()))
        self.blocks.append((total, stages))


def _baseline(model, cfg, cuda):
    timer = StageTimer(cuda_sync=cuda)
    trackers = []

    def init(frame, boxes):
        trackers[:] = [PysotBaselineTracker(model, cfg, timer) for _ in boxes]
        for tracker, box in zip(trackers, boxes):
            tracker.init(frame, box)

    def step(frame):
        for tracker in trackers:
            tracker.track(frame)
    return _Candidate(BASELINE, timer, init, step)


def _siamtrack(name, cfg, model, cuda):
    timer = StageTimer(cuda_sync=cuda)
    tracker = build_tracker(cfg, model)
    tracker.timer = timer  # the tracker times its crop, network and decode stages
    return _Candidate(name, timer, lambda frame, boxes: tracker.init(frame, boxes), tracker.track_targets)


def _backend_cfg(cfg, backend, onnx_dir):
    """``cfg`` for one candidate: a TRACK.BACKEND, or a torch variant (TORCH_VARIANTS)."""
    cfg = cfg.clone()
    cfg.defrost()
    cfg.TRACK.BF16 = cfg.TRACK.WINOGRAD = False
    cfg.TRACK.FUSE_CONV_BN = cfg.TRACK.CHANNELS_LAST = False  # "torch" is the exact default path
    for key, value in TORCH_VARIANTS.get(backend, {}).items():
        cfg.TRACK[key] = value
    cfg.TRACK.BACKEND = "torch" if backend in TORCH_VARIANTS else backend
    if backend == "onnxruntime":
        cfg.MODEL.WEIGHTS = str(onnx_dir)
    cfg.freeze()
    return cfg


def _model_key(cfg):
    """The TRACK options that change the prepared PyTorch model."""
    return cfg.TRACK.WINOGRAD, cfg.TRACK.FUSE_CONV_BN, cfg.TRACK.CHANNELS_LAST


def _export(model, cfg, folder):
    from ...export import export_onnx

    export_onnx(model, folder, cfg=cfg)
    return folder


def _summary(candidate, baseline, targets, gflop):
    totals = [total for total, _ in candidate.blocks]
    ms = statistics.median(totals) * 1000
    stages = {name: statistics.median(s[name] for _, s in candidate.blocks) * 1000 for name in STAGES}
    ratios = [b / c for (b, _), (c, _) in zip(baseline.blocks, candidate.blocks)]
    work = gflop * targets
    return {
        "ms_per_frame": ms, "ms_per_frame_repeats": [t * 1000 for t in totals],
        "fps": 1000 / ms, "target_frames_per_s": 1000 * targets / ms, "stages_ms": stages,
        "speedup": statistics.median(ratios), "speedup_repeats": ratios,
        "gflop_per_frame": work, "network_gflop_per_s": work / (stages["network"] / 1000) if stages["network"] else None,
        "overall_gflop_per_s": work / (ms / 1000),
    }


def measure_speed(cfg, targets=(1,), frames=10, repeats=5, warmup=3, video=None, threads=0,
                  backends=("torch", "onnxruntime"), onnx_dir=None, on_section=None):
    """Time the baseline and siamtrack's tracker on each of ``backends`` for each target count
    of ``targets``: ``repeats`` interleaved blocks of ``frames`` frames after ``warmup`` frames.

    ``cfg.MODEL.WEIGHTS`` is a checkpoint or unset (random weights, shared by every candidate);
    ``onnx_dir`` an export of the same weights for ``onnxruntime`` (default: exported to a
    temporary folder). ``threads`` sets torch's CPU threads (ONNX Runtime takes the same number;
    0: torch's default). ``on_section(result)`` is called after each target count with the result
    so far (the CLI writes its JSON there). Returns the result dict (see docs/deploy.md).
    """
    if is_export_folder(cfg.MODEL.WEIGHTS):
        raise InputError(f"MODEL.WEIGHTS {cfg.MODEL.WEIGHTS} is an ONNX export; the benchmark's baseline needs "
                         "the PyTorch checkpoint: give it as MODEL.WEIGHTS and the export as --onnx")
    if not targets or not all(1 <= n <= MAX_TARGETS for n in targets):
        raise InputError(f"target counts must be from 1 to {MAX_TARGETS}, got {list(targets)}")
    if threads:
        torch.set_num_threads(threads)
    device = resolve_device(cfg.MODEL.DEVICE)
    cuda = device.type == "cuda"
    eager = build_model(cfg).eval()
    if cfg.MODEL.WEIGHTS:
        load_weights(eager, cfg.MODEL.WEIGHTS)
    if "onnxruntime" in backends and onnx_dir is not None:
        check_export_matches(eager, cfg, onnx_dir)
    gflop = network_gflop(eager, cfg)
    count = 1 + warmup + frames * repeats
    clip, source = load_frames(video, count)
    result = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "device": str(device), "threads": torch.get_num_threads(), "video": source,
        "frame_size": [int(clip[0].shape[1]), int(clip[0].shape[0])], "frames_per_repeat": frames,
        "repeats": repeats, "warmup": warmup, "backends": list(backends), "baseline": BASELINE,
        "gflop_per_target_frame": gflop, "machine": machine_load("start"),
        "versions": versions(), "settings": {"FUSE_CONV_BN": cfg.TRACK.FUSE_CONV_BN,
                                             "CHANNELS_LAST": cfg.TRACK.CHANNELS_LAST,
                                             "BATCH_TARGETS": cfg.TRACK.BATCH_TARGETS},
        "results": [], "complete": False,
    }
    with tempfile.TemporaryDirectory(prefix="siamtrack-bench-") as scratch:
        if "onnxruntime" in backends and onnx_dir is None:
            onnx_dir = _export(eager, cfg, os.path.join(scratch, "export"))
        backend_cfgs = {backend: _backend_cfg(cfg, backend, onnx_dir) for backend in backends}
        prepared = {}  # the prepared PyTorch models, by the options that change the model (BF16 does not)
        for backend in (b for b in backends if b in TORCH_VARIANTS):
            variant = backend_cfgs[backend]
            if _model_key(variant) not in prepared:
                prepared[_model_key(variant)] = prepare_model(copy.deepcopy(eager), variant)
        sync = torch.cuda.synchronize if cuda else (lambda: None)
        for n in targets:
            candidates = [_baseline(eager, cfg, cuda)]
            for backend in backends:
                backend_cfg = backend_cfgs[backend]
                model = prepared[_model_key(backend_cfg)] if backend in TORCH_VARIANTS else None
                candidates.append(_siamtrack(backend, backend_cfg, model, cuda))
            boxes = target_boxes(n, clip[0].shape)
            for candidate in candidates:
                candidate.init(clip[0], boxes)
                if warmup:
                    candidate.run(clip[1:1 + warmup], sync)
                candidate.blocks.clear()
            for r in range(repeats):
                block = clip[1 + warmup + r * frames:1 + warmup + (r + 1) * frames]
                for candidate in candidates[r % len(candidates):] + candidates[:r % len(candidates)]:
                    candidate.run(block, sync)
            summaries = {c.name: _summary(c, candidates[0], n, gflop) for c in candidates}
            fastest = max(backends, key=lambda b: summaries[b]["speedup"]) if backends else None
            result["results"].append({"targets": n, "candidates": summaries, "fastest": fastest})
            result["machine"].update(machine_load("end"))
            if on_section is not None:
                on_section(result)
    result["complete"] = True
    return result
