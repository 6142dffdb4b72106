"""pysot's training schedule as detectron2 solver pieces: LR table, param groups, optimiser.

pysot trains by epochs; detectron2 by iterations. An epoch here is ``SOLVER.SIAM.ITERS_PER_EPOCH``
iterations and the whole schedule is ``SOLVER.SIAM.EPOCHS`` epochs, so
``SOLVER.MAX_ITER = EPOCHS * ITERS_PER_EPOCH`` (:func:`finalize_solver_config` derives it when
``MAX_ITER`` is 0, the siamtrack default; a positive value says where training stops; a
negative one is refused). :func:`schedule_summary` states it all in one line.

The learning rate is constant within an epoch and follows pysot's table ``T`` (docs/training.md): a
geometric ("step") warm-up ``start * m**e`` that never reaches its end value, then
``logspace(start, end)``. Every parameter group ``g`` gets ``T[e] * lr0_g / T_main[0]`` where
``lr0_g`` is its nominal LR (``SOLVER.BASE_LR``, times ``BACKBONE_LR_FACTOR`` for the backbone) and
``T_main[0]`` the first value of the log part. That is exactly detectron2's
:class:`~detectron2.solver.LRMultiplier` with the multiplier ``T[e] / T_main[0]`` (an fvcore
:class:`ParamScheduler`) over groups whose initial LR is ``lr0_g``.
"""
import math
from typing import Dict, List

import numpy as np
import torch
from fvcore.common.param_scheduler import ParamScheduler

from detectron2.solver import LRMultiplier

from ..config import ConfigError

__all__ = [
    "pysot_lr_table",
    "EpochTableParamScheduler",
    "build_lr_multiplier",
    "build_lr_scheduler",
    "build_param_groups",
    "build_optimizer",
    "schedule_iters",
    "finalize_solver_config",
    "schedule_summary",
]


def pysot_lr_table(epochs, log_start, log_end, warmup_epochs=0, warmup_start=0.0, warmup_end=0.0):
    """pysot's per-epoch learning-rate table ``T`` and the first value of its main part.

    Args:
        epochs (int): total number of epochs (warm-up included), pysot ``TRAIN.EPOCH``.
        log_start, log_end (float): end points of the log-spaced main part.
        warmup_epochs (int): length of the warm-up (pysot ``LR_WARMUP.EPOCH``); 0 disables it.
        warmup_start, warmup_end (float): the warm-up goes ``start * m**e`` with
            ``m = (end / start) ** (1 / warmup_epochs)``, so it never reaches ``end``.

    Returns:
        (list[float], float): the ``epochs`` LR values and ``T_main[0]`` (= ``log_start``).
    """
    if epochs <= warmup_epochs:
        raise ValueError(f"EPOCHS ({epochs}) must exceed WARMUP_EPOCHS ({warmup_epochs})")
    main = np.logspace(math.log10(log_start), math.log10(log_end), epochs - warmup_epochs)
    if warmup_epochs > 0:
        mult = math.pow(warmup_end / warmup_start, 1.0 / warmup_epochs)
        warm = warmup_start * (mult ** np.arange(warmup_epochs))
        table = np.concatenate([warm, main])
    else:
        table = main
    return [float(v) for v in table], float(main[0])


class EpochTableParamScheduler(ParamScheduler):
    """A piecewise-constant schedule with one value per epoch of equal length.

    ``where`` in [0, 1] (fraction of the schedule done) selects entry ``floor(where * len)``;
    ``where == 1`` (the scheduler step after the last iteration) keeps the last value.
    """

    def __init__(self, values):
        if not values:
            raise ValueError("EpochTableParamScheduler needs at least one value")
        self._values = [float(v) for v in values]

    def __call__(self, where: float) -> float:
        n = len(self._values)
        # A small epsilon keeps float round-off of iter / max_iter from falling one epoch short.
        index = int(math.floor(where * n + 1e-9))
        return self._values[min(max(index, 0), n - 1)]


def _lr_table_from_cfg(cfg):
    s = cfg.SOLVER.SIAM
    if s.LR_TYPE != "log":
        raise ValueError(f"SOLVER.SIAM.LR_TYPE={s.LR_TYPE!r} is not supported (only 'log', as pysot)")
    return pysot_lr_table(
        s.EPOCHS, s.LOG_START_LR, s.LOG_END_LR, s.WARMUP_EPOCHS, s.WARMUP_START_LR, s.WARMUP_END_LR
    )


def build_lr_multiplier(cfg) -> ParamScheduler:
    """The fvcore scheduler of the LR multiplier ``T[e] / T_main[0]`` over the whole schedule."""
    table, main0 = _lr_table_from_cfg(cfg)
    return EpochTableParamScheduler([v / main0 for v in table])


def schedule_iters(cfg) -> int:
    """Length of the LR schedule in iterations: ``EPOCHS * ITERS_PER_EPOCH``."""
    return int(cfg.SOLVER.SIAM.EPOCHS) * int(cfg.SOLVER.SIAM.ITERS_PER_EPOCH)


def build_lr_scheduler(cfg, optimizer) -> LRMultiplier:
    """detectron2 :class:`LRMultiplier` applying pysot's table to every group's initial LR."""
    return LRMultiplier(optimizer, build_lr_multiplier(cfg), schedule_iters(cfg))


def finalize_solver_config(cfg):
    """Set ``SOLVER.MAX_ITER = EPOCHS * ITERS_PER_EPOCH`` when it is 0 (in place, unfrozen cfg).

    ``add_siamtrack_config`` makes 0 ("derive") the default. The LR schedule and the
    backbone-unfreeze iteration always follow ``EPOCHS`` and ``ITERS_PER_EPOCH``; a positive
    ``MAX_ITER`` only says where training stops (e.g. to stop early). A negative ``MAX_ITER``
    or a non-positive ``ITERS_PER_EPOCH`` raises :class:`~siamtrack.config.ConfigError`.
    Returns ``cfg``.
    """
    if cfg.SOLVER.SIAM.ITERS_PER_EPOCH <= 0:
        raise ConfigError("SOLVER.SIAM.ITERS_PER_EPOCH must be positive")
    if cfg.SOLVER.MAX_ITER < 0:
        raise ConfigError(f"SOLVER.MAX_ITER {cfg.SOLVER.MAX_ITER} is negative: give the iteration "
                          "count to stop at, or 0 for the whole schedule (SOLVER.SIAM.EPOCHS x ITERS_PER_EPOCH)")
    if cfg.SOLVER.MAX_ITER == 0:
        cfg.SOLVER.MAX_ITER = schedule_iters(cfg)
    return cfg


def schedule_summary(cfg) -> str:
    """The schedule of a finalised ``cfg`` in one line: epochs, iterations, where training stops,
    when the backbone starts training."""
    s = cfg.SOLVER.SIAM
    total, stop = schedule_iters(cfg), int(cfg.SOLVER.MAX_ITER)
    unfreeze = int(s.BACKBONE_TRAIN_EPOCH) * int(s.ITERS_PER_EPOCH)
    if stop == total:
        stops = "training runs all of it"
    else:
        stops = f"training stops {'early' if stop < total else 'later'}, after {stop} (SOLVER.MAX_ITER)"
    backbone = (f"backbone stages {list(s.BACKBONE_TRAIN_LAYERS)} train from epoch {s.BACKBONE_TRAIN_EPOCH} "
                f"(iteration {unfreeze})" if unfreeze < stop else "the backbone stays frozen")
    return (f"Schedule: {s.EPOCHS} epochs x {s.ITERS_PER_EPOCH} iterations = {total} iterations of "
            f"{cfg.SOLVER.IMS_PER_BATCH} pairs; {stops}; {backbone}")


def build_param_groups(cfg, model) -> List[Dict]:
    """Optimizer parameter groups as pysot's ``build_opt_lr``: backbone and the rest.

    Every parameter is included, frozen or not: freezing is done with ``requires_grad`` (a
    parameter without gradient is skipped by SGD, weight decay included), so the optimizer
    keeps the same groups for the whole run and checkpoints resume at any iteration. The
    backbone group (``model.backbone``) has ``lr = BASE_LR * BACKBONE_LR_FACTOR``; everything
    else (neck, heads) ``BASE_LR``. Weight decay ``SOLVER.WEIGHT_DECAY`` applies to every
    parameter, BatchNorm and biases included, as in pysot (``WEIGHT_DECAY_NORM``,
    ``WEIGHT_DECAY_BIAS`` and ``BIAS_LR_FACTOR`` are not used). Groups carry a ``name``.

    With ``SOLVER.SIAM.KERNEL_LR_FACTOR`` other than 1 (not pysot's), the template convs of an
    :class:`~siamtrack.modeling.heads.UpChannelRPNHead` form a third group, ``kernels``, at
    ``BASE_LR * KERNEL_LR_FACTOR`` (docs/training.md, "Training a DaSiamRPN from scratch").
    """
    base_lr = cfg.SOLVER.BASE_LR
    wd = cfg.SOLVER.WEIGHT_DECAY
    backbone = getattr(model, "backbone", None)
    backbone_ids = {id(p) for p in backbone.parameters()} if backbone is not None else set()
    kernel_ids = {id(p) for p in _up_channel_kernel_params(cfg, model)}
    groups = {"backbone": [], "head": [], "kernels": []}
    seen = set()
    for p in model.parameters():  # deduplicated by nn.Module
        if id(p) in seen:
            continue
        seen.add(id(p))
        groups["backbone" if id(p) in backbone_ids else "kernels" if id(p) in kernel_ids else "head"].append(p)
    lrs = {"backbone": base_lr * cfg.SOLVER.SIAM.BACKBONE_LR_FACTOR, "head": base_lr,
           "kernels": base_lr * cfg.SOLVER.SIAM.KERNEL_LR_FACTOR}
    return [
        {"name": name, "params": params, "lr": lrs[name], "weight_decay": wd}
        for name, params in groups.items()
        if params
    ]


def _up_channel_kernel_params(cfg, model):
    """The template convs' parameters when ``KERNEL_LR_FACTOR`` asks for their own group."""
    from ..modeling.heads import UpChannelRPNHead

    factor = cfg.SOLVER.SIAM.KERNEL_LR_FACTOR
    if not (math.isfinite(factor) and factor > 0):
        raise ConfigError(f"SOLVER.SIAM.KERNEL_LR_FACTOR must be a positive number, got {factor}")
    if factor == 1.0:
        return []
    head = getattr(model, "rpn_head", None)
    if not isinstance(head, UpChannelRPNHead):
        raise ConfigError(f"SOLVER.SIAM.KERNEL_LR_FACTOR {factor} applies to UpChannelRPNHead only "
                          f"(this model's head is {type(head).__name__}); leave it at 1.0")
    return [*head.template_cls_conv.parameters(), *head.template_loc_conv.parameters()]


def build_optimizer(cfg, model) -> torch.optim.Optimizer:
    """SGD over :func:`build_param_groups` with ``SOLVER.MOMENTUM`` / ``NESTEROV``.

    Gradient clipping is not done here: :class:`~siamtrack.engine.trainer.SiamTrainLoop` clips
    the global norm after backward (``SOLVER.CLIP_GRADIENTS``), as pysot.
    """
    return torch.optim.SGD(
        build_param_groups(cfg, model),
        lr=cfg.SOLVER.BASE_LR,
        momentum=cfg.SOLVER.MOMENTUM,
        nesterov=cfg.SOLVER.NESTEROV,
        weight_decay=cfg.SOLVER.WEIGHT_DECAY,
    )
