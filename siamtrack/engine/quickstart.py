"""The quickstart: train a small tracker on synthetic data on the CPU and show that it learned.

:func:`run_quickstart` trains ``configs/quickstart_synthetic.yaml`` (AlexNet x0.25 SiamRPN, from
scratch) on the built-in synthetic videos, then tracks the synthetic test clips with the
untrained network (the weights training started from) and the trained one, and returns both
success AUCs (OPE). The trained tracker must beat the untrained one clearly (:data:`MIN_GAIN`):
the proof that data, targets, losses, optimiser, checkpoints and tracker work together, not a
measure of real accuracy (docs/training.md).
"""
import copy
import os
import time
from dataclasses import dataclass

import numpy as np
import torch
from detectron2.modeling import build_model

from ..checkpoint import load_weights
from ..config import load_config
from ..data.datasets import synthetic_sequence
from ..evaluation import evaluate_ope
from ..tracking import build_tracker, prepare_model
from .schedule import finalize_solver_config
from .trainer import SiamTrainer

__all__ = ["QUICKSTART_CONFIG", "MIN_GAIN", "QuickstartResult", "quickstart_config", "track_clips",
           "run_quickstart"]

QUICKSTART_CONFIG = "quickstart_synthetic.yaml"  # a packaged config name (siamtrack.model_zoo)
MIN_GAIN = 0.05  # the trained success AUC must exceed the untrained one by this much


@dataclass
class QuickstartResult:
    """What the quickstart measured."""

    iterations: int
    train_seconds: float
    loss_first: float  # mean of the first `loss_window` logged losses
    loss_last: float
    loss_window: int
    clips: int
    frames: int
    track_seconds: float
    auc_untrained: float
    auc_trained: float
    weights: str

    @property
    def learned(self):
        """Whether the trained tracker is clearly better and the loss fell."""
        return self.auc_trained >= self.auc_untrained + MIN_GAIN and self.loss_last < self.loss_first


def quickstart_config(output_dir, opts=()):
    """The quickstart's training config (CPU, ``MAX_ITER`` derived), writing to ``output_dir``."""
    cfg = load_config(str(QUICKSTART_CONFIG), opts)
    cfg.OUTPUT_DIR = output_dir
    cfg.MODEL.DEVICE = "cpu"
    finalize_solver_config(cfg)
    cfg.freeze()
    os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
    return cfg


def track_clips(model, cfg, clips):
    """Success AUC (OPE) of the tracker of ``model`` over ``clips`` ({name: (frames, boxes)})."""
    tracker = build_tracker(cfg, model)
    results = {}
    for name, (frames, boxes) in clips.items():
        tracker.init(frames[0], tuple(float(v) for v in boxes[0]))
        pred = [boxes[0]] + [tracker.track(frame)["bbox"] for frame in frames[1:]]
        results[name] = np.asarray(pred, dtype=np.float64)
    gt = {name: np.asarray(boxes, dtype=np.float64) for name, (_, boxes) in clips.items()}
    return evaluate_ope(gt, results).success_auc


def _inference_model(cfg, state_dict=None, weights=None):
    """An eval-mode model of ``cfg`` with the given weights (random when none)."""
    model = build_model(cfg)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    if weights is not None:
        load_weights(model, weights)
    return prepare_model(model, cfg)


def run_quickstart(cfg) -> QuickstartResult:
    """Train ``cfg`` (see :func:`quickstart_config`), then track the synthetic test clips with
    the untrained and the trained network."""
    torch.manual_seed(cfg.SEED)
    np.random.seed(cfg.SEED)
    start = time.perf_counter()
    trainer = SiamTrainer(cfg)
    trainer.resume_or_load(resume=False)
    untrained_state = copy.deepcopy(trainer.unwrapped_model.state_dict())
    trainer.train()
    train_seconds = time.perf_counter() - start
    losses = [v for v, _ in trainer.storage.history("total_loss").values()]
    weights = os.path.join(cfg.OUTPUT_DIR, "model_final.pth")

    start = time.perf_counter()
    clips = {f"synthetic_{i:02d}": synthetic_sequence(i) for i in range(int(cfg.DATASETS.SIAM.SYNTHETIC_NUM_TEST))}
    auc_untrained = track_clips(_inference_model(cfg, state_dict=untrained_state), cfg, clips)
    auc_trained = track_clips(_inference_model(cfg, weights=weights), cfg, clips)
    n = max(1, min(20, len(losses) // 5))
    return QuickstartResult(
        iterations=len(losses), train_seconds=train_seconds, loss_first=float(np.mean(losses[:n])),
        loss_last=float(np.mean(losses[-n:])), loss_window=n, clips=len(clips),
        frames=sum(len(f) for f, _ in clips.values()), track_seconds=time.perf_counter() - start,
        auc_untrained=auc_untrained, auc_trained=auc_trained, weights=weights)
