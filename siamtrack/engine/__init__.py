"""Training engine: pysot's SiamRPN++ recipe on detectron2's DefaultTrainer.

* :class:`SiamTrainer` -- the trainer (``tools/train_net.py``);
* :mod:`.schedule` -- LR table (warm-up + log decay), param groups, SGD, ``MAX_ITER``;
* :mod:`.hooks` -- backbone freezing/unfreezing, per-group LR logging;
* :func:`launch` -- detectron2's ``launch``, also multi-process on CPU (GLOO).
"""
from .hooks import BackboneUnfreezeHook, SiamLRScheduler, apply_bn_modes, set_backbone_trainable
from .launch import launch
from .schedule import (
    EpochTableParamScheduler,
    build_lr_multiplier,
    build_lr_scheduler,
    build_optimizer,
    build_param_groups,
    finalize_solver_config,
    pysot_lr_table,
)
from .trainer import SiamTrainer, SiamTrainLoop, create_ddp_model, ddp_device_ids

__all__ = [
    "SiamTrainer",
    "SiamTrainLoop",
    "create_ddp_model",
    "ddp_device_ids",
    "launch",
    "BackboneUnfreezeHook",
    "SiamLRScheduler",
    "apply_bn_modes",
    "set_backbone_trainable",
    "EpochTableParamScheduler",
    "build_lr_multiplier",
    "build_lr_scheduler",
    "build_optimizer",
    "build_param_groups",
    "finalize_solver_config",
    "pysot_lr_table",
]
