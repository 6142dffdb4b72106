"""End-to-end training on the synthetic data on CPU with ``tools/train_net.py``.

One schedule of 200 iterations is trained in two runs: the first stops at iteration 150
(``SOLVER.MAX_ITER``), the second continues it with ``--resume``. The loss logged in
``metrics.json`` must fall clearly, and the resumed run must start where the first one stopped,
with the LR of the schedule at that iteration.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from siamtrack.engine import pysot_lr_table

REPO = Path(__file__).resolve().parents[1]
EPOCHS, ITERS_PER_EPOCH, STOP = 4, 50, 150
OPTS = [
    "SOLVER.IMS_PER_BATCH", "4",
    "SOLVER.SIAM.EPOCHS", str(EPOCHS),
    "SOLVER.SIAM.ITERS_PER_EPOCH", str(ITERS_PER_EPOCH),
    "SOLVER.SIAM.WARMUP_EPOCHS", "1",
    "SOLVER.CHECKPOINT_PERIOD", "1000",
    "DATALOADER.NUM_WORKERS", "1",
    "MODEL.DEVICE", "cpu",
]


def _train(output_dir, *opts, resume=False):
    cmd = [
        sys.executable, str(REPO / "tools" / "train_net.py"),
        "--config-file", str(REPO / "configs" / "quickstart_synthetic.yaml"),
        *(["--resume"] if resume else []),
        *OPTS, "OUTPUT_DIR", str(output_dir), *opts,
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _metrics(output_dir):
    with open(Path(output_dir) / "metrics.json") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("train_synthetic")
    log1 = _train(out, "SOLVER.MAX_ITER", str(STOP))
    first_checkpoint = torch.load(out / "model_final.pth", map_location="cpu", weights_only=False)
    log2 = _train(out, resume=True)
    return out, log1, log2, first_checkpoint


def test_loss_falls(trained):
    out, *_ = trained
    losses = [m["total_loss"] for m in _metrics(out) if "total_loss" in m]
    assert len(losses) >= 8, losses
    first, last = np.mean(losses[:2]), np.mean(losses[-2:])
    assert np.isfinite(losses).all()
    print(f"loss {first:.3f} -> {last:.3f} ({last / first:.2f})")
    assert last < 0.75 * first, f"loss did not fall clearly: {losses}"


def test_resume_continues_from_last_iteration(trained):
    out, log1, log2, first_checkpoint = trained
    assert first_checkpoint["iteration"] == STOP - 1
    # the optimizer's momentum is saved with the step loop's state, so a resume continues it
    momentum = first_checkpoint["trainer"]["_trainer"]["optimizer"]["state"]
    assert momentum and all("momentum_buffer" in s for s in momentum.values())
    assert "Starting training from iteration 0" in log1
    assert f"Starting training from iteration {STOP}" in log2
    iters = [m["iteration"] for m in _metrics(out) if "total_loss" in m]
    assert iters == sorted(iters) and len(set(iters)) == len(iters)  # no iteration trained twice
    assert iters[-1] == EPOCHS * ITERS_PER_EPOCH - 1
    final = torch.load(out / "model_final.pth", map_location="cpu", weights_only=False)
    assert final["iteration"] == EPOCHS * ITERS_PER_EPOCH - 1
    # The LR schedule continues too: the resumed iterations use the table of their epoch.
    table, main0 = pysot_lr_table(EPOCHS, 0.01, 0.002, 1, 0.005, 0.01)
    for m in _metrics(out):
        if "lr" in m:
            epoch = m["iteration"] // ITERS_PER_EPOCH
            assert m["lr"] == pytest.approx(table[epoch] * 0.01 / main0)
