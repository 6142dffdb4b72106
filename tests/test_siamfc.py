"""SiamFC end to end: the tracker's scale-pyramid / upsampling arithmetic on stub responses, and
configs/siamfc_alex.yaml trained on the synthetic data with tools/train_net.py, evaluated with
tools/eval_tracker.py (untrained vs trained) and run on bag.avi with tools/track_video.py."""
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from detectron2.modeling import build_model

from siamtrack.config import load_config
from siamtrack.data.datasets.synthetic import write_synthetic_otb
from siamtrack.structures import context_side
from siamtrack.tracking import SiamFCTracker, build_tracker
from siamtrack.tracking.siamfc import choose_scale, response_peak, scale_factors, upsample_responses

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "configs" / "siamfc_alex.yaml")
SMALL = ["MODEL.DEVICE", "cpu", "MODEL.SIAM_ALEXNET.WIDTH_MULT", "0.25"]
TRAIN = ["DATASETS.TRAIN", "('synthetic_pairs_train',)", "DATASETS.SIAM.FRAME_RANGE", "[25]",
         "SOLVER.IMS_PER_BATCH", "8", "SOLVER.SIAM.EPOCHS", "4", "SOLVER.SIAM.ITERS_PER_EPOCH", "30",
         "SOLVER.SIAM.LOG_END_LR", "0.001", "SOLVER.CHECKPOINT_PERIOD", "1000", "DATALOADER.NUM_WORKERS", "1"]
MIN_GAIN = 0.1  # trained success AUC over untrained (measured: 0.297 -> 0.471)


def test_scale_factors_and_upsampling():
    assert np.allclose(scale_factors(3, 1.0375), [1 / 1.0375, 1.0, 1.0375])
    assert np.allclose(scale_factors(5, 1.02), 1.02 ** np.arange(-2, 3))
    responses = np.random.default_rng(0).normal(size=(3, 17, 17)).astype(np.float32)
    up = upsample_responses(responses, 16)
    assert up.shape == (3, 272, 272) and up.dtype == np.float32
    assert np.array_equal(up[1], cv2.resize(responses[1], (272, 272), interpolation=cv2.INTER_CUBIC))
    # bicubic, not bilinear: it overshoots the input range next to an isolated peak
    peak = np.zeros((1, 17, 17), np.float32)
    peak[0, 8, 8] = 1.0
    assert upsample_responses(peak, 16).min() < 0


def test_scale_choice_penalises_changed_scales():
    flat = np.ones((3, 4, 4), np.float32)
    assert choose_scale(flat, 0.9745) == 1  # ties: the current size wins
    bigger = flat.copy()
    bigger[2, 1, 1] = 1.02  # 1.02 * 0.9745 < 1
    assert choose_scale(bigger, 0.9745) == 1 and choose_scale(bigger, 1.0) == 2
    bigger[2, 1, 1] = 1.03  # 1.03 * 0.9745 > 1
    assert choose_scale(bigger, 0.9745) == 2


def test_response_peak_and_window():
    window = np.outer(np.hanning(9), np.hanning(9))
    window /= window.sum()
    response = np.zeros((9, 9))
    response[4, 7] = 1.0  # 3 right of the centre (4, 4)
    assert response_peak(response, window, 0.0) == (3.0, 0.0)
    response[4, 7], response[1, 1] = 0.6, 0.0
    response[5, 5] = 0.595  # nearer the centre: wins once the window counts
    assert response_peak(response, window, 0.0) == (3.0, 0.0)
    assert response_peak(response, window, 0.176) == (1.0, 1.0)


class StubSiamFC(nn.Module):
    """A SiamFC-like model whose responses are given per search crop: ``maps_fn(x)``."""

    def __init__(self, maps_fn):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.maps_fn = maps_fn
        self.searches = []

    def template(self, z):
        return {"z": z}

    def track(self, x, state):
        self.searches.append(x)
        return {"score": self.maps_fn(x)}


def _gaussian_maps(n, dx, dy, heights):
    """(n, 1, 17, 17) smooth maps peaking ``(dx, dy)`` cells off the centre, of height heights[i]."""
    ys, xs = np.mgrid[0:17, 0:17]
    blob = np.exp(-((xs - 8 - dx) ** 2 + (ys - 8 - dy) ** 2) / 4.0)
    return torch.tensor(np.stack([h * blob for h in heights])[:, None], dtype=torch.float32)


def test_tracker_moves_by_the_peak_and_damps_the_scale():
    cfg = load_config(CONFIG, SMALL + ["TRACK.SIAMFC.WINDOW_INFLUENCE", "0.0"])
    model = StubSiamFC(lambda x: _gaussian_maps(x.shape[0], 2, -1, [1.0, 2.0, 5.0]))
    tracker = build_tracker(cfg, model)
    assert isinstance(tracker, SiamFCTracker)
    frame = np.full((360, 480, 3), 90, np.uint8)
    tracker.init(frame, (200, 150, 40, 30))
    centre, size = tracker._targets[0].center.copy(), tracker._targets[0].size.copy()
    out = tracker.track(frame)
    assert [x.shape for x in model.searches] == [(3, 3, 255, 255)]
    x_sz = context_side(40, 30) * 255 / 127
    scale = 1.0375  # the largest scale has the highest peak: 5 * 0.9745 > 2
    # 2 cells right, 1 up: 8 crop pixels a cell, x_sz * scale / 255 frame pixels a crop pixel;
    # the upsampled peak lies within half an upsampled cell (1/16 cell) of the true one.
    step = 8 * x_sz * scale / 255
    moved = tracker._targets[0].center - centre
    np.testing.assert_allclose(moved, [2 * step, -1 * step], atol=step / 16)
    np.testing.assert_allclose(tracker._targets[0].size, size * (0.41 + 0.59 * scale), rtol=1e-12)
    assert out["bbox"][2:] == list(tracker._targets[0].size)
    assert 0.99 < out["score"] < 1  # sigmoid of the peak logit 5
    # a SiamRPN model (cls / loc maps) is refused with a clear message
    rpn = StubSiamFC(lambda x: None)
    rpn.track = lambda x, state: {"cls": x, "loc": x}
    other = build_tracker(cfg, rpn)
    other.init(frame, (200, 150, 40, 30))
    with pytest.raises(TypeError, match="SiamRPNTracker"):
        other.track(frame)


def _tool(name, *args):
    proc = subprocess.run([sys.executable, str(REPO / "tools" / f"{name}.py"), *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """siamfc_alex.yaml (AlexNet x0.25) trained 120 iterations on the synthetic pairs, plus the
    weights it would start from and the synthetic test clips in the OTB layout."""
    root = tmp_path_factory.mktemp("siamfc")
    _tool("train_net", "--config-file", CONFIG, *SMALL, *TRAIN, "OUTPUT_DIR", root / "train")
    torch.manual_seed(0)
    torch.save({"model": build_model(load_config(CONFIG, SMALL)).state_dict()}, root / "untrained.pth")
    write_synthetic_otb(root / "otb")
    return root


def _success_auc(root, weights, name):
    _tool("eval_tracker", "--config-file", CONFIG, "--dataset", "OTB100", "--dataset-root", root / "otb",
          "--output", root / "results", "--tracker-name", name, "--no-progress",
          "--output-json", root / f"{name}.json", *SMALL, "MODEL.WEIGHTS", weights)
    return json.loads((root / f"{name}.json").read_text())[name]["success_auc"]


def test_trained_siamfc_tracks_synthetic_clips_clearly_better(trained):
    losses = [json.loads(line).get("total_loss") for line in (trained / "train" / "metrics.json").open()]
    losses = [v for v in losses if v is not None]
    assert losses[-1] < 0.8 * losses[0], losses
    untrained = _success_auc(trained, trained / "untrained.pth", "untrained")
    auc = _success_auc(trained, trained / "train" / "model_final.pth", "trained")
    assert auc >= untrained + MIN_GAIN, (untrained, auc)


def test_track_video_runs_siamfc_on_bag(trained, bag_video):
    out = trained / "bag.txt"
    _tool("track_video", "--config-file", CONFIG, "--video", bag_video, "--init-box", "315,140,113,115",
          "--output-boxes", out, "--max-frames", "6", "--no-progress", *SMALL,
          "MODEL.WEIGHTS", trained / "train" / "model_final.pth")
    boxes = np.array([[float(v) for v in line.split(",")] for line in out.read_text().splitlines()])
    assert boxes.shape == (6, 4) and np.isfinite(boxes).all()
    assert boxes[0].tolist() == [315, 140, 113, 115]
    assert (boxes[1:, 2:] >= 10).all() and (boxes[1:, :2] + boxes[1:, 2:] / 2 <= [480, 360]).all()
    assert not np.array_equal(boxes[1], boxes[0])  # it tracked (moved or rescaled)
