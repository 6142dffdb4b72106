#!/usr/bin/env python
"""Quickstart: train a small tracker on synthetic data on the CPU, then show that it learned.

    python tools/quickstart.py [--output-dir output/quickstart]

1. trains ``configs/quickstart_synthetic.yaml`` (AlexNet x0.25 SiamRPN, from scratch) on the
   built-in synthetic videos for a few minutes -- nothing is downloaded;
2. tracks the synthetic test clips with the untrained network (the weights training started
   from) and with the trained one, and prints the success AUC (OPE) of both.

The trained tracker must beat the untrained one clearly: that is the proof that data, targets,
losses, optimiser, checkpoints and tracker work together. It is not a measure of real tracking
accuracy, which needs ImageNet weights, real data (COCO, videos), a GPU and the full recipe
(docs/training.md). Exits with a non-zero status if anything fails or the network did not learn.
"""
import argparse
import copy
import logging
import os
import sys
import time

import numpy as np
import torch

import siamtrack  # noqa: F401  (first: registers everything and quiets upstream import warnings)
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.modeling import build_model
from detectron2.utils.logger import setup_logger

from siamtrack.config import load_config
from siamtrack.data.datasets import synthetic_sequence
from siamtrack.engine import SiamTrainer, finalize_solver_config
from siamtrack.evaluation import evaluate_ope
from siamtrack.tracking import SiamTracker, prepare_model

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(REPO, "configs", "quickstart_synthetic.yaml")
MIN_GAIN = 0.05  # the trained success AUC must exceed the untrained one by this much


def parse_args(argv=None):
    """Command-line arguments of the quickstart."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", default=os.path.join(REPO, "output", "quickstart"),
                        help="checkpoints, metrics.json and log.txt go here")
    parser.add_argument("opts", nargs=argparse.REMAINDER, default=[],
                        help="config overrides, KEY VALUE pairs")
    return parser.parse_args(argv)


def setup(args):
    """The quickstart training config."""
    cfg = load_config(CONFIG, args.opts)
    cfg.OUTPUT_DIR = args.output_dir
    cfg.MODEL.DEVICE = "cpu"
    finalize_solver_config(cfg)
    cfg.freeze()
    os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
    return cfg


class _ConsoleFilter(logging.Filter):
    """Console: training progress lines and warnings only (everything goes to log.txt)."""

    def filter(self, record):
        """Keep the training progress lines and warnings."""
        return record.name == "detectron2.utils.events" or record.levelno >= logging.WARNING


def setup_logging(output_dir):
    """Quiet console logging: training progress lines and warnings only."""
    for name in ("detectron2", "siamtrack", "fvcore"):
        logger = setup_logger(output=output_dir, name=name, abbrev_name={"detectron2": "d2"}.get(name))
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.addFilter(_ConsoleFilter())


def track_clips(model, cfg, clips):
    """Success AUC (OPE) of ``model`` over ``clips`` ({name: (frames, boxes)})."""
    tracker = SiamTracker(model, cfg)
    results = {}
    for name, (frames, boxes) in clips.items():
        tracker.init(frames[0], tuple(float(v) for v in boxes[0]))
        pred = [boxes[0]] + [tracker.track(frame)["bbox"] for frame in frames[1:]]
        results[name] = np.asarray(pred, dtype=np.float64)
    gt = {name: np.asarray(boxes, dtype=np.float64) for name, (_, boxes) in clips.items()}
    return evaluate_ope(gt, results).success_auc


def inference_model(cfg, state_dict=None, weights=None):
    """An eval-mode model of ``cfg`` with the given weights (random when none)."""
    model = build_model(cfg)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    if weights is not None:
        DetectionCheckpointer(model).load(weights)
    return prepare_model(model, cfg)


def main(argv=None):
    """Train, track the synthetic clips before/after, print the AUCs; exit status 1 on failure."""
    args = parse_args(argv)
    cfg = setup(args)
    setup_logging(cfg.OUTPUT_DIR)
    torch.manual_seed(cfg.SEED)
    np.random.seed(cfg.SEED)
    print(f"siamtrack quickstart: training {cfg.SOLVER.MAX_ITER} iterations of a small SiamRPN "
          f"(AlexNet x{cfg.MODEL.SIAM_ALEXNET.WIDTH_MULT}) on synthetic videos, on the CPU "
          f"(a few minutes; log in {cfg.OUTPUT_DIR})", flush=True)

    start = time.perf_counter()
    trainer = SiamTrainer(cfg)
    trainer.resume_or_load(resume=False)
    untrained_state = copy.deepcopy(trainer._model_without_ddp.state_dict())
    trainer.train()
    train_time = time.perf_counter() - start
    losses = [v for v, _ in trainer.storage.history("total_loss").values()]
    final_weights = os.path.join(cfg.OUTPUT_DIR, "model_final.pth")

    num_clips = int(cfg.DATASETS.SIAM.SYNTHETIC_NUM_TEST)
    print(f"Tracking {num_clips} synthetic test clips with the untrained and the trained "
          "network ...", flush=True)
    start = time.perf_counter()
    clips = {f"synthetic_{i:02d}": synthetic_sequence(i) for i in range(num_clips)}
    auc_untrained = track_clips(inference_model(cfg, state_dict=untrained_state), cfg, clips)
    auc_trained = track_clips(inference_model(cfg, weights=final_weights), cfg, clips)
    track_time = time.perf_counter() - start

    n = max(1, min(20, len(losses) // 5))
    loss_first, loss_last = float(np.mean(losses[:n])), float(np.mean(losses[-n:]))
    frames = sum(len(f) for f, _ in clips.values())
    print()
    print("=" * 72)
    print(f"Training : {len(losses)} iterations in {train_time / 60:.1f} min, loss "
          f"{loss_first:.3f} -> {loss_last:.3f} (mean of the first / last {n})")
    print(f"Tracking : {num_clips} synthetic clips, {frames} frames, {track_time:.0f} s")
    print(f"Success AUC (OPE)   untrained: {auc_untrained:.3f}   trained: {auc_trained:.3f}")
    print("-" * 72)
    learned = auc_trained >= auc_untrained + MIN_GAIN and loss_last < loss_first
    if learned:
        print("The trained tracker is clearly better than the untrained one: the training "
              "pipeline learns.")
    else:
        print("ERROR: the trained tracker is not clearly better than the untrained one "
              f"(needs +{MIN_GAIN:.2f} AUC and a falling loss): something is broken.")
    print("This is a tiny network trained for minutes on synthetic clips; it says nothing about "
          "real accuracy, which needs ImageNet weights, real data (COCO, videos), a GPU and the "
          "full recipe: see docs/training.md.")
    print(f"Weights: {final_weights}")
    print("=" * 72)
    return 0 if learned else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # a clear failure for `make setup`
        logging.getLogger("siamtrack").exception("quickstart failed")
        print("quickstart FAILED (see the traceback above)", file=sys.stderr)
        sys.exit(2)
