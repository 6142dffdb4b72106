"""pysot's SiamMask tracker on bag.avi (``pysot_siammask_r50_l3/track.json``, ``masks.npz``):
boxes within 0.01 px, polygons within 0.05 px and at most 0.1 % of mask pixels different on
every one of frames 1..100; several targets; the polygon rule."""
import json

import cv2
import numpy as np
import pytest
import torch

from _siammask_reference import CONFIG, load_case
from siamtrack.config import load_config
from siamtrack.tracking import SiamMaskTracker, build_tracker
from siamtrack.utils.errors import InputError
from siamtrack.tracking.mask_post import mask_polygon

BOX_TOL, POLYGON_TOL, MASK_FRACTION, SCORE_TOL = 0.01, 0.05, 0.001, 1e-4
FRAMES = 100


@pytest.fixture(scope="module", autouse=True)
def two_threads():
    """pysot's reference ran on two intra-op threads; oneDNN's rounding depends on the count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reference(reference_dir, bag_video, tmp_path_factory):
    """Converted weights, pysot's track.json and masks, frames 0..100 of bag.avi."""
    return load_case(reference_dir, bag_video, tmp_path_factory.mktemp("weights"), FRAMES)


def make_cfg(weights, *opts):
    return load_config(CONFIG, ["MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", str(weights), *opts])


@pytest.fixture(scope="module")
def api_run(reference):
    """Results of build_tracker(cfg) over frames 1..100 (run once per module)."""
    tracker = build_tracker(make_cfg(reference["weights"]))
    assert isinstance(tracker, SiamMaskTracker)
    tracker.init(reference["frames"][0], reference["track"]["init_box"])
    return [tracker.track(frame) for frame in reference["frames"][1:]]


def test_boxes_polygons_and_masks_reproduce_pysot(reference, api_run):
    expected = reference["track"]
    boxes = np.array([r["bbox"] for r in api_run])
    np.testing.assert_allclose(boxes, np.array(expected["boxes"][1:]), rtol=0, atol=BOX_TOL)
    scores = np.array([r["score"] for r in api_run])
    np.testing.assert_allclose(scores, np.array(expected["scores"][1:], dtype=np.float64), rtol=0, atol=SCORE_TOL)
    polygons = np.array([r["polygon"] for r in api_run])
    assert polygons.shape == (FRAMES, 8)
    np.testing.assert_allclose(polygons, np.array(expected["polygons"][1:]), rtol=0, atol=POLYGON_TOL)
    for i, (result, mask) in enumerate(zip(api_run, reference["masks"])):
        assert result["mask"].dtype == bool and result["mask"].shape == mask.shape
        assert (result["mask"] != mask).mean() <= MASK_FRACTION, f"frame {i + 1}"
        assert mask.sum() > 1000, "the reference mask is a real blob"


def test_several_targets_match_single_target_runs(reference, api_run):
    """Two targets in one batched forward: each gets its solo box, polygon and mask, bit for bit."""
    frames = reference["frames"][:3]
    other = [40.0, 200.0, 80.0, 60.0]
    tracker = build_tracker(make_cfg(reference["weights"]))
    tracker.init(frames[0], [reference["track"]["init_box"], other])
    together = [tracker.track(frame) for frame in frames[1:]]
    tracker.init(frames[0], other)
    solo_other = [tracker.track(frame) for frame in frames[1:]]
    for results, bag, alone in zip(together, api_run, solo_other):
        for got, want in ((results[0], bag), (results[1], alone)):
            assert got["bbox"] == want["bbox"] and got["polygon"] == want["polygon"]
            assert np.array_equal(got["mask"], want["mask"])


def test_probability_map_on_request(reference, api_run):
    tracker = build_tracker(make_cfg(reference["weights"], "TRACK.MASK_PROBABILITY", "True"))
    tracker.init(reference["frames"][0], reference["track"]["init_box"])
    result = tracker.track(reference["frames"][1])
    probability = result["mask"]
    assert probability.dtype == np.float32 and 0 <= probability.min() and probability.max() <= 1
    assert np.array_equal(probability > 0.15, api_run[0]["mask"])
    assert result["polygon"] == api_run[0]["polygon"]


def test_a_model_without_refine_is_refused():
    cfg = load_config("pysot/siamrpn_alex_dwxcorr", ["MODEL.DEVICE", "cpu", "TRACK.TYPE", "SiamMaskTracker"])
    with pytest.raises(InputError, match="refine"):
        build_tracker(cfg)


def test_polygon_is_the_rotated_box_of_the_largest_region_else_the_box():
    binary = np.zeros((120, 160), dtype=bool)
    cv2.ellipse(binary.view(np.uint8), (80, 60), (40, 15), 30, 0, 360, 1, -1)
    binary[5:9, 5:9] = True  # a smaller second region is ignored
    polygon = np.array(mask_polygon(binary, (10.0, 10.0), (4.0, 4.0))).reshape(4, 2)
    assert np.allclose(polygon.mean(axis=0), (80, 60), atol=1)
    sides = sorted(np.linalg.norm(polygon - np.roll(polygon, 1, axis=0), axis=1))
    assert 75 < sides[-1] < 85 and 25 < sides[0] < 35  # about 2 x 40 by 2 x 15
    small = np.zeros((120, 160), dtype=bool)
    small[10:19, 10:19] = True  # contour area 64 <= 100: the box corners
    assert mask_polygon(small, (50.0, 40.0), (20.0, 10.0)) == [40.0, 35.0, 60.0, 35.0, 60.0, 45.0, 40.0, 45.0]


CLI_FRAMES = 6  # ResNet-50 to layer3 per frame on the CPU: the API test above covers all 100


def test_convert_and_track_command_write_pysot_masks_polygons_and_video(reference, reference_dir, tmp_path, capsys):
    """siamtrack-convert, then siamtrack-track --output-masks / --output-boxes (.csv, .json) /
    --output on the first frames of bag.avi: pysot's masks, boxes and polygons."""
    from siamtrack_cli import convert as convert_cli
    from siamtrack_cli import track as track_cli

    weights = tmp_path / "siammask.pth"
    assert convert_cli.main([str(reference_dir / "pysot_siammask_r50_l3" / "weights.pth"), str(weights)]) == 0
    assert "pysot/siammask_r50_l3" in capsys.readouterr().out
    init = ",".join(str(v) for v in reference["track"]["init_box"])
    masks, video = tmp_path / "masks", tmp_path / "bag.avi"
    status = track_cli.main([
        "--config-file", CONFIG, "--video", str(reference["video"]), "--init-box", init, "--threads", "2",
        "--output-masks", str(masks), "--output-boxes", str(tmp_path / "bag.csv"), "--output-boxes",
        str(tmp_path / "bag.json"), "--output", str(video), "--max-frames", str(CLI_FRAMES + 1), "--no-progress",
        "MODEL.WEIGHTS", str(weights), "MODEL.DEVICE", "cpu"])
    assert status == 0, capsys.readouterr().err
    expected = reference["track"]
    assert sorted(p.name for p in masks.iterdir()) == [f"{i:06d}_0.png" for i in range(1, CLI_FRAMES + 1)]
    for i in range(1, CLI_FRAMES + 1):
        png = cv2.imread(str(masks / f"{i:06d}_0.png"), cv2.IMREAD_UNCHANGED)
        assert png.dtype == np.uint8 and set(np.unique(png)) <= {0, 255}
        assert ((png > 0) != reference["masks"][i - 1]).mean() <= MASK_FRACTION
    rows = [line.split(",") for line in (tmp_path / "bag.csv").read_text().splitlines()]
    assert rows[0][-8:] == ["x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4"] and rows[1][-8:] == [""] * 8
    polygons = np.array([[float(v) for v in row[-8:]] for row in rows[2:]])
    np.testing.assert_allclose(polygons, np.array(expected["polygons"][1:CLI_FRAMES + 1]), rtol=0, atol=POLYGON_TOL)
    boxes = np.array([[float(v) for v in row[2:6]] for row in rows[2:]])
    np.testing.assert_allclose(boxes, np.array(expected["boxes"][1:CLI_FRAMES + 1]), rtol=0, atol=BOX_TOL)
    frames = [json.loads(line.lstrip(",")) for line in (tmp_path / "bag.json").read_text().splitlines()[1:-1]]
    assert "polygon" not in frames[0]["targets"][0]
    assert frames[1]["targets"][0]["polygon"] == [float(v) for v in rows[2][-8:]]
    assert cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT) == CLI_FRAMES + 1


def test_output_masks_needs_a_mask_tracker(reference, tmp_path, capsys):
    from siamtrack_cli import track as track_cli

    status = track_cli.main(["--config-file", "pysot/siamrpn_alex_dwxcorr", "--video", str(reference["video"]),
                             "--init-box", "315,140,113,115", "--output-masks", str(tmp_path / "m"),
                             "--max-frames", "2", "--no-progress", "MODEL.DEVICE", "cpu"])
    assert status == 2 and "needs a mask tracker" in capsys.readouterr().err
