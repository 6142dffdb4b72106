"""pysot's 100-frame trajectories on bag.avi (AlexNet through the API and through
tools/track_video.py, MobileNetV2 through the API), with the default settings."""
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from detectron2.config import get_cfg

from siamtrack import add_siamtrack_config, build_tracker
from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file


REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml"
MOBILE_CONFIG = REPO_ROOT / "configs" / "pysot" / "siamrpn_mobilev2_l234_dwxcorr.yaml"
BOX_TOL, SCORE_TOL = 0.01, 1e-4
MULTI_FRAMES = 5


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", autouse=True)
def reference_threads():
    """Two intra-op threads, as pysot ran when it made the references on a 2-core host: ATen runs
    a 1x1 convolution of a batch below 16 natively on one thread and with oneDNN on more, which
    round differently, so pysot's own boxes depend on the thread count (docs/tracking.md,
    "Exactness and speed options")."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


def read_frames(video, count):
    capture = cv2.VideoCapture(str(video))
    frames = [capture.read()[1] for _ in range(count)]
    capture.release()
    return frames


@pytest.fixture(scope="module")
def reference(reference_dir, bag_video, tmp_path_factory):
    """Converted weights, the reference trajectory and the first 101 frames of bag.avi."""
    folder = reference_dir / "pysot_siamrpn_alex_dwxcorr"
    checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(folder / "weights.pth"), CONFIG)
    weights = tmp_path_factory.mktemp("weights") / "alex.pth"
    torch.save(checkpoint, weights)
    track = json.loads((folder / "track.json").read_text())
    frames = read_frames(bag_video, len(track["boxes"]))
    return {"weights": weights, "track": track, "frames": frames, "video": bag_video}


def make_cfg(weights, config=CONFIG, **track):
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    cfg.merge_from_file(str(config))
    cfg.MODEL.WEIGHTS = str(weights)
    cfg.MODEL.DEVICE = "cpu"
    for key, value in track.items():
        cfg.TRACK[key] = value
    return cfg


@pytest.fixture(scope="module")
def api_run(reference):
    """Boxes and scores of build_tracker(cfg) over frames 1..100 (run once per module)."""
    tracker = build_tracker(make_cfg(reference["weights"]))
    tracker.init(reference["frames"][0], reference["track"]["init_box"])
    outputs = [tracker.track(frame) for frame in reference["frames"][1:]]
    return np.array([o["bbox"] for o in outputs]), np.array([o["score"] for o in outputs])


def test_api_reproduces_pysot_trajectory(reference, api_run):
    boxes, scores = api_run
    expected = reference["track"]
    assert boxes.shape == (100, 4)
    np.testing.assert_allclose(boxes, np.array(expected["boxes"][1:]), rtol=0, atol=BOX_TOL)
    np.testing.assert_allclose(scores, np.array(expected["scores"][1:], dtype=np.float64), rtol=0, atol=SCORE_TOL)


def test_mobilenetv2_default_path_reproduces_pysot_trajectory(reference_dir, reference, tmp_path):
    """The second pysot case (MobileNetV2, another seed): build_tracker's default path within
    0.01 px of pysot's boxes on all 100 frames. With TRACK.FUSE_CONV_BN (or the channels-last
    weights) the same run was 0.045 px off on 56 frames: the test that keeps them opt-in."""
    folder = reference_dir / "pysot_siamrpn_mobilev2_l234_dwxcorr"
    checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(folder / "weights.pth"), MOBILE_CONFIG)
    torch.save(checkpoint, tmp_path / "mobilev2.pth")
    track = json.loads((folder / "track.json").read_text())
    tracker = build_tracker(make_cfg(tmp_path / "mobilev2.pth", MOBILE_CONFIG))
    frames = reference["frames"]
    tracker.init(frames[0], track["init_box"])
    outputs = [tracker.track(frame) for frame in frames[1:]]
    boxes = np.array([o["bbox"] for o in outputs])
    np.testing.assert_allclose(boxes, np.array(track["boxes"][1:]), rtol=0, atol=BOX_TOL)
    scores = np.array([o["score"] for o in outputs])
    np.testing.assert_allclose(scores, np.array(track["scores"][1:], dtype=np.float64), rtol=0, atol=SCORE_TOL)


def test_cli_output_boxes_reproduce_pysot_trajectory(reference, tmp_path, capsys):
    out = tmp_path / "bag.txt"
    init = ",".join(str(v) for v in reference["track"]["init_box"])
    status = load_tool("track_video").main([
        "--config-file", str(CONFIG), "--video", str(reference["video"]), "--init-box", init,
        "--output-boxes", str(out), "--max-frames", "101", "--no-progress",
        "MODEL.WEIGHTS", str(reference["weights"]), "MODEL.DEVICE", "cpu"])
    assert status == 0, capsys.readouterr().err
    assert not (tmp_path / "bag.txt.partial").exists()
    lines = out.read_text().splitlines()
    boxes = np.array([[float(v) for v in line.split(",")] for line in lines])
    assert boxes.shape == (101, 4)
    assert boxes[0].tolist() == reference["track"]["init_box"]
    np.testing.assert_allclose(boxes, np.array(reference["track"]["boxes"]), rtol=0, atol=BOX_TOL)


@pytest.mark.parametrize("batched", [False, True])
def test_several_targets_match_single_target_runs(reference, api_run, batched):
    """Targets tracked together give each target's solo trajectory bit for bit, in one batched
    forward per frame or one forward per target."""
    frames = reference["frames"][: MULTI_FRAMES + 1]
    other = [40.0, 200.0, 80.0, 60.0]
    cfg = make_cfg(reference["weights"], BATCH_TARGETS=batched)
    tracker = build_tracker(cfg)
    # The exact CPU path runs targets one by one whatever TRACK.BATCH_TARGETS (faster there);
    # batching is forced here to show it keeps every target's bits (as on the paths that batch).
    assert tracker.batch_targets is False
    tracker.batch_targets = batched
    assert tracker.init(frames[0], [reference["track"]["init_box"], other]) == [0, 1]
    together = [tracker.track(frame) for frame in frames[1:]]
    solo_bag = api_run[0][:MULTI_FRAMES]
    tracker.init(frames[0], other)
    solo_other = np.array([tracker.track(frame)["bbox"] for frame in frames[1:]])
    both = np.array([[r["bbox"] for r in results] for results in together])
    assert [r["target_id"] for r in together[0]] == [0, 1]
    np.testing.assert_array_equal(both[:, 0], solo_bag)
    np.testing.assert_array_equal(both[:, 1], solo_other)
    scores = np.array([[r["score"] for r in results] for results in together])
    np.testing.assert_array_equal(scores[:, 0], api_run[1][:MULTI_FRAMES])
