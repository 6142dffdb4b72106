"""Training on the device: SiamRPN++ ResNet-50 on the synthetic pairs, with AMP and without.

The model, optimizer and step are the trainer's own (:meth:`SiamTrainer.build_model`,
:meth:`SiamTrainer.build_optimizer`, :class:`~siamtrack.engine.train_loop.SiamTrainLoop`:
loss guard, clipping, AMP). Pairs come from the real pair loader
(:func:`~siamtrack.data.build.build_pair_train_loader` on ``synthetic_pairs_train``), made once
and replayed, so that the timing measures the training step, not the data workers. The LR stays
at ``SOLVER.BASE_LR`` (no schedule) and the whole backbone trains from the first iteration
(pysot's second phase, the heavier one). Both modes start from the same seeded weights.
"""
import itertools
import math
import time

import numpy as np
import torch
from detectron2.utils.events import EventStorage

from siamtrack.config import load_config
from siamtrack.data.build import build_pair_train_loader
from siamtrack.engine.train_loop import SiamTrainLoop
from siamtrack.engine.trainer import SiamTrainer
from siamtrack.model_zoo import get_config_file
from .plan import BudgetSpent, synchronize
from .report import CheckLine, judge

__all__ = ["AMP_GOAL", "training_config", "make_batches", "train_steps", "run_training"]

AMP_GOAL = 1.5  # the goal: AMP iterations/s at least 1.5x float32's (docs/gpu.md)
SECTION = "training"
SEED = 0
MODE_BUDGET_S = 90.0  # per training mode (float32, AMP), at most: 55 ResNet-50 steps take far less on a GPU


def training_config(plan, device, amp=False):
    """ResNet-50 SiamRPN++ (the tiny plan: the quickstart's AlexNet x0.25) on the synthetic pairs."""
    name = "quickstart_synthetic" if plan.tiny else "siamrpnpp_r50"
    # The batches are made once (make_batches) and replayed, so loader workers gain nothing; and
    # workers forked after CUDA was initialised (the sections before this one use it) may hang.
    workers = 0
    opts = ["DATASETS.TRAIN", "('synthetic_pairs_train',)", "DATASETS.SIAM.FRAME_RANGE", "[25]",
            "DATASETS.SIAM.NUM_USE", "[-1]", "DATASETS.SIAM.SYNTHETIC_NUM_TRAIN", "200",
            "SOLVER.IMS_PER_BATCH", str(plan.train_batch), "DATALOADER.NUM_WORKERS", str(workers),
            "SOLVER.SIAM.BACKBONE_TRAIN_EPOCH", "0", "MODEL.SIAM_PRETRAINED", "",
            "SOLVER.AMP.ENABLED", str(bool(amp)), "MODEL.DEVICE", str(device)]
    return load_config(get_config_file(name), opts)


def make_batches(cfg, count):
    """``count`` batches of the pair loader of ``cfg`` (lists of pair dicts, CPU tensors)."""
    loader = iter(build_pair_train_loader(cfg))
    try:
        return [next(loader) for _ in range(count)]
    finally:
        del loader  # stops the loader's worker processes


class _Replay:
    """An endless iterable over ``batches`` (the loader the step loop reads)."""

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return itertools.cycle(self.batches)


def train_steps(cfg, batches, iterations, warmup, deadline=None):
    """Train ``warmup + iterations`` steps of ``cfg``'s model on the replayed ``batches``;
    :class:`~.plan.BudgetSpent` when ``deadline`` (a :class:`~.plan.Deadline`) passes between steps.

    Returns ``{"iters_per_s", "seconds", "losses", "skipped", "peak_mib", "grad_scale"}``: the
    rate over the ``iterations`` after the warm-up, every step's total loss, the skipped steps,
    the peak CUDA memory allocated (None on the CPU) and AMP's final loss scale (None without).
    """
    device = torch.device(cfg.MODEL.DEVICE)
    torch.manual_seed(SEED)
    model = SiamTrainer.build_model(cfg)
    model.train()
    optimizer = SiamTrainer.build_optimizer(cfg, model)
    loop = SiamTrainLoop(cfg, model, _Replay(batches), optimizer)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    losses = []
    with EventStorage(0) as storage:
        for i in range(warmup + iterations):
            if i == warmup:
                synchronize(device)
                start = time.perf_counter()
            loop.iter = storage.iter = i
            loop.run_step()
            if deadline is not None:
                deadline.check(f"training stopped after {i + 1} of {warmup + iterations} steps")
            history = storage.histories().get("total_loss")
            losses.append(history.latest() if history is not None and len(history.values()) > len(losses)
                          else float("nan"))
        synchronize(device)
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) / 2 ** 20 if device.type == "cuda" else None
    scale = loop.grad_scaler.get_scale() if loop.grad_scaler is not None else None
    return {"iters_per_s": iterations / seconds, "seconds": seconds, "losses": losses,
            "skipped": loop.num_skipped, "peak_mib": peak, "grad_scale": scale}


def loss_trend(losses):
    """``(first, last)``: means of the first and last fifth of ``losses`` (NaN when any is not finite)."""
    if not losses or not all(math.isfinite(v) for v in losses):
        return float("nan"), float("nan")
    k = max(1, len(losses) // 5)
    return float(np.mean(losses[:k])), float(np.mean(losses[-k:]))


def _mode_lines(report, label, mode, result, batch):
    first, last = loss_trend(result["losses"])
    falling = "PASS" if math.isfinite(last) and last < first else "FAIL"
    report.add(CheckLine(SECTION, f"{label} {mode}: iterations/s", result["iters_per_s"], "it/s", "report only",
                         "INFO", "info", note=f"batch {batch}, {len(result['losses'])} steps",
                         details={k: v for k, v in result.items() if k != "iters_per_s"}))
    report.add(CheckLine(SECTION, f"{label} {mode}: loss finite and falling", last, "", f"< first {first:.4g}",
                         falling, "goal", note=f"{result['skipped']} skipped steps"))
    if result["peak_mib"] is None:
        report.add(CheckLine(SECTION, f"{label} {mode}: peak memory", None, "", "report only", "SKIP", "info",
                             note="torch.cuda.max_memory_allocated: CUDA only"))
    else:
        report.add(CheckLine(SECTION, f"{label} {mode}: peak memory", result["peak_mib"], "MiB", "report only",
                             "INFO", "info"))


def run_training(report, plan, device, deadline):
    """The training lines: each mode's rate, loss and peak memory, then AMP's speed-up."""
    label = "alexnet x0.25 (tiny)" if plan.tiny else "ResNet-50 SiamRPN++"
    cfg = training_config(plan, device)
    report.progress(f"making {plan.train_batches} batches of {plan.train_batch} synthetic pairs")
    batches = make_batches(cfg, plan.train_batches)
    rates = {}
    for mode, amp in (("float32", False), ("AMP", True)):
        if amp and device.type != "cuda":
            report.add(CheckLine(SECTION, f"{label} AMP", None, "", "report only", "SKIP", "info",
                                 note="AMP (SOLVER.AMP.ENABLED) needs CUDA"))
            continue
        if deadline.left() <= 0:
            report.add(CheckLine(SECTION, f"{label} {mode}", None, "", "-", "SKIP", "info", note="time budget spent"))
            continue
        report.progress(f"training {label} {mode}: {plan.train_warmup} + {plan.train_iterations} iterations")
        with report.guard(SECTION, f"{label} {mode}"):
            try:
                result = train_steps(training_config(plan, device, amp), batches, plan.train_iterations,
                                     plan.train_warmup, deadline.step(MODE_BUDGET_S))
            except BudgetSpent as exc:
                report.add(CheckLine(SECTION, f"{label} {mode}", None, "", "-", "SKIP", "info", note=str(exc)))
                continue
            rates[mode] = result["iters_per_s"]
            _mode_lines(report, label, mode, result, plan.train_batch)
    name = f"{label}: AMP iterations/s over float32"
    if len(rates) == 2:
        ratio = rates["AMP"] / rates["float32"]
        report.add(CheckLine(SECTION, name, ratio, "x", f">= {AMP_GOAL:g}x", judge(ratio, ">=", AMP_GOAL), "goal"))
    else:
        report.add(CheckLine(SECTION, name, None, "", f">= {AMP_GOAL:g}x", "SKIP", "goal",
                             note="needs both modes (AMP needs CUDA)"))
