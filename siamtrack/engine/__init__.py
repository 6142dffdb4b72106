"""Training engine: pysot's SiamRPN++ recipe on detectron2's DefaultTrainer.

* :class:`SiamTrainer` -- the trainer (``siamtrack-train`` / ``tools/train_net.py``);
* :class:`SiamTrainLoop` -- pysot's step (loss guard, summed gradients, clipping, AMP);
* :mod:`.schedule` -- LR table (warm-up + log decay), param groups, SGD, ``MAX_ITER``;
* :mod:`.hooks` -- backbone freezing/unfreezing, per-group LR logging, per-iteration seeds;
* :mod:`.checkpointer` -- checkpoints written atomically, why a resume checkpoint is unusable;
* :mod:`.logs` -- the run's setup and short log lines (config in ``config.yaml``, ``lr_backbone``);
* :mod:`.ddp` -- DistributedDataParallel on CUDA and on the CPU;
* :func:`launch` -- detectron2's ``launch``, also multi-process on CPU (GLOO); Ctrl-C stops the workers;
* :mod:`.train_job` -- the ``train`` command's work: check the config, set up, launch;
* :mod:`.quickstart` -- train a small tracker on synthetic data and show that it learned;
* :mod:`.detectron2_compat` -- the only use of detectron2 internals, checked on use.
"""
from .checkpointer import SiamCheckpointer
from .hooks import (
    BackboneUnfreezeHook,
    IterationSeedHook,
    SiamLRScheduler,
    apply_bn_modes,
    iteration_seed,
    set_backbone_trainable,
)
from .launch import launch
from .schedule import (
    EpochTableParamScheduler,
    build_lr_multiplier,
    build_lr_scheduler,
    build_optimizer,
    build_param_groups,
    finalize_solver_config,
    pysot_lr_table,
    schedule_summary,
)
from .train_loop import SiamTrainLoop
from .ddp import create_ddp_model, ddp_device_ids, unwrap_model
from .trainer import SiamTrainer

__all__ = [
    "SiamTrainer",
    "SiamTrainLoop",
    "create_ddp_model",
    "ddp_device_ids",
    "unwrap_model",
    "launch",
    "SiamCheckpointer",
    "BackboneUnfreezeHook",
    "IterationSeedHook",
    "iteration_seed",
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
    "schedule_summary",
]
