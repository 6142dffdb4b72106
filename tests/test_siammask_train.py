"""SiamMask trains (beyond pysot, whose mask loss is a TODO): ``tools/train_net.py`` (the
``siamtrack-train`` command, DefaultTrainer) on the synthetic videos and their masks for a few
CPU iterations clearly improves the mask IoU of the mask head at the positive positions of
held-out pairs over the untrained model; mask targets follow the search crop; the refine stage
trains the refine module only."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.modeling import build_model

from siamtrack.config import load_config
from siamtrack.data.datasets.synthetic import load_synthetic_pairs
from siamtrack.data.mask_mapper import SiamMaskPairMapper

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "siammask_synthetic.yaml"
# 20 iterations of 4 pairs with the (random) backbone frozen: the heads learn, in about a minute
OPTS = ["SOLVER.SIAM.EPOCHS", "2", "SOLVER.SIAM.ITERS_PER_EPOCH", "10", "SOLVER.SIAM.WARMUP_EPOCHS", "1",
        "SOLVER.SIAM.BACKBONE_TRAIN_EPOCH", "100", "DATALOADER.NUM_WORKERS", "1", "MODEL.DEVICE", "cpu"]


def held_out_pairs(cfg, count=8):
    """Pairs of synthetic videos the training does not draw (its pool starts at video 0)."""
    videos = load_synthetic_pairs(cfg.DATASETS.SIAM.SYNTHETIC_NUM_TRAIN + count)[-count:]
    mapper = SiamMaskPairMapper(cfg, is_train=False)
    return [mapper({"dataset_dict": v, "frame_range": 5, "negative_dict": None, "seed": [7, i]})
            for i, v in enumerate(videos)]


def mask_iou(model, pairs):
    return model.eval().mask_training.evaluate_iou(model, pairs)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("siammask_train")
    cmd = [sys.executable, str(REPO / "tools" / "train_net.py"), "--config-file", str(CONFIG), *OPTS,
           "OUTPUT_DIR", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_short_training_improves_mask_iou(trained):
    cfg = load_config(str(CONFIG), OPTS)
    pairs = held_out_pairs(cfg)
    assert all(p["search_mask"] is not None and p["search_mask"].sum() > 100 for p in pairs)
    torch.manual_seed(cfg.SEED)
    untrained = mask_iou(build_model(cfg), pairs)
    model = build_model(cfg)
    DetectionCheckpointer(model).load(str(trained / "model_final.pth"))
    after = mask_iou(model, pairs)
    print(f"mask IoU {untrained:.3f} -> {after:.3f}")
    assert after > untrained + 0.15 and after > 0.3


def test_search_mask_follows_the_search_crop():
    cfg = load_config(str(CONFIG), OPTS)
    for pair in held_out_pairs(cfg, 4):
        ys, xs = np.nonzero(pair["search_mask"].numpy())
        x1, y1, x2, y2 = pair["search_box"].tolist()
        assert abs(xs.min() - x1) <= 3 and abs(ys.min() - y1) <= 3 and abs(xs.max() - x2) <= 3 and abs(ys.max() - y2) <= 3


def test_refine_stage_trains_the_refine_module_only():
    cfg = load_config(str(CONFIG), [*OPTS, "MODEL.SIAM_MASK.TRAIN_STAGE", "refine"])
    model = build_model(cfg).train()
    losses = model(held_out_pairs(cfg, 2))
    assert set(losses) == {"loss_mask"} and losses["loss_mask"] > 0
    losses["loss_mask"].backward()
    for name in ("neck", "rpn_head", "mask_head"):
        assert all(p.grad is None for p in getattr(model, name).parameters()), name
        assert not getattr(model, name).training
    assert all(p.grad is not None for p in model.refine_head.parameters())
