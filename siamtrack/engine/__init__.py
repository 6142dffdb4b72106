"""Training engine: pysot's SiamRPN++ recipe on detectron2's DefaultTrainer.

* :class:`SiamTrainer` -- the trainer (``siamtrack-train`` / ``tools/train_net.py``);
* :class:`SiamTrainLoop` -- pysot's step (loss guard, summed gradients, clipping, AMP);
* :mod:`.schedule` -- LR table (warm-up + log decay), param groups, SGD, ``MAX_ITER``;
* :mod:`.hooks` -- backbone freezing/unfreezing, per-group LR logging;
* :func:`launch` -- detectron2's ``launch``, also multi-process on CPU (GLOO);
* :mod:`.train_job` -- the ``train`` command's work: check the config, set up, launch;
* :mod:`.quickstart` -- train a small tracker on synthetic data and show that it learned;
* :mod:`.detectron2_compat` -- the only use of detectron2 internals, checked on use.
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
from .train_loop import SiamTrainLoop
from .trainer import SiamTrainer, create_ddp_model, ddp_device_ids, unwrap_model

__all__ = [
    "SiamTrainer",
    "SiamTrainLoop",
    "create_ddp_model",
    "ddp_device_ids",
    "unwrap_model",
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
