"""Two-process CPU training through ``launch`` (GLOO): the code path of multi-GPU training.

Both ranks train the quickstart model a few iterations, the backbone being unfrozen halfway
(DistributedDataParallel is re-wrapped then); both must finish with identical parameters. A
second launch resumes from the checkpoint of iteration 3 (after the unfreeze): on both ranks the
optimizer's momentum right after the resume equals the saved one, and -- two processes sum
their gradients in an order-independent way -- the resumed run ends with the same weights.
"""
import os
import shutil
from pathlib import Path

import pytest
import torch
from torch.nn.parallel import DistributedDataParallel

from detectron2.config import get_cfg
from detectron2.utils import comm

from siamtrack import add_siamtrack_config
from siamtrack.engine import SiamTrainer, create_ddp_model, finalize_solver_config, launch

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "quickstart_synthetic.yaml"
ITERS_PER_EPOCH = 3


def _worker(output_dir, resume=False):
    """One rank: train 2 epochs of 3 iterations, record DDP facts and a parameter digest."""
    torch.set_num_threads(1)
    import siamtrack.data  # noqa: F401  (registers the synthetic datasets in this process)

    cfg = add_siamtrack_config(get_cfg())
    cfg.merge_from_file(str(CONFIG))
    cfg.merge_from_list([
        "OUTPUT_DIR", output_dir, "DATALOADER.NUM_WORKERS", 0, "SOLVER.IMS_PER_BATCH", 4,
        "SOLVER.SIAM.EPOCHS", 2, "SOLVER.SIAM.WARMUP_EPOCHS", 1,
        "SOLVER.SIAM.ITERS_PER_EPOCH", ITERS_PER_EPOCH, "SOLVER.SIAM.BACKBONE_TRAIN_EPOCH", 1,
        "SOLVER.SIAM.BACKBONE_TRAIN_LAYERS", ["layer4", "layer5"],
        "SOLVER.CHECKPOINT_PERIOD", 2, "MODEL.DEVICE", "cpu", "DATASETS.SIAM.SYNTHETIC_NUM_TRAIN", 16,
    ])
    finalize_solver_config(cfg)
    cfg.freeze()
    trainer = SiamTrainer(cfg)
    ddp_before = trainer.model
    trainer.resume_or_load(resume=resume)
    restored = {k: v["momentum_buffer"].clone() for k, v in trainer.optimizer.state_dict()["state"].items()}
    start = trainer.start_iter
    trainer.train()
    model = trainer.model
    params = {k: v.detach().clone() for k, v in model.module.named_parameters()}
    torch.save(
        {
            "world_size": comm.get_world_size(),
            "is_ddp": isinstance(model, DistributedDataParallel),
            "device_ids": model.device_ids,
            "rewrapped": model is not ddp_before,
            "iter": trainer.iter,
            "start": start,
            "restored_momentum": restored,
            "params": params,
        },
        os.path.join(output_dir, f"rank{comm.get_rank()}.pt"),
    )


def _ranks(folder):
    return [torch.load(folder / f"rank{r}.pt", weights_only=False) for r in (0, 1)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("two_processes")
    launch(_worker, 2, num_machines=1, machine_rank=0, dist_url="auto", args=(str(out),))
    return out


def test_two_process_cpu_training(trained):
    r0, r1 = _ranks(trained)
    for r in (r0, r1):
        assert r["world_size"] == 2 and r["is_ddp"]
        assert r["device_ids"] is None  # CPU model: DDP must not get [local_rank]
        assert r["rewrapped"]  # the backbone was unfrozen at iteration 3
        assert r["iter"] == 2 * ITERS_PER_EPOCH  # TrainerBase.train leaves iter = max_iter
    # Gradients were synchronised: both ranks hold the same weights, unfrozen stages included.
    assert r0["params"].keys() == r1["params"].keys()
    for name in r0["params"]:
        torch.testing.assert_close(r0["params"][name], r1["params"][name], msg=name)
    assert (trained / "model_final.pth").is_file()
    assert (trained / "metrics.json").is_file()


def test_two_process_resume_restores_the_momentum(trained, tmp_path):
    shutil.copy(trained / "model_0000003.pth", tmp_path)
    (tmp_path / "last_checkpoint").write_text("model_0000003.pth")
    launch(_worker, 2, num_machines=1, machine_rank=0, dist_url="auto", args=(str(tmp_path), True))
    saved = torch.load(trained / "model_0000003.pth", weights_only=True)["trainer"]["_trainer"]["optimizer"]["state"]
    assert saved and all("momentum_buffer" in state for state in saved.values())
    uninterrupted = _ranks(trained)
    for rank, resumed in enumerate(_ranks(tmp_path)):
        assert resumed["start"] == 4 and resumed["rewrapped"]  # the unfrozen stages are synchronised
        assert resumed["restored_momentum"].keys() == saved.keys()
        for key, buffer in resumed["restored_momentum"].items():
            assert torch.equal(buffer, saved[key]["momentum_buffer"]), (rank, key)
        for name, value in resumed["params"].items():
            assert torch.equal(value, uninterrupted[rank]["params"][name]), (rank, name)


def test_create_ddp_model_single_process_returns_model():
    model = torch.nn.Linear(2, 2)
    assert create_ddp_model(model) is model


def test_launch_single_process_runs_in_process():
    calls = []
    launch(calls.append, 1, args=("ran",))
    assert calls == ["ran"]


def test_auto_dist_url_port_is_free():
    import socket

    from siamtrack.engine.launch import free_local_port

    port = free_local_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))  # raises if the port were taken
    assert 0 < port < 65536
