"""What training writes to the console and ``log.txt``: short, true lines.

* :func:`setup_run` -- detectron2's ``default_setup`` (output folder, loggers, ``config.yaml``,
  seeds, cuDNN benchmark) without its dumps: the merged config goes to ``OUTPUT_DIR/config.yaml``
  only (not, in ANSI colour, into the log), the environment is one line.
* :func:`describe_model` -- the model in one line; its layers in ``OUTPUT_DIR/model.txt``.
* :class:`SiamMetricPrinter` -- detectron2's progress line with ``lr`` and ``lr_backbone``.
"""
import logging
import os
import re
import sys

import torch
from detectron2.utils import comm
from detectron2.utils.env import seed_all_rng
from detectron2.utils.events import CommonMetricPrinter, get_event_storage
from detectron2.utils.logger import setup_logger

from ..utils.errors import InputError
from ..utils.interrupts import interrupt_behind

__all__ = ["setup_run", "describe_model", "SiamMetricPrinter"]

logger = logging.getLogger(__name__)

_LR = re.compile(r"(lr: \S+)")


def _versions(device):
    import detectron2

    # the package __init__ (the top layer) is loaded already: engine is imported through it
    siamtrack_version = getattr(sys.modules.get("siamtrack"), "__version__", "?")
    return (f"siamtrack {siamtrack_version}, torch {torch.__version__}, detectron2 {detectron2.__version__}, "
            f"Python {sys.version.split()[0]}, device {device}")


def _arguments(args):
    """The command-line arguments of ``args`` (detectron2's namespace) as one short line."""
    words = [f"--config-file {args.config_file}"] if getattr(args, "config_file", "") else []
    words += [f"--{name.replace('_', '-')}" for name in ("resume", "eval_only") if getattr(args, name, False)]
    words += [f"--{name.replace('_', '-')} {getattr(args, name)}" for name in ("num_gpus", "num_machines")
              if getattr(args, name, 1) != 1]
    return " ".join(words + [str(v) for v in getattr(args, "opts", [])])


def _not_a_user_error(record):
    """False for detectron2's "Exception during training:" record of a user-facing error (a
    full disk, a diverged training) or of an error raised while handling Ctrl-C / SIGTERM: the
    command reports those in one line, without a traceback."""
    exc = record.exc_info[1] if record.exc_info else None
    return not (isinstance(exc, InputError) or interrupt_behind(exc) is not None)


def setup_run(cfg, args):
    """detectron2's ``default_setup(cfg, args)`` for a siamtrack run, quietly (module docstring).

    Loggers ``detectron2`` (``d2``), ``fvcore`` and ``siamtrack`` write to the console and
    ``OUTPUT_DIR/log.txt`` (other ranks to ``log.txt.rank<r>``).
    """
    output_dir, rank = cfg.OUTPUT_DIR, comm.get_rank()
    if comm.is_main_process() and output_dir:
        os.makedirs(output_dir, exist_ok=True)
    color = sys.stdout.isatty()
    for name, abbrev in (("fvcore", None), ("detectron2", "d2"), ("siamtrack", None)):
        setup_logger(output_dir, distributed_rank=rank, color=color, name=name, abbrev_name=abbrev)
    train_loop_logger = logging.getLogger("detectron2.engine.train_loop")
    if _not_a_user_error not in train_loop_logger.filters:
        train_loop_logger.addFilter(_not_a_user_error)
    logger.info("%s; process %d of %d", _versions(cfg.MODEL.DEVICE), rank, comm.get_world_size())
    logger.info("Arguments: %s", _arguments(args))
    if comm.is_main_process() and output_dir:
        path = os.path.join(output_dir, "config.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(cfg.dump())
        logger.info("Full config (defaults, config file and overrides merged) saved to %s", path)
    seed_all_rng(None if cfg.SEED < 0 else cfg.SEED + rank)
    if not getattr(args, "eval_only", False):
        torch.backends.cudnn.benchmark = cfg.CUDNN_BENCHMARK


def describe_model(model, output_dir=""):
    """Log the model in one line (class, its parts, parameter count); its layers go to
    ``output_dir/model.txt`` when that folder exists (main process)."""
    parts = ", ".join(f"{name}: {type(module).__name__}" for name, module in model.named_children())
    count = sum(p.numel() for p in model.parameters())
    where = ""
    if output_dir and os.path.isdir(output_dir) and comm.is_main_process():
        path = os.path.join(output_dir, "model.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"{model}\n")
        where = f"; its layers are listed in {path}"
    logger.info("Model: %s (%s), %.3g M parameters%s", type(model).__name__, parts, count / 1e6, where)


class _BackboneLRAdapter(logging.LoggerAdapter):
    """Adds ``lr_backbone: <value>`` after ``lr: <value>`` in the messages it passes on."""

    def process(self, msg, kwargs):
        try:
            lr = get_event_storage().history("lr_backbone").latest()
        except (KeyError, AssertionError):  # no backbone group, or outside training
            return msg, kwargs
        return _LR.sub(lambda m: f"{m.group(1)}  lr_backbone: {lr:.5g}", str(msg), count=1), kwargs


class SiamMetricPrinter(CommonMetricPrinter):
    """detectron2's :class:`CommonMetricPrinter` whose line shows ``lr`` and ``lr_backbone``
    (pysot's two learning rates, logged by :class:`~siamtrack.engine.hooks.SiamLRScheduler`).
    The line stays the record of detectron2's ``detectron2.utils.events`` logger."""

    def __init__(self, max_iter=None, window_size=20):
        super().__init__(max_iter, window_size)
        self.logger = _BackboneLRAdapter(self.logger, {})
