"""A run resumed from any periodic checkpoint ends bit-identical to the uninterrupted run (CPU, one process).

The quickstart model trains 6 iterations (3 epochs of 2, warm-up in the first) with its backbone
stages layer4/layer5 frozen until epoch 1 (iteration 2); a checkpoint is written every 2
iterations. Resuming from the checkpoint of iteration 1 (taken before the unfreeze epoch: the
resumed run unfreezes and resets the momentum itself) and from the one of iteration 3 (taken
after it: the checkpoint holds the backbone's momentum and trained state) must both end with
every tensor of ``model_final.pth`` -- and the optimizer's momentum -- equal to the
uninterrupted run's. The first resume also uses two loader workers instead of none: the batches
must not depend on them.
"""
import shutil
from pathlib import Path

import pytest
import torch

from siamtrack.config import load_config
from siamtrack.engine import SiamTrainer, finalize_solver_config

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "quickstart_synthetic.yaml"
OPTS = [
    "SOLVER.IMS_PER_BATCH", "2", "SOLVER.SIAM.EPOCHS", "3", "SOLVER.SIAM.ITERS_PER_EPOCH", "2",
    "SOLVER.SIAM.WARMUP_EPOCHS", "1", "SOLVER.SIAM.BACKBONE_TRAIN_EPOCH", "1",
    "SOLVER.SIAM.BACKBONE_TRAIN_LAYERS", "['layer4', 'layer5']", "SOLVER.CHECKPOINT_PERIOD", "2",
    "DATASETS.SIAM.SYNTHETIC_NUM_TRAIN", "8", "DATALOADER.NUM_WORKERS", "0", "MODEL.DEVICE", "cpu",
]


def _train(output_dir, resume=False, *opts):
    cfg = finalize_solver_config(load_config(str(CONFIG), OPTS + ["OUTPUT_DIR", str(output_dir), *opts]))
    cfg.freeze()
    trainer = SiamTrainer(cfg)
    trainer.resume_or_load(resume=resume)
    start = trainer.start_iter
    trainer.train()
    return start


def _load(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def _momentum(checkpoint):
    return checkpoint["trainer"]["_trainer"]["optimizer"]["state"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    assert _train(out) == 0
    return out


def _resume_from(uninterrupted, tmp_path, name, *opts):
    out = tmp_path / "resumed"
    out.mkdir()
    shutil.copy(uninterrupted / name, out / name)
    (out / "last_checkpoint").write_text(name)
    return out, _train(out, True, *opts)


def _assert_same_final(a, b):
    final_a, final_b = _load(a / "model_final.pth"), _load(b / "model_final.pth")
    assert final_a["iteration"] == final_b["iteration"] == 5
    assert final_a["model"].keys() == final_b["model"].keys()
    differing = [k for k in final_a["model"] if not torch.equal(final_a["model"][k], final_b["model"][k])]
    assert not differing, f"{len(differing)} of {len(final_a['model'])} tensors differ: {differing[:5]}"
    mom_a, mom_b = _momentum(final_a), _momentum(final_b)
    assert mom_a.keys() == mom_b.keys()
    assert all(torch.equal(mom_a[k]["momentum_buffer"], mom_b[k]["momentum_buffer"]) for k in mom_a)


def test_checkpoints_record_the_backbone_state(uninterrupted):
    before, after = _load(uninterrupted / "model_0000001.pth"), _load(uninterrupted / "model_0000003.pth")
    assert before["trainer"]["hooks"]["BackboneUnfreezeHook"]["trained"] is False
    assert after["trainer"]["hooks"]["BackboneUnfreezeHook"]["trained"] is True
    # momentum of the frozen backbone exists only after the unfreeze
    assert len(_momentum(after)) > len(_momentum(before)) > 0
    assert after["trainer"]["hooks"]["SiamLRScheduler"]["last_epoch"] == 4


def test_resume_before_the_unfreeze_epoch_is_bit_identical(uninterrupted, tmp_path):
    out, start = _resume_from(uninterrupted, tmp_path, "model_0000001.pth", "DATALOADER.NUM_WORKERS", "2")
    assert start == 2
    _assert_same_final(uninterrupted, out)


def test_resume_after_the_unfreeze_epoch_is_bit_identical(uninterrupted, tmp_path):
    out, start = _resume_from(uninterrupted, tmp_path, "model_0000003.pth")
    assert start == 4
    _assert_same_final(uninterrupted, out)
