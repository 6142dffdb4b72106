"""The only place where siamtrack reaches into detectron2 below its public API.

Everything else in siamtrack uses detectron2's documented classes and functions. The few
internals below have no public equivalent; :func:`detectron2_internals_problems` checks each of
them against the installed detectron2, :class:`~siamtrack.engine.SiamTrainer` calls
:func:`check_detectron2_internals` before it builds anything, and ``tests/test_detectron2_compat.py``
runs the same checks, so a detectron2 that changes one of them fails loudly, naming it, instead
of training wrongly.

* ``DefaultTrainer._trainer`` -- the inner :class:`~detectron2.engine.SimpleTrainer` that
  ``DefaultTrainer.run_step`` steps. ``DefaultTrainer`` builds a plain ``SimpleTrainer`` /
  ``AMPTrainer`` itself with no hook to choose another class; siamtrack replaces it with its
  :class:`~siamtrack.engine.SiamTrainLoop` (pysot's step) right after ``__init__``.
* ``detectron2.engine.defaults.create_ddp_model`` -- the name ``DefaultTrainer.__init__`` wraps
  the model with. It passes ``device_ids=[local_rank]``, which DistributedDataParallel refuses
  for a model on the CPU; during ``__init__`` the name is bound to a CPU-aware version.
* ``detectron2.utils.comm._LOCAL_PROCESS_GROUP`` -- set by detectron2 v0.6's launcher for
  ``comm.get_local_rank()``; newer detectron2 has the public ``comm.create_local_process_group``,
  used when present.
* ``SimpleTrainer.write_metrics`` -- public, but v0.6 takes ``(loss_dict, data_time)`` and later
  versions ``(loss_dict, data_time, cur_iter)``.
"""
import contextlib
import inspect

import torch.distributed as dist
from detectron2.engine import DefaultTrainer, SimpleTrainer
from detectron2.engine import defaults as _d2_defaults
from detectron2.utils import comm

__all__ = [
    "detectron2_internals_problems", "check_detectron2_internals", "default_trainer_ddp",
    "step_trainer", "replace_step_trainer", "create_local_process_group", "write_metrics",
]

_HERE = "siamtrack/engine/detectron2_compat.py"


def _code_names(function):
    """The global and attribute names a function's code refers to."""
    return set(getattr(getattr(function, "__code__", None), "co_names", ()))


def _write_metrics_takes_iteration():
    return "cur_iter" in inspect.signature(SimpleTrainer.write_metrics).parameters


def detectron2_internals_problems():
    """What the installed detectron2 changed of the internals this module relies on: one
    message per internal (empty when all are as expected)."""
    problems = []
    if not hasattr(_d2_defaults, "create_ddp_model") or "create_ddp_model" not in _code_names(DefaultTrainer.__init__):
        problems.append("DefaultTrainer.__init__ no longer wraps the model with "
                        "detectron2.engine.defaults.create_ddp_model")
    if "_trainer" not in _code_names(DefaultTrainer.run_step):
        problems.append("DefaultTrainer.run_step no longer steps the inner trainer DefaultTrainer._trainer")
    if not hasattr(comm, "create_local_process_group") and not hasattr(comm, "_LOCAL_PROCESS_GROUP"):
        problems.append("detectron2.utils.comm has neither create_local_process_group nor _LOCAL_PROCESS_GROUP")
    if not callable(getattr(SimpleTrainer, "write_metrics", None)):
        problems.append("SimpleTrainer.write_metrics is gone")
    return problems


def check_detectron2_internals():
    """Raise ``RuntimeError`` naming every changed internal (see the module docstring)."""
    problems = detectron2_internals_problems()
    if problems:
        raise RuntimeError(f"this detectron2 changed internals siamtrack relies on ({_HERE}): "
                           + "; ".join(problems))


@contextlib.contextmanager
def default_trainer_ddp(create_ddp_model):
    """Within the block, ``DefaultTrainer.__init__`` wraps its model with ``create_ddp_model``."""
    original = _d2_defaults.create_ddp_model
    _d2_defaults.create_ddp_model = create_ddp_model
    try:
        yield
    finally:
        _d2_defaults.create_ddp_model = original


def step_trainer(trainer: DefaultTrainer):
    """The inner trainer whose ``run_step`` ``DefaultTrainer.run_step`` calls."""
    return trainer._trainer


def replace_step_trainer(trainer: DefaultTrainer, loop: SimpleTrainer):
    """Make ``loop`` the inner trainer of ``trainer`` (its model, data and optimizer included)."""
    if not hasattr(trainer, "_trainer"):
        raise RuntimeError(f"DefaultTrainer has no _trainer after __init__ ({_HERE})")
    trainer._trainer = loop


def create_local_process_group(num_per_machine: int, machine_rank: int, world_size: int):
    """Set up detectron2's group of the processes on this machine (``comm.get_local_rank()``).

    Every process must call it (group creation is collective), after ``init_process_group``.
    """
    if hasattr(comm, "create_local_process_group"):
        comm.create_local_process_group(num_per_machine)
        return
    for i in range(world_size // num_per_machine):
        group = dist.new_group(list(range(i * num_per_machine, (i + 1) * num_per_machine)))
        if i == machine_rank:
            comm._LOCAL_PROCESS_GROUP = group


def write_metrics(loss_dict, data_time: float, iteration: int):
    """:meth:`SimpleTrainer.write_metrics` of the installed detectron2 version."""
    if _write_metrics_takes_iteration():
        SimpleTrainer.write_metrics(loss_dict, data_time, iteration)
    else:
        SimpleTrainer.write_metrics(loss_dict, data_time)
