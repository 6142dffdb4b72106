"""Trainer hooks: pysot's backbone freezing/unfreezing, per-group LR logging, per-iteration seeds."""
import logging
import random
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from detectron2.engine import HookBase
from detectron2.engine import hooks as d2_hooks

__all__ = ["set_backbone_trainable", "apply_bn_modes", "BackboneUnfreezeHook", "SiamLRScheduler",
           "IterationSeedHook", "iteration_seed"]

logger = logging.getLogger(__name__)


def _in_layers(name: str, layers: Sequence[str]) -> bool:
    """Whether the qualified parameter/module name ``name`` lies inside one of ``layers``.

    A stage is a module path matched at component boundaries anywhere in ``name``: ``layer2``
    finds ``layer2.0.conv1`` and ``body.layer2.0.conv1`` (a wrapped backbone); dotted paths
    such as ``features.11`` select modules of a flat Sequential (pysot's legacy AlexNet).
    """
    padded = f".{name}."
    return any(f".{layer}." in padded for layer in layers)


def _check_layers(backbone: nn.Module, layers: Sequence[str]):
    names = [name for name, _ in backbone.named_modules() if name]
    missing = [layer for layer in layers if not any(_in_layers(n, [layer]) for n in names)]
    if missing:
        children = [name for name, _ in backbone.named_children()]
        raise ValueError(
            f"SOLVER.SIAM.BACKBONE_TRAIN_LAYERS {missing} not found in the backbone "
            f"(its stages: {children})"
        )


def set_backbone_trainable(backbone: nn.Module, train_layers: Optional[Iterable[str]]):
    """Freeze the backbone, or make only the stages ``train_layers`` trainable (pysot).

    ``train_layers=None`` freezes everything: no parameter requires a gradient. Otherwise the
    parameters of the named stages require gradients and all others do not. BatchNorm modes
    follow (:func:`apply_bn_modes`): train mode inside trainable stages, eval mode elsewhere.
    """
    layers = list(train_layers) if train_layers is not None else []
    if layers:
        _check_layers(backbone, layers)
    for name, param in backbone.named_parameters():
        param.requires_grad_(_in_layers(name, layers))
    apply_bn_modes(backbone, layers, training=True)


def apply_bn_modes(backbone: nn.Module, train_layers: Sequence[str], training: bool = True):
    """Put the backbone's BatchNorms of ``train_layers`` in ``training`` mode, all others in eval.

    Frozen BatchNorms use and keep their (pretrained) running statistics. Called again before
    every step, since ``model.train()`` (e.g. after an evaluation) switches every BN to train.
    """
    for name, module in backbone.named_modules():
        if isinstance(module, _BatchNorm):
            want = training and _in_layers(name, train_layers)
            if module.training != want:
                module.train(want)


class BackboneUnfreezeHook(HookBase):
    """pysot's backbone schedule: frozen until ``unfreeze_iter``, then ``train_layers`` train.

    Before ``unfreeze_iter`` every backbone parameter is frozen and every backbone BatchNorm is
    in eval mode. At iteration ``unfreeze_iter`` (epoch ``BACKBONE_TRAIN_EPOCH``) the parameters
    of ``train_layers`` start requiring gradients, their BatchNorms go back to train mode, and
    the optimizer state is cleared: pysot rebuilds its optimizer there, which discards every
    group's momentum. The optimizer's groups (all parameters, see
    :func:`~siamtrack.engine.schedule.build_param_groups`) and the LR table are the same before
    and after, so nothing else needs rebuilding. ``on_change`` is called after the set of
    trainable parameters changes (the trainer re-wraps DistributedDataParallel, which only
    synchronises parameters that required gradients when it was built).

    The checkpoint records the state (:meth:`state_dict`: trained or not, the stages, the
    unfreeze iteration). When training resumes, :meth:`before_train` restores the recorded
    state without touching the optimizer state, which the checkpoint holds too (the schedule's
    state for that iteration when the checkpoint has none; trained, with the momentum reset,
    when the config now unfreezes before the resumed iteration).
    """

    def __init__(
        self,
        backbone: nn.Module,
        unfreeze_iter: int,
        train_layers: Sequence[str],
        on_change: Optional[Callable[[], None]] = None,
    ):
        self.backbone = backbone
        self.unfreeze_iter = int(unfreeze_iter)
        self.train_layers = list(train_layers)
        self.on_change = on_change
        self._trained = None  # unknown until before_train
        self._restored = None  # the state a resumed checkpoint recorded

    def _layers(self):
        return self.train_layers if self._trained else []

    def _set(self, trained: bool):
        changed = self._trained is not None and trained != self._trained
        self._trained = trained
        set_backbone_trainable(self.backbone, self.train_layers if trained else None)
        return changed

    def before_train(self):
        """Record the model's initial trainable state and apply the schedule for the start iteration."""
        # The state the model had when the trainer was built (and DDP wrapped it).
        initial = any(p.requires_grad for p in self.backbone.parameters())
        self._trained = initial
        # Iteration `start_iter` has not run yet: the unfreeze event of `unfreeze_iter` itself
        # happens in before_step, so a resume exactly there still resets the momentum.
        trained = self.trainer.iter > self.unfreeze_iter or self.unfreeze_iter <= 0
        if self._restored is not None:
            if self._restored.get("train_layers") != self.train_layers:
                logger.warning("The checkpoint trained backbone stages %s; this config trains %s",
                               self._restored.get("train_layers"), self.train_layers)
            if trained and not self._restored["trained"]:  # the config moved the unfreeze earlier
                logger.info("Iteration %d: start training backbone stages %s (the checkpoint's were "
                            "frozen); optimizer momentum reset", self.trainer.iter, self.train_layers)
                self.trainer.optimizer.state.clear()
            trained = trained or bool(self._restored["trained"])
        if self._set(trained) and self.on_change is not None:
            self.on_change()

    def state_dict(self):
        """What a checkpoint records: whether the stages train, which, and from which iteration."""
        return {"trained": bool(self._trained), "train_layers": list(self.train_layers),
                "unfreeze_iter": self.unfreeze_iter}

    def load_state_dict(self, state_dict):
        """Keep the recorded state for :meth:`before_train` (a resumed run)."""
        self._restored = dict(state_dict)

    def before_step(self):
        """Unfreeze the backbone stages at the scheduled iteration."""
        if self.trainer.iter == self.unfreeze_iter and not self._trained:
            logger.info(
                "Iteration %d: start training backbone stages %s; optimizer momentum reset",
                self.unfreeze_iter, self.train_layers,
            )
            self._set(True)
            self.trainer.optimizer.state.clear()
            if self.on_change is not None:
                self.on_change()
        apply_bn_modes(self.backbone, self._layers(), training=True)


class SiamLRScheduler(d2_hooks.LRScheduler):
    """detectron2's LR hook that logs the head LR as ``lr`` and the backbone's as ``lr_backbone``
    (and the up-channel kernels' group, when ``SOLVER.SIAM.KERNEL_LR_FACTOR`` makes one, as
    ``lr_kernels``).

    (The stock hook logs the group with the most tensors, which is the backbone's.)
    """

    def after_step(self):
        """Log the head LR as ``lr`` and the backbone LR as ``lr_backbone``, then step the schedule."""
        storage = self.trainer.storage
        groups = self.trainer.optimizer.param_groups
        logged = False
        for group in groups:
            key = {"head": "lr", "backbone": "lr_backbone", "kernels": "lr_kernels"}.get(group.get("name"))
            if key is not None:
                storage.put_scalar(key, group["lr"], smoothing_hint=False)
                logged = logged or key == "lr"
        if not logged:
            best = d2_hooks.LRScheduler.get_best_param_group_id(self.trainer.optimizer)
            storage.put_scalar("lr", groups[best]["lr"], smoothing_hint=False)
        self.scheduler.step()


def iteration_seed(seed: int, rank: int, iteration: int) -> int:
    """The seed of ``iteration`` on process ``rank`` of a run seeded with ``seed`` (a 32-bit int)."""
    return int(np.random.SeedSequence([int(seed), int(rank), int(iteration)]).generate_state(1)[0])


class IterationSeedHook(HookBase):
    """Seed torch, NumPy and ``random`` before every step from ``(seed, rank, iteration)``.

    The step draws random numbers outside the data (the head samples anchors with
    ``torch.randperm``, detectron2's ``subsample_labels``). Seeding each iteration afresh makes
    the step a function of the iteration, not of how many numbers were drawn before, so a run
    resumed from a checkpoint draws what the uninterrupted run drew (docs/training.md,
    "Resume").
    """

    def __init__(self, seed: int, rank: int = 0):
        self.seed, self.rank = int(seed), int(rank)

    def before_step(self):
        """Seed the generators for ``trainer.iter``."""
        seed = iteration_seed(self.seed, self.rank, self.trainer.iter)
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
