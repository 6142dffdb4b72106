"""The detectron2 internals of siamtrack/engine/detectron2_compat.py still behave as relied on.

Each test names the internal it checks, so a detectron2 upgrade that changes one fails here
with that name rather than as a wrong training run.
"""
import pytest
import torch
import torch.distributed as dist
from detectron2.engine import DefaultTrainer, SimpleTrainer
from detectron2.engine import defaults as d2_defaults
from detectron2.utils import comm
from detectron2.utils.events import EventStorage

from siamtrack.engine import detectron2_compat as compat
from siamtrack.engine.launch import free_local_port


def test_no_internal_changed():
    problems = compat.detectron2_internals_problems()
    assert not problems, "detectron2 changed internals siamtrack relies on: " + "; ".join(problems)
    compat.check_detectron2_internals()  # does not raise


def test_check_names_the_changed_internal(monkeypatch):
    monkeypatch.setattr(DefaultTrainer, "run_step", lambda self: None)
    with pytest.raises(RuntimeError, match=r"detectron2_compat\.py.*DefaultTrainer\._trainer"):
        compat.check_detectron2_internals()


class _Loop(SimpleTrainer):
    def __init__(self):  # no model, loader or optimizer needed to be stepped by run_step
        self.steps = []

    def run_step(self):
        self.steps.append(self.iter)


def test_default_trainer_steps_the_replaced_inner_trainer():
    """``DefaultTrainer.run_step`` delegates to ``DefaultTrainer._trainer``."""
    trainer = DefaultTrainer.__new__(DefaultTrainer)
    trainer._trainer = None
    loop = _Loop()
    compat.replace_step_trainer(trainer, loop)
    assert compat.step_trainer(trainer) is loop
    trainer.iter = 7
    DefaultTrainer.run_step(trainer)
    assert loop.steps == [7]


def test_default_trainer_ddp_binding_is_swapped_and_restored():
    """``DefaultTrainer.__init__`` reads ``detectron2.engine.defaults.create_ddp_model``."""
    original = d2_defaults.create_ddp_model
    marker = object()
    with compat.default_trainer_ddp(marker):
        assert d2_defaults.create_ddp_model is marker
    assert d2_defaults.create_ddp_model is original
    assert "create_ddp_model" in DefaultTrainer.__init__.__code__.co_names


def test_local_process_group_gives_local_rank_and_size():
    """``comm.get_local_rank()`` / ``get_local_size()`` work after our local group set-up."""
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_local_port()}", world_size=1, rank=0)
    try:
        compat.create_local_process_group(1, 0, 1)
        assert comm.get_local_rank() == 0 and comm.get_local_size() == 1
    finally:
        dist.destroy_process_group()


def test_write_metrics_reaches_the_event_storage():
    """``SimpleTrainer.write_metrics`` with the installed version's signature."""
    with EventStorage(3) as storage:
        compat.write_metrics({"loss_cls": torch.tensor(0.25), "loss_loc": torch.tensor(0.5)}, 0.01, 3)
        assert storage.history("total_loss").latest() == pytest.approx(0.75)
        assert storage.history("loss_cls").latest() == pytest.approx(0.25)
