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
import weakref

import numpy as np

from detectron2.engine import DefaultTrainer, TrainerBase
from detectron2.engine import hooks as d2_hooks
from detectron2.evaluation import print_csv_format
from detectron2.modeling import build_model as _d2_build_model
from detectron2.utils import comm
from detectron2.utils.events import CommonMetricPrinter

from ..checkpoint import WeightsError, load_imagenet_backbone, load_weights
from ..config import ConfigError
from ..data.build import build_pair_train_loader, restart_pair_loader
from ..evaluation import evaluate_tracker_on_benchmarks
from ..utils.errors import InputError, first_line
from . import detectron2_compat as compat
from . import schedule
from .checkpointer import SiamCheckpointer, resume_problem
from .ddp import create_ddp_model, ddp_device_ids, unwrap_model
from .hooks import BackboneUnfreezeHook, IterationSeedHook, SiamLRScheduler, set_backbone_trainable
from .logs import SiamMetricPrinter, describe_model
from .train_loop import DeferredIterable, SiamTrainLoop

__all__ = ["SiamTrainer", "create_ddp_model", "ddp_device_ids", "unwrap_model"]

logger = logging.getLogger(__name__)


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
        if comm.is_main_process():
            logger.info(schedule.schedule_summary(cfg))
        with compat.default_trainer_ddp(create_ddp_model):
            super().__init__(cfg)
        compat.replace_step_trainer(
            self, SiamTrainLoop(cfg, self.model, self.data_loader, self.optimizer))

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
        return cfg

    @property
    def unwrapped_model(self):
        """The model being trained, without its DistributedDataParallel wrapper."""
        return unwrap_model(self.model)

    def resume_or_load(self, resume=True):
        """DefaultTrainer's resume, checked, continuing the pair stream; else ``MODEL.WEIGHTS``.

        With ``resume`` and a ``last_checkpoint`` in ``OUTPUT_DIR``, everything the checkpoint
        holds is restored (model, optimizer momentum, LR scheduler, iteration, backbone state)
        and the pair stream continues at the next iteration; the checkpoint must be complete
        (else the error names the newest readable other checkpoint) and fit the model. Otherwise
        ``MODEL.WEIGHTS`` (if set) initialises the model and training starts at iteration 0:
        weights that do not fit are refused unless ``MODEL.SIAM_PARTIAL_LOAD``. Problems raise
        :class:`~siamtrack.checkpoint.WeightsError` with one line naming the file.
        """
        if resume and self.checkpointer.has_checkpoint():
            problem = resume_problem(self.cfg.OUTPUT_DIR)
            if problem:
                raise WeightsError(problem)
            path = self.checkpointer.get_checkpoint_file()
            load_weights(self.unwrapped_model, path)  # strict: a checkpoint of another model is refused
            try:
                super().resume_or_load(resume=True)
            except InputError:
                raise
            except Exception as exc:  # noqa: BLE001 -- torch.load and load_state_dict fail in many ways
                raise WeightsError(f"cannot load the last checkpoint {path}: {first_line(exc)}") from exc
            logger.info("Resumed from %s: iteration %d is next", path, self.start_iter)
            self._restart_data(self.start_iter)
            return
        self.start_iter = 0
        path = self.cfg.MODEL.WEIGHTS
        if not path:
            return
        if not os.path.isfile(path):
            raise WeightsError(f"MODEL.WEIGHTS {path} does not exist")
        report = load_weights(self.unwrapped_model, path, allow_partial=self.cfg.MODEL.SIAM_PARTIAL_LOAD,
                              partial_option="MODEL.SIAM_PARTIAL_LOAD")
        if report:
            logger.warning("MODEL.WEIGHTS %s loaded in part (MODEL.SIAM_PARTIAL_LOAD): %s; those "
                           "tensors keep their initial values", path, report)
        else:
            logger.info("Model initialised from MODEL.WEIGHTS %s", path)

    def _restart_data(self, start_iter):
        """Continue the pair stream at ``start_iter``: the loader restarted there (the dataset
        kept), or one built anew when :meth:`build_train_loader` was overridden."""
        loop = compat.step_trainer(self)
        try:
            loader = DeferredIterable(restart_pair_loader(getattr(loop.data_loader, "iterable", None), start_iter))
        except TypeError:
            loader = self.build_train_loader(self.cfg, start_iter=start_iter)
        loop.reset_data_loader(loader)

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
        """DefaultTrainer's hooks, with per-iteration seeds, the backbone-unfreeze hook, per-group
        LR logging, and checkpoints written atomically (:class:`SiamCheckpointer`)."""
        # DefaultTrainer.__init__ made its checkpointer just before calling this; the periodic
        # checkpointer hook built below takes it from here.
        self.checkpointer = SiamCheckpointer(self.checkpointer.model, self.cfg.OUTPUT_DIR,
                                             trainer=weakref.proxy(self))
        ret = [SiamLRScheduler() if type(hook) is d2_hooks.LRScheduler else hook
               for hook in super().build_hooks()]
        ret.insert(0, IterationSeedHook(self._iteration_seed_base(), comm.get_rank()))
        backbone = getattr(self.unwrapped_model, "backbone", None)
        if backbone is not None:
            ret.insert(1, BackboneUnfreezeHook(
                backbone, backbone_unfreeze_iter(self.cfg), self.cfg.SOLVER.SIAM.BACKBONE_TRAIN_LAYERS,
                on_change=self._rewrap_ddp,
            ))
        return ret

    def _iteration_seed_base(self):
        """``SEED``; when it is negative (random), a seed drawn now (a resume then draws anew)."""
        if self.cfg.SEED >= 0:
            return int(self.cfg.SEED)
        seed = int(np.random.SeedSequence().generate_state(1)[0])
        logger.info("SEED is negative: this run's iteration seeds derive from %d", seed)
        return seed

    def build_writers(self):
        """DefaultTrainer's writers, the console line showing ``lr`` and ``lr_backbone``."""
        return [SiamMetricPrinter(self.max_iter) if type(w) is CommonMetricPrinter else w
                for w in super().build_writers()]

    @classmethod
    def build_model(cls, cfg):
        """The model as training starts: detectron2's ``build_model`` (the ``SiamRPN``
        meta-architecture of ``cfg``), ``MODEL.SIAM_PRETRAINED`` loaded into its backbone, and
        the backbone frozen unless it trains from iteration 0. DefaultTrainer wraps DDP right
        after, which only synchronises the parameters requiring gradients at that point."""
        model = _d2_build_model(cfg)
        describe_model(model, cfg.OUTPUT_DIR)
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
        """Track the benchmarks of ``DATASETS.TEST`` (OPE/VOT metrics), each process its share
        of the sequences, scored on the main process (docs/evaluation.md).

        Returns ``{benchmark: {metric: value}}`` ({} without test sets, and on other ranks).
        The model's training mode is restored afterwards.
        """
        if not cfg.DATASETS.TEST:
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
