"""SiamMask in the ONNX export (``refine.onnx`` beside ``template.onnx`` / ``track.onnx``) and the
onnxruntime backend: the export is checked against PyTorch, and the backend tracks bag.avi within
the bounds of pysot's reference (boxes, polygons, masks)."""
import numpy as np
import pytest

from _siammask_reference import CONFIG, load_case
from siamtrack.config import load_config
from siamtrack.export import ExportError, OnnxSiamModel, export_onnx, read_manifest
from siamtrack.tracking import build_tracker

FRAMES = 5
BOX_TOL, POLYGON_TOL, MASK_FRACTION = 0.01, 0.05, 0.001


@pytest.fixture(scope="module")
def exported(reference_dir, bag_video, tmp_path_factory):
    case = load_case(reference_dir, bag_video, tmp_path_factory.mktemp("siammask_export"), FRAMES)
    root = case["weights"].parent
    case["cfg"] = load_config(CONFIG, ["MODEL.WEIGHTS", str(case["weights"]), "MODEL.DEVICE", "cpu"])
    case["manifest"] = export_onnx(case["cfg"], root / "export", check_crops=(case["io"]["template"], case["io"]["search"]))
    case["root"] = root
    return case


def test_export_holds_the_refine_graph_checked_against_pytorch(exported):
    manifest = read_manifest(exported["root"] / "export")
    assert manifest == exported["manifest"]
    assert (exported["root"] / "export" / "refine.onnx").is_file()
    assert list(manifest["graphs"]["refine"]["inputs"]) == ["p0", "p1", "p2", "p3"]
    report = manifest["check"]["max_relative_difference"]
    assert 0 <= report["mask_logits"] <= 1e-4 and report["corr@255"] <= 1e-4 and report["cls@255"] <= 1e-4
    assert set(manifest["graphs"]["track"]["outputs"]) == {"cls", "loc", "corr", "stem", "layer1", "layer2"}


def test_onnxruntime_backend_tracks_masks_like_pysot(exported):
    cfg = load_config(CONFIG, ["TRACK.BACKEND", "onnxruntime", "MODEL.WEIGHTS", str(exported["root"] / "export"),
                               "MODEL.DEVICE", "cpu"])
    tracker = build_tracker(cfg)
    assert isinstance(tracker.model, OnnxSiamModel) and tracker.model.refine is not None
    tracker.init(exported["frames"][0], exported["track"]["init_box"])
    for i, frame in enumerate(exported["frames"][1:], start=1):
        result = tracker.track(frame)
        np.testing.assert_allclose(result["bbox"], exported["track"]["boxes"][i], rtol=0, atol=BOX_TOL)
        np.testing.assert_allclose(result["polygon"], exported["track"]["polygons"][i], rtol=0, atol=POLYGON_TOL)
        assert (result["mask"] != exported["masks"][i - 1]).mean() <= MASK_FRACTION


def test_opencv_layout_refuses_siammask(exported, tmp_path):
    with pytest.raises(ExportError, match="mask branch"):
        export_onnx(exported["cfg"], tmp_path / "cv", layout="opencv")
