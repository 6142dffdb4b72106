"""Tracker speed on the device, per model: the pysot-equivalent baseline, then each setting at
1, 8 and 32 targets, the best figures and the speed goals of docs/gpu.md.

* **Baseline** — the speed benchmark's pysot-equivalent baseline
  (:class:`~siamtrack.evaluation.speed.PysotBaselineTracker`: pysot's tracker step as pysot runs
  it, on the plain eager float32 network, one tracker per target), strict IEEE float32. Its
  single-target fps is the yardstick.
* **Settings** — the tracker as ``build_tracker`` prepares it (fused, inference mode, GPU crops,
  targets batched), in float32, TF32, half, half + channels-last, each eager or replayed from a
  CUDA graph, and half under ``torch.compile`` (with and without a graph); see
  :mod:`.accelerate`. A setting that fails is reported and the others go on.

fps is timed over ``speed_frames`` frames after a warm-up, without per-stage accounting; the
network / outside-the-network split comes from another ``split_frames`` frames timed with a
synchronising :class:`~siamtrack.tracking.StageTimer`. Frames are decoded beforehand, so
"outside the network" is the tracker's own work (crops, decoding, update).
"""
import time
from dataclasses import dataclass

import torch

from siamtrack.evaluation.speed import PysotBaselineTracker, target_boxes
from siamtrack.tracking import StageTimer, build_tracker, prepare_model
from .accelerate import CompiledTrack, CudaGraphTrack
from .exactness import relative_error
from .models import device_copy
from .plan import BudgetSpent, strict_float32, synchronize
from .report import CheckLine, judge

__all__ = ["Setting", "SETTINGS", "BaselineTracker", "time_tracker", "wrapper_deviation", "run_speed"]

SECTION = "speed"
# the goals (docs/gpu.md): x the baseline at 1 target, x the baseline's fps at 32 targets, ms outside the network
SINGLE_GOAL, MULTI_GOAL, OUTSIDE_GOAL = 3.0, 15.0, 1.0
GOAL_MODEL, GOAL_TARGETS = "resnet50", 32
COMPILE_RESERVE_S = 60.0  # a compilation is started only with this much of the budget left
# Each step (a setting at one target count) has its own budget, checked after every frame: a
# step over it stops there (SKIP) instead of eating the next steps' time.
STEP_BUDGET_S, COMPILE_STEP_BUDGET_S = 30.0, 120.0
WRAPPER_BOUND = 0.05  # relative deviation of a wrapped model's maps: above it the setting is wrong
_HALF = ("TRACK.HALF", "True")
_CHANNELS_LAST = ("TRACK.CHANNELS_LAST", "True")


@dataclass(frozen=True)
class Setting:
    """A tracker setting: config overrides, TF32 or strict float32, the wrapper around the model."""

    name: str
    opts: tuple = ()
    tf32: bool = False
    wrapper: str = ""  # "", "graph", "compile" or "compile+graph"

    @property
    def cuda_only(self):
        """Whether the setting needs CUDA (everything but plain float32)."""
        return bool(self.opts or self.tf32 or self.wrapper)


SETTINGS = (
    Setting("float32"),
    Setting("TF32", tf32=True),
    Setting("half", _HALF),
    Setting("half + channels-last", _HALF + _CHANNELS_LAST),
    Setting("graph float32", wrapper="graph"),
    Setting("graph half", _HALF, wrapper="graph"),
    Setting("graph half + channels-last", _HALF + _CHANNELS_LAST, wrapper="graph"),
    Setting("compile half", _HALF, wrapper="compile"),
    Setting("compile + graph half", _HALF, wrapper="compile+graph"),
)


class BaselineTracker:
    """The baseline with the interface :func:`time_tracker` drives: one
    :class:`~siamtrack.evaluation.speed.PysotBaselineTracker` per target, run in turn."""

    def __init__(self, model, cfg):
        self.model, self.cfg, self.device = model, cfg, model.device
        self.timer = None  # a StageTimer while the split is measured
        self._trackers = []

    def init(self, frame, boxes):
        """One baseline tracker per box of ``boxes``."""
        self._trackers = [PysotBaselineTracker(self.model, self.cfg) for _ in boxes]
        for tracker, box in zip(self._trackers, boxes):
            tracker.init(frame, box)

    def track_targets(self, frame):
        """Every target's pysot step on ``frame``."""
        timer = self.timer or StageTimer()
        for tracker in self._trackers:
            tracker.timer = timer
            tracker.track(frame)


def time_tracker(tracker, frames, targets, warmup, timed, split, deadline=None):
    """Track ``targets`` targets over ``frames`` (cycled); returns fps (``timed`` frames after
    ``warmup``) and the per-frame ms of the network and of the rest (``split`` more frames).
    :class:`~.plan.BudgetSpent` when ``deadline`` passes (checked after every frame)."""
    device = tracker.device
    tracker.timer = None
    tracker.init(frames[0], target_boxes(targets, frames[0].shape))
    stream = (frames[1 + i % (len(frames) - 1)] for i in range(warmup + timed + split))

    def step():
        tracker.track_targets(next(stream))
        if deadline is not None:
            deadline.check(f"{targets} target(s)")

    for _ in range(warmup):
        step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(timed):
        step()
    synchronize(device)
    seconds = time.perf_counter() - start
    tracker.timer = StageTimer(cuda_sync=device.type == "cuda")
    start = time.perf_counter()
    for _ in range(split):
        step()
    synchronize(device)
    split_seconds = time.perf_counter() - start
    network = tracker.timer.seconds["network"]
    tracker.timer = None
    return {"fps": timed / seconds, "ms_per_frame": seconds / timed * 1000, "network_ms": network / split * 1000,
            "outside_ms": (split_seconds - network) / split * 1000}


@torch.inference_mode()
def wrapper_deviation(tracker, plain, wrapped, frames, targets):
    """Relative deviation of ``wrapped``'s maps from those of the ``plain`` model it wraps (a
    speed-up must not change what the network computes), on the input the tracker gives it:
    ``tracker`` (built on ``wrapped``) starts ``targets`` targets and tracks one frame, then both
    models run that frame's search crops, in the tracker's shape, dtype and memory layout, so the
    check compiles or captures nothing the timing would not."""
    tracker.init(frames[0], target_boxes(targets, frames[0].shape))
    tracker.track_targets(frames[1])
    x, state = wrapped.last_input
    reference = {key: value.clone() for key, value in plain.track(x, state).items()}
    return relative_error(wrapped.track(x, state), reference)


def _tracker(check_model, device, setting, compiled):
    """``(tracker, plain model, wrapped model or None)`` of ``setting`` (a compiled wrapper is
    reused from ``compiled`` by the setting that adds a graph to it)."""
    cfg, model = device_copy(check_model, device, setting.opts)
    plain = model = prepare_model(model, cfg)
    if setting.wrapper.startswith("compile"):
        key = (check_model.name, setting.opts)
        if key not in compiled:
            compiled.clear()
            compiled[key] = CompiledTrack(model)
        model = compiled[key]
    if setting.wrapper.endswith("graph"):
        model = CudaGraphTrack(model)
    return build_tracker(cfg, model), plain, (model if setting.wrapper else None)


def _check_wrapper(tracker, plain, wrapped, frames, targets):
    """The wrapper's deviation; RuntimeError above :data:`WRAPPER_BOUND`."""
    deviation = wrapper_deviation(tracker, plain, wrapped, frames, targets)
    if not deviation <= WRAPPER_BOUND:
        raise RuntimeError(f"the wrapped model's maps deviate {deviation:.3g} (relative) from the "
                           f"unwrapped model's (bound {WRAPPER_BOUND:g})")
    return deviation


def _baseline(report, check_model, device, frames, plan, deadline):
    cfg, model = device_copy(check_model, device)
    with strict_float32():
        result = time_tracker(BaselineTracker(model, cfg), frames, 1, plan.speed_warmup, plan.speed_frames,
                              plan.split_frames, deadline.step(STEP_BUDGET_S))
    report.add(CheckLine(SECTION, f"{check_model.label}: baseline (pysot-equivalent, one target)",
                         result["fps"], "fps", "report only", "INFO", "info",
                         note=f"network {result['network_ms']:.2f} ms, outside {result['outside_ms']:.2f} ms",
                         details=result))
    return result["fps"]


def _setting_cells(report, check_model, device, frames, plan, setting, baseline, deadline, compiled):
    """Time ``setting`` at each target count; returns ``{targets: result}``."""
    counts, reserve, budget = plan.target_counts, 0.0, STEP_BUDGET_S
    if setting.wrapper.startswith("compile"):  # one compilation per batch size
        counts, reserve, budget = (counts[0], counts[-1]), COMPILE_RESERVE_S, COMPILE_STEP_BUDGET_S
    results = {}
    if deadline.left() <= reserve:
        report.add(CheckLine(SECTION, f"{check_model.label}: {setting.name}", None, "", "-", "SKIP", "info",
                             note="time budget spent"))
        return results
    with report.guard(SECTION, f"{check_model.label}: {setting.name}"):
        tracker, plain, wrapped = _tracker(check_model, device, setting, compiled)
        deviation = None
        for targets in counts:
            name = f"{check_model.label}: {setting.name}, {targets} targets"
            if deadline.left() <= reserve:
                report.add(CheckLine(SECTION, name, None, "", "-", "SKIP", "info", note="time budget spent"))
                break
            step = deadline.step(budget)
            try:
                with strict_float32(not setting.tf32):
                    if wrapped is not None and deviation is None:
                        deviation = _check_wrapper(tracker, plain, wrapped, frames, targets)
                    result = time_tracker(tracker, frames, targets, plan.speed_warmup, plan.speed_frames,
                                          plan.split_frames, step)
            except BudgetSpent as exc:
                report.add(CheckLine(SECTION, name, None, "", "-", "SKIP", "info", note=str(exc)))
                break
            result.update(model=check_model.label, setting=setting.name, targets=targets,
                          aggregate=result["fps"] * targets, over_baseline=result["fps"] * targets / baseline,
                          wrapper_deviation=deviation)
            results[targets] = result
            report.add(CheckLine(SECTION, name, result["aggregate"], "target-frames/s", "report only", "INFO", "info",
                                 details=result, detail=True))
    return results


def _best_lines(report, check_model, device, plan, baseline, cells):
    """The best figure per target count and, for ResNet-50, the goals."""
    on_gpu = device.type == "cuda" and not plan.tiny
    goal_model = check_model.name == GOAL_MODEL
    for targets in plan.target_counts:
        candidates = [r for r in cells if r["targets"] == targets]
        if not candidates:
            continue
        best = max(candidates, key=lambda r: r["aggregate"])
        ratio = best["aggregate"] / baseline
        what = "fps" if targets == 1 else "target-frames/s"
        note = f"{best['setting']}; {ratio:.2f}x the baseline's single-target fps"
        report.add(CheckLine(SECTION, f"{check_model.label}: best, {targets} target{'s' if targets > 1 else ''}",
                             best["aggregate"], what, "report only", "INFO", "info", note=note, details=best))
        goal = SINGLE_GOAL if targets == 1 else MULTI_GOAL if targets == GOAL_TARGETS else None
        if goal_model and goal is not None:
            report.add(CheckLine(SECTION, f"{check_model.label}: best {targets}-target over baseline", ratio, "x",
                                 f">= {goal:g}x", judge(ratio, ">=", goal) if on_gpu else "SKIP", "goal",
                                 note="" if on_gpu else "the goal is for one GPU"))
        if targets == 1:
            outside = best["outside_ms"]
            report.add(CheckLine(SECTION, f"{check_model.label}: tracker outside the network, best 1-target setting",
                                 outside, "ms/frame", f"<= {OUTSIDE_GOAL:g} ms", judge(outside, "<=", OUTSIDE_GOAL)
                                 if on_gpu else "SKIP", "goal", note="" if on_gpu else "the goal is for one GPU"))
    if goal_model and GOAL_TARGETS not in plan.target_counts:
        report.add(CheckLine(SECTION, f"{check_model.label}: best {GOAL_TARGETS}-target over baseline", None, "",
                             f">= {MULTI_GOAL:g}x", "SKIP", "goal", note=f"{GOAL_TARGETS} targets not run (tiny)"))


def _model_pass(report, check_model, device, frames, plan, deadline, settings, state):
    """Run ``settings`` for ``check_model`` (the baseline first, once), adding to ``state``'s cells."""
    if deadline.left() <= 0:
        report.add(CheckLine(SECTION, f"{check_model.label}: {', '.join(s.name for s in settings)}", None, "", "-",
                             "SKIP", "info", note="time budget spent"))
        return
    if "baseline" not in state:
        report.progress(f"speed of {check_model.label}")
        with report.guard(SECTION, f"{check_model.label}: baseline"):
            state["baseline"] = _baseline(report, check_model, device, frames, plan, deadline)
    if "baseline" not in state:
        return
    compiled = {}
    for setting in settings:
        state["cells"] += _setting_cells(report, check_model, device, frames, plan, setting, state["baseline"],
                                         deadline, compiled).values()
    if compiled:
        compiled.clear()
        torch._dynamo.reset()  # imported by torch.compile; frees the compiled graphs
    if device.type == "cuda":
        torch.cuda.empty_cache()


def run_speed(report, plan, device, models, frames, deadline):
    """The speed lines of every model (ResNet-50 first: the goals are its); the costly
    ``torch.compile`` settings run last, for each model while the budget lasts."""
    order = sorted(models, key=lambda m: m.name != GOAL_MODEL)
    skipped = [s.name for s in SETTINGS if s.cuda_only and device.type != "cuda"]
    runnable = [s for s in SETTINGS if s.name not in skipped]
    passes = ([s for s in runnable if not s.wrapper.startswith("compile")],
              [s for s in runnable if s.wrapper.startswith("compile")])
    states = {m.name: {"cells": []} for m in order}
    benchmark = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True  # fixed shapes per target count: let cuDNN pick its kernels
    try:
        for settings in passes:
            for check_model in order:
                if settings:
                    _model_pass(report, check_model, device, frames, plan, deadline, settings,
                                states[check_model.name])
    finally:
        torch.backends.cudnn.benchmark = benchmark
    for check_model in order:
        if skipped:
            report.add(CheckLine(SECTION, f"{check_model.label}: {len(skipped)} CUDA settings", None, "", "-",
                                 "SKIP", "info", note="CUDA only: " + ", ".join(skipped)))
        state = states[check_model.name]
        if "baseline" in state:
            _best_lines(report, check_model, device, plan, state["baseline"], state["cells"])
