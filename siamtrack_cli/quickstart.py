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
import logging
import os
import sys

from .common import run_command

__all__ = ["build_parser", "main"]

PROG = "quickstart.py"
RULE = "=" * 72


def build_parser(prog=PROG):
    """Command-line arguments of the quickstart."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", default=os.path.join("output", "quickstart"),
                        help="checkpoints, metrics.json and log.txt go here (default: output/quickstart)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, default=[], help="config overrides, KEY VALUE pairs")
    return parser


class _ConsoleFilter(logging.Filter):
    """Console: training progress lines and warnings only (everything goes to log.txt)."""

    def filter(self, record):
        """Keep the training progress lines and warnings."""
        return record.name == "detectron2.utils.events" or record.levelno >= logging.WARNING


def _quiet_logging(output_dir):
    """Everything to ``log.txt``; on the console, training progress lines and warnings only."""
    from detectron2.utils.logger import setup_logger

    for name in ("detectron2", "siamtrack", "fvcore"):
        logger = setup_logger(output=output_dir, name=name, abbrev_name={"detectron2": "d2"}.get(name))
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.addFilter(_ConsoleFilter())


def _print_report(result):
    from siamtrack.engine.quickstart import MIN_GAIN

    print()
    print(RULE)
    print(f"Training : {result.iterations} iterations in {result.train_seconds / 60:.1f} min, loss "
          f"{result.loss_first:.3f} -> {result.loss_last:.3f} (mean of the first / last {result.loss_window})")
    print(f"Tracking : {result.clips} synthetic clips, {result.frames} frames, {result.track_seconds:.0f} s")
    print(f"Success AUC (OPE)   untrained: {result.auc_untrained:.3f}   trained: {result.auc_trained:.3f}")
    print("-" * len(RULE))
    if result.learned:
        print("The trained tracker is clearly better than the untrained one: the training pipeline learns.")
    else:
        print("ERROR: the trained tracker is not clearly better than the untrained one "
              f"(needs +{MIN_GAIN:.2f} AUC and a falling loss): something is broken.")
    print("This is a tiny network trained for minutes on synthetic clips; it says nothing about "
          "real accuracy, which needs ImageNet weights, real data (COCO, videos), a GPU and the "
          "full recipe: see docs/training.md.")
    print(f"Weights: {result.weights}")
    print(RULE)


def _quickstart(args):
    from siamtrack.engine.quickstart import quickstart_config, run_quickstart

    cfg = quickstart_config(args.output_dir, args.opts)
    _quiet_logging(cfg.OUTPUT_DIR)
    print(f"siamtrack quickstart: training {cfg.SOLVER.MAX_ITER} iterations of a small SiamRPN "
          f"(AlexNet x{cfg.MODEL.SIAM_ALEXNET.WIDTH_MULT}) on synthetic videos, on the CPU "
          f"(a few minutes; log in {cfg.OUTPUT_DIR})", flush=True)
    try:
        result = run_quickstart(cfg)
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: say what is kept
        from siamtrack.engine.train_job import with_interruption_note

        raise with_interruption_note(exc, cfg.OUTPUT_DIR) from None
    _print_report(result)
    return 0 if result.learned else 1


def main(argv=None):
    """Train, track the synthetic clips before/after, print the AUCs; exit status 1 when the
    network did not learn, 2 when anything failed (with the traceback, for ``make setup``),
    130 / 143 on Ctrl-C / SIGTERM (one line naming the last checkpoint)."""
    try:
        return run_command(PROG, build_parser, lambda args: None, _quickstart, argv)
    except Exception:  # noqa: BLE001 -- a clear failure for `make setup`
        logging.getLogger("siamtrack").exception("quickstart failed")
        print("quickstart FAILED (see the traceback above)", file=sys.stderr)
        return 2
