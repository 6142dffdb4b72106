"""Tracker arithmetic (docs/tracking.md) without a network: a stub model replays or fakes head outputs."""
import json

import numpy as np
import pytest
import torch
import torch.nn as nn
from detectron2.config import get_cfg

from siamtrack import add_siamtrack_config
from siamtrack.modeling import AnchorBoxCoder
from siamtrack.modeling.anchors import score_map_size
from siamtrack.structures import center_size_to_xywh, crop_window, opencv_crops, torch_crops, window_origin
from siamtrack.tracking import (
    SiamRPNLTTracker, SiamRPNTracker, TrackerInputError, TrackerStateError, build_tracker, postprocess,
)
from siamtrack.utils.errors import InputError
from siamtrack.utils.frames import normalize_frame

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]


def make_cfg(name):
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    cfg.merge_from_file(str(REPO / "configs" / "pysot" / name))
    return cfg


class StubModel(nn.Module):
    """Records template/search inputs; ``track`` returns ``outputs_fn(x)`` (cls, loc)."""

    def __init__(self, outputs_fn):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.outputs_fn = outputs_fn
        self.templates, self.searches = [], []

    def template(self, z):
        self.templates.append(z.clone())
        return {"z": z.clone()}

    def track(self, x, state):
        assert state["z"].shape[0] == x.shape[0]
        self.searches.append(x.clone())
        cls, loc = self.outputs_fn(x)
        return {"cls": cls, "loc": loc}


def full_canvas_crop(frame, center, out_size, side, average):
    """pysot's get_subwindow as written: a mean-filled copy of the whole padded frame, then a slice."""
    import cv2

    height, width = frame.shape[:2]
    x0, y0 = window_origin(center, side)
    x1, y1 = x0 + side - 1, y0 + side - 1
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = max(0, x1 - width + 1), max(0, y1 - height + 1)
    canvas = np.empty((height + top + bottom, width + left + right, 3), np.uint8)
    canvas[...] = np.asarray(average, dtype=np.float64).astype(np.uint8)
    canvas[top:top + height, left:left + width] = frame
    patch = canvas[y0 + top:y1 + top + 1, x0 + left:x1 + left + 1]
    return patch if out_size == side else cv2.resize(patch, (out_size, out_size))


def constant_outputs(prob, k=5, stride=8, exemplar=127, base_size=8):
    """Head outputs with foreground probability ``prob`` everywhere and zero regression."""
    def fn(x):
        size = (x.shape[-1] - exemplar) // stride + 1 + base_size
        n = x.shape[0]
        cls = torch.zeros(n, 2 * k, size, size)
        cls[:, k:] = float(np.log(prob / (1 - prob)))
        return cls, torch.zeros(n, 4 * k, size, size)
    return fn


@pytest.fixture(scope="module")
def reference(reference_dir, bag_video):
    import cv2

    folder = reference_dir / "pysot_siamrpn_alex_dwxcorr"
    io = np.load(folder / "io.npz")
    track = json.loads((folder / "track.json").read_text())
    capture = cv2.VideoCapture(str(bag_video))
    frames = [capture.read()[1] for _ in range(2)]
    capture.release()
    return io, track, frames


def test_frame1_from_io_npz_is_exact(reference):
    """init + one track step on io.npz's head outputs give track.json's frame 1 with zero difference."""
    io, track, frames = reference
    model = StubModel(lambda x: (torch.from_numpy(io["cls"]), torch.from_numpy(io["loc"])))
    tracker = build_tracker(make_cfg("siamrpn_alex_dwxcorr.yaml"), model)
    assert type(tracker) is SiamRPNTracker
    tracker.init(frames[0], track["init_box"])
    out = tracker.track(frames[1])
    assert torch.equal(model.templates[0].cpu(), torch.from_numpy(io["template"]))
    assert torch.equal(model.searches[0].cpu(), torch.from_numpy(io["search"]))
    assert out["bbox"] == track["boxes"][1]
    assert out["score"] == track["scores"][1]


def test_torch_crop_path_is_exact_too(reference):
    """The GPU crop implementation (run here on CPU tensors) reproduces the same frame exactly."""
    io, track, frames = reference
    model = StubModel(lambda x: (torch.from_numpy(io["cls"]), torch.from_numpy(io["loc"])))
    tracker = build_tracker(make_cfg("siamrpn_alex_dwxcorr.yaml"), model)
    tracker.gpu_crop = True
    tracker.init(frames[0], track["init_box"])
    out = tracker.track(frames[1])
    assert torch.equal(model.searches[0], torch.from_numpy(io["search"]))
    assert out["bbox"] == track["boxes"][1]


def test_torch_crops_match_opencv_resize():
    """Integer re-implementation of OpenCV's uint8 bilinear resize: up, down, exact 2x, padded."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    average = frame.reshape(-1, 3).mean(0)
    device_frame = torch.from_numpy(frame)
    cases = [(127, 127), (127, 254), (127, 61), (127, 200), (255, 97), (255, 300), (63, 40)]
    for out_size, side in cases:
        for center in [(60.3, 45.7), (-10.0, 3.2), (118.9, 95.5)]:
            windows = [(center, side, average)]
            expected = opencv_crops(frame, windows, out_size, "cpu")
            assert torch.equal(torch_crops(device_frame, windows, out_size), expected), (out_size, side, center)


def test_window_crop_equals_full_canvas_crop():
    """Padding only the window gives pysot's full-canvas crop, even for windows off the frame."""
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    average = (127.9, 3.2, 250.5)
    for _ in range(60):
        center = tuple(rng.uniform(-60, 140, 2))
        side, out_size = int(rng.integers(5, 200)), int(rng.choice([31, 127]))
        expected = full_canvas_crop(frame, center, out_size, side, average)
        assert np.array_equal(crop_window(frame, center, out_size, side, average), expected), (center, side)


def test_scores_match_pysot_softmax_sequence():
    """Batched foreground scores equal pysot's per-crop permute/view/softmax, bit for bit."""
    cls = torch.randn(3, 10, 21, 21) * 4
    scores = AnchorBoxCoder.scores(cls)
    for i in range(3):
        pysot = cls[i:i + 1].permute(1, 2, 3, 0).contiguous().view(2, -1).permute(1, 0)
        assert np.array_equal(scores[i], torch.softmax(pysot, dim=1)[:, 1].numpy())
    assert scores.dtype == np.float32


def test_tracker_anchors_and_window():
    coder = AnchorBoxCoder(8, [0.33, 0.5, 1, 2, 3], [8])
    anchors = coder.anchors(21)
    assert anchors.shape == (5 * 21 * 21, 4) and anchors.dtype == np.float32
    centres = anchors[: 21 * 21]
    assert centres[0, 0] == -80 and centres[-1, 0] == 80 and centres[21, 1] == -72
    assert np.all(anchors[21 * 21 * 2:21 * 21 * 3, 2:] == 64)  # ratio 1 anchor is 64x64
    assert np.array_equal(coder.anchors(21, 255)[:, :2], anchors[:, :2] + 127)  # training grid: shifted
    window = postprocess.hann_window(21, 5)
    assert window.dtype == np.float64
    window = window.reshape(5, 21, 21)
    assert np.all(window[:, 0, :] == 0) and window[0, 10, 10] == window.max()
    assert np.array_equal(window[0], window[4]) and np.allclose(window[0], window[0].T)
    assert score_map_size(831, 127, 8, 8) == 97 and score_map_size(287, 127, 8, 0) == 21


def test_decode_and_penalty_basics():
    coder = AnchorBoxCoder(8, [0.5], [8])  # one 88 x 40 anchor shape; S = 3: centres -8, 0, 8
    loc = np.zeros((1, 4, 3, 3), np.float32)
    loc[0, 2, 0, 2] = np.log(2)
    loc[0, 1, 0, 2] = 0.5
    boxes = coder.decode(torch.from_numpy(loc))
    assert boxes.dtype == np.float32 and boxes.shape == (1, 4, 9)
    assert np.allclose(boxes[0, :, 2], [8, -8 + 0.5 * 40, 176, 40]) and np.allclose(boxes[0, :, 4], [0, 0, 88, 40])
    # A box of the target's own size and aspect is not penalised; others are.
    size, scale_z = np.array([40.0, 20.0]), 1.6
    same = np.array([[0], [0], [64], [32]], np.float32)
    other = np.array([[0], [0], [32], [64]], np.float32)
    assert postprocess.penalties(same, size, scale_z, 0.2)[0] == pytest.approx(1.0, abs=1e-6)
    assert postprocess.penalties(other, size, scale_z, 0.2)[0] < 0.9


def test_clip_and_minimum_size():
    assert postprocess.clip_box(-5, 500, 3, 900, (360, 480)) == (0.0, 360.0, 10.0, 360.0)
    assert postprocess.clip_box(481, 10, 600, 2, (360, 480)) == (480.0, 10.0, 480.0, 10.0)
    assert center_size_to_xywh(100.0, 50.0, 20.0, 10.0) == [90.0, 45.0, 20.0, 10.0]


def test_init_rejects_bad_boxes():
    tracker = build_tracker(make_cfg("siamrpn_alex_dwxcorr.yaml"), StubModel(constant_outputs(0.9, base_size=0)))
    frame = np.zeros((50, 60, 3), np.uint8)
    for box in [(10, 10, 0, 5), (10, 10, 5, -1), (60, 10, 5, 5), (-20, 0, 10, 10), (1, 2, 3), ("a", 1, 2, 3),
                (1, 2, float("nan"), 3)]:
        with pytest.raises(TrackerInputError):
            tracker.init(frame, box)
    with pytest.raises(RuntimeError):
        build_tracker(make_cfg("siamrpn_alex_dwxcorr.yaml"), StubModel(constant_outputs(0.9))).track(frame)


def test_normalize_frame_gray_and_bgra():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = normalize_frame(gray)
    assert out.shape == (3, 4, 3) and np.array_equal(out[..., 1], gray)
    bgra = np.dstack([out, np.full((3, 4), 7, np.uint8)])
    assert np.array_equal(normalize_frame(bgra), out)
    assert np.array_equal(normalize_frame(gray[..., None]), out)
    with pytest.raises(ValueError):
        normalize_frame(np.zeros((3, 4, 3), np.float32))


@pytest.mark.parametrize("channels_last", [True, False])
def test_targets_are_batched_and_independent(channels_last):
    """Several targets: one forward per frame with all crops where batching pays (here with
    channels-last crops), one forward per target in the exact CPU path (a PyTorch model fed NCHW
    float32 crops, as pysot); either way each target equals its solo run."""
    cfg = make_cfg("siamrpn_alex_dwxcorr.yaml")
    cfg.TRACK.CHANNELS_LAST = channels_last
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(4)]

    def outputs(x):  # deterministic per crop, so solo and batched runs see the same maps
        gen = [torch.Generator().manual_seed(int(c.sum().item()) % 100000) for c in x]
        cls = torch.stack([torch.randn(10, 21, 21, generator=g) * 3 for g in gen])
        loc = torch.stack([torch.randn(20, 21, 21, generator=g) * 0.2 for g in gen])
        return cls, loc

    boxes = [(20, 30, 40, 25), (100, 60, 30, 45)]
    model = StubModel(outputs)
    tracker = build_tracker(cfg, model)
    assert tracker.init(frames[0], boxes) == [0, 1]
    together = [tracker.track(f) for f in frames[1:]]
    per_frame = 1 if channels_last else 2
    assert all(x.shape[0] == 2 // per_frame for x in model.searches) and len(model.searches) == 3 * per_frame
    assert [z.shape[0] for z in model.templates] == [1, 1]  # each target's template alone
    for tid, box in enumerate(boxes):
        solo = build_tracker(cfg, StubModel(outputs))
        solo.init(frames[0], box)
        for frame, both in zip(frames[1:], together):
            alone = solo.track(frame)
            assert both[tid]["target_id"] == tid
            assert both[tid]["bbox"] == alone["bbox"] and both[tid]["score"] == alone["score"]


def test_long_term_lost_mode_switching():
    """Low score: box kept, 831 search crop, near-flat window; a confident score re-acquires."""
    cfg = make_cfg("siamrpn_r50_l234_dwxcorr_lt.yaml")
    prob = {"value": 0.5}
    model = StubModel(lambda x: constant_outputs(prob["value"])(x))
    tracker = build_tracker(cfg, model)
    assert isinstance(tracker, SiamRPNLTTracker)
    with pytest.raises(TrackerInputError, match="build_tracker"):  # the short-term class refuses a long-term config
        SiamRPNTracker(model, cfg)
    frame = np.full((240, 320, 3), 100, np.uint8)
    tracker.init(frame, (100, 80, 60, 40))
    out = tracker.track(frame)  # score 0.5 < CONFIDENCE_LOW: state kept, now lost
    assert model.searches[-1].shape[-1] == 255
    assert out["bbox"] == [99.5, 79.5, 60.0, 40.0]  # centre (129.5, 99.5) kept
    assert tracker._targets[0].lost
    tracker.track(frame)
    assert model.searches[-1].shape[-1] == 831
    assert tracker.search[True] == (831, 0.001)  # the search of a lost target
    tracker.init(frame, (100, 80, 60, 40))  # pysot: the lost flag survives init
    assert tracker._targets[0].lost
    prob["value"] = 0.9995  # > CONFIDENCE_HIGH: found again
    tracker.track(frame)
    assert model.searches[-1].shape[-1] == 831 and not tracker._targets[0].lost
    tracker.track(frame)
    assert model.searches[-1].shape[-1] == 255


def test_long_term_state_is_not_clipped():
    """The LT tracker keeps an out-of-frame state (pysot stores it before clipping)."""
    cfg = make_cfg("siamrpn_r50_l234_dwxcorr_lt.yaml")
    tracker = build_tracker(cfg, StubModel(constant_outputs(0.3)))
    frame = np.zeros((100, 100, 3), np.uint8)
    tracker.init(frame, (90, 90, 30, 30))  # centre 104.5 lies outside the 100x100 frame
    out = tracker.track(frame)
    assert tracker._targets[0].center[0] == 104.5
    assert out["bbox"][0] == 100 - 30 / 2
    short = build_tracker(make_cfg("siamrpn_alex_dwxcorr.yaml"), StubModel(constant_outputs(0.3, base_size=0)))
    short.init(frame, (90, 90, 30, 30))
    short.track(frame)
    assert short._targets[0].center[0] <= 100


@pytest.mark.parametrize("misuse", ["track", "is_lost", "remove_target", "unknown_id"])
def test_api_misuse_raises_one_line_input_errors(misuse):
    """track / is_lost before init and remove_target of an unknown id: TrackerStateError, an
    InputError (one line, what the commands print) that is also the RuntimeError raised before."""
    tracker = build_tracker(make_cfg("siamrpn_alex_dwxcorr.yaml"), StubModel(constant_outputs(0.9, base_size=0)))
    frame = np.zeros((60, 80, 3), np.uint8)
    if misuse == "unknown_id":
        tracker.init(frame, (10, 10, 20, 20))
    calls = {"track": lambda: tracker.track(frame), "is_lost": tracker.is_lost,
             "remove_target": lambda: tracker.remove_target(0), "unknown_id": lambda: tracker.remove_target(99)}
    with pytest.raises(TrackerStateError) as info:
        calls[misuse]()
    assert isinstance(info.value, InputError) and isinstance(info.value, RuntimeError)
    assert "\n" not in str(info.value) and ("init" in str(info.value) or "99" in str(info.value))


@pytest.mark.parametrize("cfg", [None, "configs/pysot/siamrpn_alex_dwxcorr.yaml", {"TRACK": 1}])
def test_build_tracker_of_something_else_than_a_config_is_one_line(cfg):
    with pytest.raises(TrackerInputError, match="load_config") as info:
        build_tracker(cfg)
    assert "\n" not in str(info.value)
