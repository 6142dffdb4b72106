"""pysot's training step as a detectron2 :class:`~detectron2.engine.SimpleTrainer`."""
import contextlib
import logging
import time

import torch
from detectron2.config import configurable
from detectron2.engine import SimpleTrainer
from detectron2.utils import comm
from detectron2.utils.events import get_event_storage

from .detectron2_compat import write_metrics

__all__ = ["SiamTrainLoop", "DeferredIterable"]

logger = logging.getLogger(__name__)


class DeferredIterable:
    """An iterable whose iterator starts ``iterable``'s only at the first ``next()``.

    detectron2 v0.6's ``SimpleTrainer.__init__`` calls ``iter(data_loader)`` at once; for a
    loader with workers that starts (and prefetches in) worker processes even for a trainer
    that is replaced or resumed elsewhere before its first step.
    """

    def __init__(self, iterable):
        self.iterable = iterable

    def __iter__(self):
        yield from self.iterable


class SiamTrainLoop(SimpleTrainer):
    """One SGD step of pysot: guarded loss, summed gradients, global-norm clipping, AMP option.

    Built as ``SiamTrainLoop(cfg, model, data_loader, optimizer)`` (detectron2 ``@configurable``:
    the options from ``cfg.SOLVER``, see :meth:`from_config`) or with explicit arguments:

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

    @configurable
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
        self._batches = None  # iterator over data_loader, created at the first step
        if self.amp:
            if not torch.cuda.is_available():
                raise RuntimeError("AMP (SOLVER.AMP.ENABLED) needs CUDA; it is a GPU-only option")
            if hasattr(torch.amp, "GradScaler"):  # torch >= 2.3
                self.grad_scaler = torch.amp.GradScaler("cuda")
            else:
                self.grad_scaler = torch.cuda.amp.GradScaler()

    @classmethod
    def from_config(cls, cfg, model, data_loader, optimizer):
        """Constructor arguments: ``cfg``'s ``SOLVER`` options (AMP, gradient clipping, loss guard,
        reduction) with ``model``, ``data_loader`` and ``optimizer``."""
        clip = cfg.SOLVER.CLIP_GRADIENTS
        return {
            "model": model, "data_loader": data_loader, "optimizer": optimizer, "amp": cfg.SOLVER.AMP.ENABLED,
            "clip_type": clip.CLIP_TYPE if clip.ENABLED else None, "clip_value": clip.CLIP_VALUE,
            "norm_type": clip.NORM_TYPE, "skip_loss_above": cfg.SOLVER.SIAM.SKIP_LOSS_ABOVE,
            "grad_reduction": cfg.SOLVER.SIAM.GRADIENT_REDUCTION,
        }

    def reset_data_loader(self, data_loader):
        """Train on ``data_loader`` from now on (its iterator is created at the next step)."""
        self.data_loader = data_loader
        self._batches = None

    def _next_batch(self):
        if self._batches is None:
            self._batches = iter(self.data_loader)
        return next(self._batches)

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
        data = self._next_batch()
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

        write_metrics(loss_dict, data_time, self.iter)

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
        """The trainer's checkpointed state: optimizer (momentum), skipped iterations, AMP scaler."""
        ret = super().state_dict()
        ret["num_skipped"] = self.num_skipped
        if self.grad_scaler is not None:
            ret["grad_scaler"] = self.grad_scaler.state_dict()
        return ret

    def load_state_dict(self, state_dict):
        """Restore the state written by :meth:`state_dict`."""
        super().load_state_dict(state_dict)
        self.num_skipped = int(state_dict.get("num_skipped", 0))
        if self.grad_scaler is not None and "grad_scaler" in state_dict:
            self.grad_scaler.load_state_dict(state_dict["grad_scaler"])
