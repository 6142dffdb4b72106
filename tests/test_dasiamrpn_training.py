"""Train one: ``dasiamrpn/dasiamrpn_alex`` trains from the command line (detectron2's
``DefaultTrainer``) on the built-in synthetic pairs, negative pairs included, and the checkpoint
it writes exports with ``--layout opencv-dasiamrpn`` and runs inside ``cv2.TrackerDaSiamRPN``
(docs/model.md, "DaSiamRPN"). A few iterations only: the 256-channel network costs seconds per
iteration on a CPU; how well a longer run tracks in OpenCV is measured, not tested (docs).
A fresh up-channel head starts its logits near unit scale (its template convs are scaled down at
construction), so training from scratch does not start with saturated losses."""
import json
import math
import subprocess
import sys
from pathlib import Path

import torch
from detectron2.modeling import build_model

from siamtrack.config import load_config
from siamtrack.data.datasets.synthetic import synthetic_sequence
from siamtrack.export import export_onnx
from siamtrack.export.dasiamrpn import opencv_tracker

REPO = Path(__file__).resolve().parents[1]
ITERS = 4


def test_a_model_trained_from_the_command_line_runs_inside_opencvs_tracker(tmp_path):
    cfg = load_config("dasiamrpn/dasiamrpn_alex")
    assert cfg.INPUT.SIAM.NEG > 0 and cfg.TRACK.TYPE == "DaSiamRPNTracker" and cfg.TRACK.DASIAMRPN.WINDOW == "opencv"
    opts = ["MODEL.DEVICE", "cpu", "DATASETS.TRAIN", '("synthetic_pairs_train",)', "DATASETS.SIAM.FRAME_RANGE", "[25]",
            "DATASETS.SIAM.NUM_USE", "[-1]", "DATASETS.SIAM.SYNTHETIC_NUM_TRAIN", "50", "SOLVER.IMS_PER_BATCH", "2",
            "SOLVER.SIAM.EPOCHS", "1", "SOLVER.SIAM.ITERS_PER_EPOCH", str(ITERS), "SOLVER.SIAM.WARMUP_EPOCHS", "0",
            "SOLVER.SIAM.BACKBONE_TRAIN_EPOCH", "0", "SOLVER.CHECKPOINT_PERIOD", "100000", "INPUT.SIAM.NEG", "0.5",
            "DATALOADER.NUM_WORKERS", "0", "OUTPUT_DIR", str(tmp_path / "run")]
    proc = subprocess.run([sys.executable, str(REPO / "tools" / "train_net.py"), "--config-file",
                           "dasiamrpn/dasiamrpn_alex", *opts], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = [json.loads(line) for line in (tmp_path / "run" / "metrics.json").read_text().splitlines() if line]
    assert metrics and all(math.isfinite(m["total_loss"]) for m in metrics if "total_loss" in m)

    weights = tmp_path / "run" / "model_final.pth"
    export_onnx(load_config("dasiamrpn/dasiamrpn_alex", ["MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", str(weights)]),
                tmp_path / "export", layout="opencv-dasiamrpn")
    frames, boxes = synthetic_sequence(0, num_frames=6)
    tracker = opencv_tracker(tmp_path / "export")
    tracker.init(frames[0], tuple(int(round(v)) for v in boxes[0]))
    for frame in frames[1:]:
        ok, box = tracker.update(frame)
        assert ok and box[2] >= 10 and box[3] >= 10


def test_a_fresh_up_channel_head_starts_with_unit_scale_logits():
    # Default conv init alone gives std ~23 (class) / ~14 (box) on unit-variance features at 256
    # channels: each output sums 256 x 4 x 4 products.
    torch.manual_seed(0)
    head = build_model(load_config("dasiamrpn/dasiamrpn_alex", ["MODEL.DEVICE", "cpu"])).rpn_head
    with torch.no_grad():
        out = head.track([torch.randn(2, 256, 22, 22)], head.template([torch.randn(2, 256, 6, 6)]))
    assert out["cls"].shape == (2, 10, 17, 17) and out["loc"].shape == (2, 20, 17, 17)
    assert 0.05 < out["cls"].std() < 2 and 0.05 < out["loc"].std() < 2
