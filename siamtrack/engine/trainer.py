"""SiamTrainer: detectron2's DefaultTrainer with pysot's SiamRPN++ training recipe.

The trainer goes through ``DefaultTrainer.__init__`` and changes only what its documented
methods are for (everything else -- checkpoints through :class:`DetectionCheckpointer`,
``resume_or_load``, metrics through ``EventStorage`` to the console / ``metrics.json`` /
TensorBoard writers, periodic evaluation -- is detectron2's):

* :meth:`~SiamTrainer.build_model`: ``MODEL.SIAM_PRETRAINED`` loaded, backbone frozen (BatchNorm
  eval) until ``BACKBONE_TRAIN_EPOCH``; :class:`~siamtrack.engine.hooks.BackboneUnfreezeHook`
  then trains ``BACKBONE_TRAIN_LAYERS``;
* optimizer / LR: :mod:`siamtrack.engine.schedule` (pysot's param groups and LR table);
* step: :class:`~siamtrack.engine.train_loop.SiamTrainLoop` -- skips an iteration whose loss is
  not finite or above ``SOLVER.SIAM.SKIP_LOSS_ABOVE`` (all ranks agree), clips the gradient's
  global norm, sums gradients over processes (``SOLVER.SIAM.GRADIENT_REDUCTION``), optional AMP;
* DDP: ``device_ids=None`` for a CPU model (torch rejects ``[local_rank]`` there);
* data: :func:`siamtrack.data.build.build_pair_train_loader`;
* evaluation: :func:`siamtrack.evaluation.evaluate_tracker_on_benchmarks` (tracking benchmarks
  of ``DATASETS.TEST``), on the main process.

The two places where detectron2 offers no public hook (the inner trainer's class, and DDP for
CPU models) go through :mod:`siamtrack.engine.detectron2_compat`.
"""
import logging
import os

from torch.nn.parallel import DistributedDataParallel

from detectron2.engine import DefaultTrainer, TrainerBase
from detectron2.engine import create_ddp_model as _d2_create_ddp_model
from detectron2.engine import hooks as d2_hooks
from detectron2.evaluation import print_csv_format
from detectron2.modeling import build_model as _d2_build_model
from detectron2.utils import comm

from ..checkpoint import WeightsError, load_imagenet_backbone
from ..config import ConfigError
from ..data.build import build_pair_train_loader
from ..evaluation import evaluate_tracker_on_benchmarks
from ..utils.errors import InputError, first_line
from . import detectron2_compat as compat
from . import schedule
from .hooks import BackboneUnfreezeHook, SiamLRScheduler, set_backbone_trainable
from .train_loop import DeferredIterable, SiamTrainLoop

__all__ = ["SiamTrainer", "create_ddp_model", "ddp_device_ids", "unwrap_model"]

logger = logging.getLogger(__name__)


def ddp_device_ids(model):
    """``device_ids`` for DistributedDataParallel: ``[local_rank]`` on CUDA, ``None`` on CPU."""
    param = next(model.parameters(), None)
    if param is not None and param.device.type == "cuda":
        return [comm.get_local_rank()]
    return None


def create_ddp_model(model, **kwargs):
    """:func:`detectron2.engine.create_ddp_model` that also works for a CPU model.

    detectron2 passes ``device_ids=[local_rank]``, which DistributedDataParallel rejects for a
    module on the CPU; there it must be ``None``. Returns ``model`` itself with one process.
    """
    if comm.get_world_size() == 1:
        return model
    kwargs.setdefault("device_ids", ddp_device_ids(model))
    return _d2_create_ddp_model(model, **kwargs)


def unwrap_model(model):
    """The module inside a DistributedDataParallel wrapper (``model`` itself otherwise)."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def backbone_unfreeze_iter(cfg):
    """The iteration at which the backbone starts training: ``BACKBONE_TRAIN_EPOCH`` epochs."""
    return cfg.SOLVER.SIAM.BACKBONE_TRAIN_EPOCH * cfg.SOLVER.SIAM.ITERS_PER_EPOCH


class SiamTrainer(DefaultTrainer):
    """DefaultTrainer for SiamRPN++ with pysot's recipe (see the module docstring).

    Use it like DefaultTrainer, on a config prepared by ``add_siamtrack_config``::

        trainer = SiamTrainer(cfg)
        trainer.resume_or_load(resume=args.resume)
        trainer.train()
    """

    def __init__(self, cfg):
        compat.check_detectron2_internals()
        cfg = self.prepare_config(cfg)
        with compat.default_trainer_ddp(create_ddp_model):
            super().__init__(cfg)
        compat.replace_step_trainer(
            self, SiamTrainLoop.from_config(cfg, self.model, self.data_loader, self.optimizer))

    @staticmethod
    def prepare_config(cfg):
        """``cfg`` checked for this trainer, with ``SOLVER.MAX_ITER`` derived when it is 0
        (:func:`~siamtrack.engine.schedule.finalize_solver_config`) and
        ``SOLVER.REFERENCE_WORLD_SIZE`` (batch/LR auto-scaling) switched off: pysot's schedule
        is in epochs. Returns ``cfg`` itself when nothing changes, else a copy."""
        if cfg.SOLVER.AMP.ENABLED and not str(cfg.MODEL.DEVICE).startswith("cuda"):
            raise ConfigError(f"SOLVER.AMP.ENABLED needs MODEL.DEVICE cuda (got {cfg.MODEL.DEVICE!r}): "
                              "mixed precision is a GPU option")
        if cfg.SOLVER.MAX_ITER <= 0 or cfg.SOLVER.REFERENCE_WORLD_SIZE:
            frozen = cfg.is_frozen()
            cfg = cfg.clone()
            cfg.defrost()
            if cfg.SOLVER.REFERENCE_WORLD_SIZE:
                logger.warning("SOLVER.REFERENCE_WORLD_SIZE is ignored: the pysot schedule is in epochs")
                cfg.SOLVER.REFERENCE_WORLD_SIZE = 0
            schedule.finalize_solver_config(cfg)
            if frozen:
                cfg.freeze()
        if cfg.SOLVER.MAX_ITER != schedule.schedule_iters(cfg):
            logger.info("Training stops at SOLVER.MAX_ITER=%d; the LR and backbone schedules span "
                        "SOLVER.SIAM.EPOCHS x ITERS_PER_EPOCH = %d iterations",
                        cfg.SOLVER.MAX_ITER, schedule.schedule_iters(cfg))
        return cfg

    @property
    def unwrapped_model(self):
        """The model being trained, without its DistributedDataParallel wrapper."""
        return unwrap_model(self.model)

    def resume_or_load(self, resume=True):
        """DefaultTrainer's resume; a resumed run also continues the pair stream where it was.

        A checkpoint that cannot be loaded (missing, truncated, of another model) raises
        :class:`~siamtrack.checkpoint.WeightsError` naming the file.
        """
        if resume and self.checkpointer.has_checkpoint():
            path, what = self.checkpointer.get_checkpoint_file(), "the last checkpoint"
        else:
            path, what = self.cfg.MODEL.WEIGHTS, "MODEL.WEIGHTS"
        if path and not os.path.isfile(path):
            raise WeightsError(f"{what} {path} does not exist")
        try:
            super().resume_or_load(resume=resume)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 -- torch.load and load_state_dict fail in many ways
            raise WeightsError(f"cannot load {what} {path}: {first_line(exc)}") from exc
        if self.start_iter > 0:
            compat.step_trainer(self).reset_data_loader(
                self.build_train_loader(self.cfg, start_iter=self.start_iter))

    def state_dict(self):
        """Iteration and hook states plus the step loop's (optimizer momentum, AMP scaler), as
        detectron2 after v0.6 saves them (v0.6 itself leaves the optimizer out)."""
        ret = TrainerBase.state_dict(self)
        ret["_trainer"] = compat.step_trainer(self).state_dict()
        return ret

    def load_state_dict(self, state_dict):
        """Restore :meth:`state_dict` (a checkpoint without the step loop's state loads too)."""
        TrainerBase.load_state_dict(self, state_dict)
        if "_trainer" in state_dict:
            compat.step_trainer(self).load_state_dict(state_dict["_trainer"])

    def _rewrap_ddp(self):
        """Re-build DistributedDataParallel after the set of trainable parameters changed.

        DDP registers gradient hooks only for parameters that required gradients when it was
        built; backbone stages unfrozen later would otherwise never be synchronised.
        """
        if comm.get_world_size() > 1:
            self.model = create_ddp_model(self.unwrapped_model, broadcast_buffers=False)

    def build_hooks(self):
        """DefaultTrainer's hooks, with the backbone-unfreeze hook and per-group LR logging."""
        ret = [SiamLRScheduler() if type(hook) is d2_hooks.LRScheduler else hook
               for hook in super().build_hooks()]
        backbone = getattr(self.unwrapped_model, "backbone", None)
        if backbone is not None:
            ret.insert(1, BackboneUnfreezeHook(
                backbone, backbone_unfreeze_iter(self.cfg), self.cfg.SOLVER.SIAM.BACKBONE_TRAIN_LAYERS,
                on_change=self._rewrap_ddp,
            ))
        return ret

    @classmethod
    def build_model(cls, cfg):
        """The model as training starts: detectron2's ``build_model`` (the ``SiamRPN``
        meta-architecture of ``cfg``), ``MODEL.SIAM_PRETRAINED`` loaded into its backbone, and
        the backbone frozen unless it trains from iteration 0. DefaultTrainer wraps DDP right
        after, which only synchronises the parameters requiring gradients at that point."""
        model = _d2_build_model(cfg)
        logger.info("Model:\n%s", model)
        cls.load_pretrained_backbone(cfg, model)
        backbone = getattr(model, "backbone", None)
        if backbone is not None:
            trained = backbone_unfreeze_iter(cfg) <= 0
            set_backbone_trainable(backbone, cfg.SOLVER.SIAM.BACKBONE_TRAIN_LAYERS if trained else None)
        return model

    @staticmethod
    def load_pretrained_backbone(cfg, model):
        """Load ``MODEL.SIAM_PRETRAINED`` (local ImageNet weights) into ``model.backbone``."""
        path = cfg.MODEL.SIAM_PRETRAINED
        if path:
            report = load_imagenet_backbone(model, path)
            logger.info(
                "ImageNet backbone weights from %s: %d tensors loaded, %d left at their "
                "initial values %s", path, len(report.get("loaded", ())),
                len(report.get("not_loaded", ())), list(report.get("not_loaded", ()))[:10],
            )

    @classmethod
    def build_optimizer(cls, cfg, model):
        """SGD over pysot's param groups (:func:`siamtrack.engine.schedule.build_optimizer`)."""
        return schedule.build_optimizer(cfg, model)

    @classmethod
    def build_lr_scheduler(cls, cfg, optimizer):
        """pysot's warm-up + log LR table as an LRMultiplier over the epoch schedule."""
        return schedule.build_lr_scheduler(cfg, optimizer)

    @classmethod
    def build_train_loader(cls, cfg, start_iter=0):
        """The pair loader of :mod:`siamtrack.data`, from pair ``start_iter x IMS_PER_BATCH``;
        its workers start at the first batch (:class:`~siamtrack.engine.train_loop.DeferredIterable`)."""
        return DeferredIterable(build_pair_train_loader(cfg, start_iter=start_iter))

    @classmethod
    def build_test_loader(cls, cfg, dataset_name):
        """Not used: tracking benchmarks are read by the evaluator itself (see :meth:`test`)."""
        raise NotImplementedError("tracking evaluation reads benchmarks itself; see test()")

    @classmethod
    def build_evaluator(cls, cfg, dataset_name):
        """Not used: :meth:`test` builds the tracking evaluators itself."""
        raise NotImplementedError("tracking evaluation reads benchmarks itself; see test()")

    @classmethod
    def test(cls, cfg, model, evaluators=None):
        """Track the benchmarks of ``DATASETS.TEST`` (OPE/VOT metrics); main process only.

        Returns ``{benchmark: {metric: value}}`` ({} without test sets, and on other ranks).
        The model's training mode is restored afterwards.
        """
        if not cfg.DATASETS.TEST or not comm.is_main_process():
            return {}
        model = unwrap_model(model)
        was_training = model.training
        try:
            results = evaluate_tracker_on_benchmarks(cfg, model)
        finally:
            model.train(was_training)
        for dataset_name, metrics in results.items():
            logger.info("Evaluation results for %s in csv format:", dataset_name)
            print_csv_format({dataset_name: metrics})
        return results
