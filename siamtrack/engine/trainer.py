"""SiamTrainer: detectron2's DefaultTrainer with pysot's SiamRPN++ training recipe.

What differs from :class:`~detectron2.engine.DefaultTrainer` (everything else -- checkpoints
through :class:`DetectionCheckpointer`, ``resume_or_load``, metrics through ``EventStorage`` to
the console / ``metrics.json`` / TensorBoard writers, periodic evaluation -- is inherited):

* model: backbone frozen (BatchNorm eval) at start, ``MODEL.SIAM_PRETRAINED`` loaded;
  :class:`~siamtrack.engine.hooks.BackboneUnfreezeHook` trains ``BACKBONE_TRAIN_LAYERS`` from
  epoch ``BACKBONE_TRAIN_EPOCH``;
* optimizer / LR: :mod:`siamtrack.engine.schedule` (pysot's param groups and LR table);
* step: :class:`SiamTrainLoop` -- skips an iteration whose loss is not finite or above
  ``SOLVER.SIAM.SKIP_LOSS_ABOVE`` (all ranks agree), clips the gradient's global norm,
  sums gradients over processes (``SOLVER.SIAM.GRADIENT_REDUCTION``), optional AMP (CUDA);
* DDP: ``device_ids=None`` for a CPU model (torch rejects ``[local_rank]`` there);
* data: :func:`siamtrack.data.build.build_pair_train_loader`;
* evaluation: :func:`siamtrack.evaluation.evaluate_tracker_on_benchmarks` (tracking benchmarks
  of ``DATASETS.TEST``), on the main process.
"""
import contextlib
import logging
import time
import weakref

import torch
from torch.nn.parallel import DistributedDataParallel

from detectron2.checkpoint import DetectionCheckpointer
from detectron2.engine import DefaultTrainer, SimpleTrainer, TrainerBase
from detectron2.engine import create_ddp_model as _d2_create_ddp_model
from detectron2.engine import hooks as d2_hooks
from detectron2.evaluation import print_csv_format
from detectron2.modeling import build_model as _d2_build_model
from detectron2.utils import comm
from detectron2.utils.events import get_event_storage
from detectron2.utils.logger import setup_logger

from . import schedule
from .hooks import BackboneUnfreezeHook, SiamLRScheduler, set_backbone_trainable

__all__ = ["SiamTrainer", "SiamTrainLoop", "create_ddp_model", "ddp_device_ids"]

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


def _unwrap(model):
    return model.module if isinstance(model, DistributedDataParallel) else model


class SiamTrainLoop(SimpleTrainer):
    """One SGD step of pysot: guarded loss, summed gradients, global-norm clipping, AMP option.

    Args:
        model, data_loader, optimizer: as :class:`~detectron2.engine.SimpleTrainer`.
        amp (bool): mixed precision (``torch.autocast`` + ``GradScaler``); needs CUDA.
        clip_type (str or None): ``"full_model"`` (global norm of all gradients, pysot's
            ``clip_grad_norm_``), ``"norm"`` (per parameter) or ``"value"``; ``None``: no clipping.
        clip_value (float), norm_type (float): the clipping threshold and norm.
        skip_loss_above (float): an iteration whose total loss is NaN/Inf or above this is skipped
            (no backward, no step); with several processes all of them skip together.
        grad_reduction (str): ``"sum"`` (pysot: gradients summed over processes; since DDP
            averages, the loss is multiplied by the world size for backward) or ``"mean"``.
    """

    def __init__(
        self, model, data_loader, optimizer, *, amp=False, clip_type="full_model", clip_value=10.0,
        norm_type=2.0, skip_loss_above=1e4, grad_reduction="sum",
    ):
        super().__init__(model, data_loader, optimizer)
        if grad_reduction not in ("sum", "mean"):
            raise ValueError(f"GRADIENT_REDUCTION must be 'sum' or 'mean', got {grad_reduction!r}")
        if clip_type not in (None, "full_model", "norm", "value"):
            raise ValueError(f"Unknown SOLVER.CLIP_GRADIENTS.CLIP_TYPE {clip_type!r}")
        self.amp = bool(amp)
        self.clip_type = clip_type
        self.clip_value = float(clip_value)
        self.norm_type = float(norm_type)
        self.skip_loss_above = float(skip_loss_above)
        self.grad_reduction = grad_reduction
        self.num_skipped = 0
        self.grad_scaler = None
        if self.amp:
            if not torch.cuda.is_available():
                raise RuntimeError("AMP (SOLVER.AMP.ENABLED) needs CUDA; it is a GPU-only option")
            if hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
                self.grad_scaler = torch.amp.GradScaler("cuda")
            else:
                self.grad_scaler = torch.cuda.amp.GradScaler()

    # detectron2 v0.6 builds the loader iterator in __init__, its main branch lazily; this
    # property supports both and lets reset_data_loader() swap the loader.
    @property
    def _data_loader_iter(self):
        if getattr(self, "_data_iter", None) is None:
            self._data_iter = iter(self.data_loader)
        return self._data_iter

    @_data_loader_iter.setter
    def _data_loader_iter(self, value):
        self._data_iter = value

    def reset_data_loader(self, data_loader):
        """Train on ``data_loader`` from now on (its iterator is created on first use)."""
        self.data_loader = data_loader
        self._data_iter = None

    def _loss_is_valid(self, losses):
        """pysot's ``is_valid_number``; agreed over processes so that DDP stays in lockstep."""
        value = losses.detach().float()
        bad = (~torch.isfinite(value)) | (value > self.skip_loss_above)
        if comm.get_world_size() > 1:
            bad = bad.to(torch.float32).reshape(1)
            torch.distributed.all_reduce(bad, op=torch.distributed.ReduceOp.MAX)
        return not bool(bad.item())

    def _clip(self):
        if self.clip_type is None:
            return
        params = [p for g in self.optimizer.param_groups for p in g["params"] if p.grad is not None]
        if not params:
            return
        if self.clip_type == "full_model":
            torch.nn.utils.clip_grad_norm_(params, self.clip_value, self.norm_type)
        elif self.clip_type == "norm":
            for p in params:
                torch.nn.utils.clip_grad_norm_([p], self.clip_value, self.norm_type)
        else:
            torch.nn.utils.clip_grad_value_(params, self.clip_value)

    def run_step(self):
        """Forward, guard, backward, clip, step; see the class docstring."""
        assert self.model.training, "[SiamTrainLoop] model was changed to eval mode!"
        start = time.perf_counter()
        data = next(self._data_loader_iter)
        data_time = time.perf_counter() - start

        with torch.autocast("cuda") if self.amp else contextlib.nullcontext():
            loss_dict = self.model(data)
            if isinstance(loss_dict, torch.Tensor):
                losses, loss_dict = loss_dict, {"total_loss": loss_dict}
            else:
                losses = sum(loss_dict.values())

        if not self._loss_is_valid(losses):
            self.num_skipped += 1
            logger.warning(
                "Iteration %d skipped: loss %s is not finite or above %g",
                self.iter, {k: float(v.detach()) for k, v in loss_dict.items()}, self.skip_loss_above,
            )
            get_event_storage().put_scalar("skipped_iters", self.num_skipped, smoothing_hint=False)
            return

        self.optimizer.zero_grad()
        world = comm.get_world_size()
        if self.grad_reduction == "sum" and world > 1:
            losses = losses * world  # DDP averages the gradients; pysot sums them
        if self.amp:
            self.grad_scaler.scale(losses).backward()
        else:
            losses.backward()

        self._write_metrics(loss_dict, data_time)

        if self.amp:
            if self.clip_type is not None:
                self.grad_scaler.unscale_(self.optimizer)
            self._clip()
            self.grad_scaler.step(self.optimizer)
            self.grad_scaler.update()
        else:
            self._clip()
            self.optimizer.step()

    def state_dict(self):
        """The trainer's checkpointed state, including what this subclass adds."""
        ret = super().state_dict()
        if self.grad_scaler is not None:
            ret["grad_scaler"] = self.grad_scaler.state_dict()
        return ret

    def load_state_dict(self, state_dict):
        """Restore the state written by :meth:`state_dict`."""
        super().load_state_dict(state_dict)
        if self.grad_scaler is not None and "grad_scaler" in state_dict:
            self.grad_scaler.load_state_dict(state_dict["grad_scaler"])


class SiamTrainer(DefaultTrainer):
    """DefaultTrainer for SiamRPN++ with pysot's recipe (see the module docstring).

    Use it like DefaultTrainer, on a config prepared by ``add_siamtrack_config`` and
    :func:`~siamtrack.engine.schedule.finalize_solver_config`::

        trainer = SiamTrainer(cfg)
        trainer.resume_or_load(resume=args.resume)
        trainer.train()
    """

    def __init__(self, cfg):
        # DefaultTrainer.__init__ wraps DDP with device_ids=[local_rank] and picks AMPTrainer /
        # SimpleTrainer itself; this is the same construction with the pieces replaced.
        TrainerBase.__init__(self)
        if not logging.getLogger("detectron2").isEnabledFor(logging.INFO):
            setup_logger()
        if cfg.SOLVER.REFERENCE_WORLD_SIZE:
            logger.warning("SOLVER.REFERENCE_WORLD_SIZE is ignored: the pysot schedule is in epochs")
        amp = cfg.SOLVER.AMP.ENABLED
        if amp and torch.device(cfg.MODEL.DEVICE).type != "cuda":
            raise ValueError(
                f"SOLVER.AMP.ENABLED needs MODEL.DEVICE=cuda (got {cfg.MODEL.DEVICE!r}): "
                "mixed precision is a GPU option"
            )
        schedule_iters = schedule.schedule_iters(cfg)
        max_iter = cfg.SOLVER.MAX_ITER if cfg.SOLVER.MAX_ITER > 0 else schedule_iters
        if max_iter != schedule_iters:
            logger.info(
                "Training stops at SOLVER.MAX_ITER=%d; the LR and backbone schedules span "
                "SOLVER.SIAM.EPOCHS x ITERS_PER_EPOCH = %d iterations", max_iter, schedule_iters,
            )

        model = self.build_model(cfg)
        self.load_pretrained_backbone(cfg, model)
        self.backbone_unfreeze_iter = (
            cfg.SOLVER.SIAM.BACKBONE_TRAIN_EPOCH * cfg.SOLVER.SIAM.ITERS_PER_EPOCH
        )
        backbone = getattr(model, "backbone", None)
        if backbone is not None:  # the state of iteration 0, before DDP sees the model
            trained = self.backbone_unfreeze_iter <= 0
            set_backbone_trainable(backbone, cfg.SOLVER.SIAM.BACKBONE_TRAIN_LAYERS if trained else None)
        optimizer = self.build_optimizer(cfg, model)
        data_loader = self.build_train_loader(cfg)

        self._model_without_ddp = model
        model = create_ddp_model(model, broadcast_buffers=False)
        clip = cfg.SOLVER.CLIP_GRADIENTS
        self._trainer = SiamTrainLoop(
            model, data_loader, optimizer, amp=amp,
            clip_type=clip.CLIP_TYPE if clip.ENABLED else None, clip_value=clip.CLIP_VALUE,
            norm_type=clip.NORM_TYPE, skip_loss_above=cfg.SOLVER.SIAM.SKIP_LOSS_ABOVE,
            grad_reduction=cfg.SOLVER.SIAM.GRADIENT_REDUCTION,
        )
        self.scheduler = self.build_lr_scheduler(cfg, optimizer)
        self.checkpointer = DetectionCheckpointer(
            model, cfg.OUTPUT_DIR, trainer=weakref.proxy(self)
        )
        self.start_iter = 0
        self.max_iter = max_iter
        self.cfg = cfg
        self.register_hooks(self.build_hooks())

    def resume_or_load(self, resume=True):
        """DefaultTrainer's resume; a resumed run also continues the pair stream where it was."""
        super().resume_or_load(resume=resume)
        if self.start_iter > 0:
            self._trainer.reset_data_loader(
                self.build_train_loader(self.cfg, start_iter=self.start_iter)
            )

    def _rewrap_ddp(self):
        """Re-build DistributedDataParallel after the set of trainable parameters changed.

        DDP registers gradient hooks only for parameters that required gradients when it was
        built; backbone stages unfrozen later would otherwise never be synchronised.
        """
        if comm.get_world_size() > 1:
            self._trainer.model = create_ddp_model(self._model_without_ddp, broadcast_buffers=False)

    def build_hooks(self):
        """DefaultTrainer's hooks, with the backbone-unfreeze hook and per-group LR logging."""
        ret = []
        for hook in super().build_hooks():
            if type(hook) is d2_hooks.LRScheduler:
                hook = SiamLRScheduler()
            ret.append(hook)
        backbone = getattr(self._model_without_ddp, "backbone", None)
        if backbone is not None:
            ret.insert(1, BackboneUnfreezeHook(
                backbone, self.backbone_unfreeze_iter, self.cfg.SOLVER.SIAM.BACKBONE_TRAIN_LAYERS,
                on_change=self._rewrap_ddp,
            ))
        return ret

    @classmethod
    def build_model(cls, cfg):
        """detectron2's ``build_model`` (the ``SiamRPN`` meta-architecture of ``cfg``)."""
        model = _d2_build_model(cfg)
        logging.getLogger(__name__).info("Model:\n%s", model)
        return model

    @staticmethod
    def load_pretrained_backbone(cfg, model):
        """Load ``MODEL.SIAM_PRETRAINED`` (local ImageNet weights) into ``model.backbone``."""
        path = cfg.MODEL.SIAM_PRETRAINED
        if path:
            from siamtrack.checkpoint.imagenet import load_imagenet_backbone

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
        """The pair loader of :mod:`siamtrack.data`, from pair ``start_iter x IMS_PER_BATCH``."""
        from siamtrack.data.build import build_pair_train_loader

        return build_pair_train_loader(cfg, start_iter=start_iter)

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
        from siamtrack.evaluation import evaluate_tracker_on_benchmarks

        model = _unwrap(model)
        was_training = model.training
        try:
            results = evaluate_tracker_on_benchmarks(cfg, model)
        finally:
            model.train(was_training)
        for dataset_name, metrics in results.items():
            logger.info("Evaluation results for %s in csv format:", dataset_name)
            print_csv_format({dataset_name: metrics})
        return results
