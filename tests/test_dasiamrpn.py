"""DaSiamRPN (docs/model.md, "DaSiamRPN"): the official variants' configs, the converter of the
official checkpoints, the ``opencv-dasiamrpn`` export and the tracker whose boxes are
``cv2.TrackerDaSiamRPN``'s on the same weights."""
import json

import cv2
import numpy as np
import pytest
import torch

from _dasiamrpn import official_state_dict, read_frames, seeded_model
from siamtrack.checkpoint import ConversionError, convert_pysot_file
from siamtrack.checkpoint.loading import load_weights
from siamtrack.config import load_config
from siamtrack.export import ExportError, export_onnx
from siamtrack.export.dasiamrpn import FILES, opencv_tracker
from siamtrack.modeling import SiamRPN
from siamtrack.tracking import DaSiamRPNTracker, build_tracker
from siamtrack.tracking.dasiamrpn import opencv_hann_window
from siamtrack_cli.export import main as export_main

# The official tracker values (foolwood/DaSiamRPN code/net.py) and OpenCV's (tracker_dasiamrpn.cpp).
VALUES = {"big": (0.055, 0.42, 0.295, 0.004), "vot": (0.04, 0.44, 0.45, 0.0), "otb": (0.22, 0.40, 0.30, 0.0),
          "opencv": (0.055, 0.43, 0.4, 0.0)}
BOX = (316, 138, 110, 118)  # the bag in the first frame of bag.avi
FRAMES = 101  # the init frame and 100 tracked frames
BOUND_PX = 1  # measured: 0 px over the 100 frames (docs/model.md, "DaSiamRPN")


@pytest.mark.parametrize("variant", sorted(VALUES))
def test_configs_hold_the_official_architecture_and_tracker_values(variant):
    cfg = load_config(f"dasiamrpn/siamrpn_{variant}")
    track = cfg.TRACK
    assert (track.PENALTY_K, track.WINDOW_INFLUENCE, track.LR, track.DASIAMRPN.SMALL_TARGET_AREA) == VALUES[variant]
    assert (track.TYPE, track.EXEMPLAR_SIZE, track.INSTANCE_SIZE, track.SCORE_SIZE_OFFSET) == ("DaSiamRPNTracker", 127,
                                                                                                 271, 0)
    assert track.DASIAMRPN.SMALL_INSTANCE_SIZE == 287
    assert track.DASIAMRPN.WINDOW == ("opencv" if variant == "opencv" else "hanning")
    assert cfg.MODEL.SIAM_ALEXNET.WIDTH_MULT == (2.0 if variant == "big" else 1.0)
    assert cfg.MODEL.SIAM_HEAD.NAME == "UpChannelRPNHead" and cfg.MODEL.SIAM_NECK.NAME == ""
    assert list(cfg.MODEL.SIAM_ANCHOR.RATIOS) == [0.33, 0.5, 1.0, 2.0, 3.0] and list(cfg.MODEL.SIAM_ANCHOR.SCALES) == [8]


@pytest.mark.parametrize("size,name,variant", [(2, "SiamRPNBIG.model", "big"), (1, "SiamRPNVOT.model", "vot"),
                                               (1, "SiamRPNOTB.model", "otb")])
def test_official_checkpoints_convert_and_compute_what_the_official_net_computes(tmp_path, size, name, variant):
    state, official = official_state_dict(size)
    source = tmp_path / name
    torch.save(state, source, _use_new_zipfile_serialization=False)  # PyTorch 0.3 wrote the legacy format
    count, config = convert_pysot_file(source, tmp_path / "converted.pth")
    assert config == f"dasiamrpn/siamrpn_{variant}.yaml" and count == 45  # + 5 num_batches_tracked
    model = SiamRPN(load_config(config)).eval()
    load_weights(model, str(tmp_path / "converted.pth"))
    z, x = torch.rand(1, 3, 127, 127) * 255, torch.rand(1, 3, 271, 271) * 255
    with torch.no_grad():
        box, cls = official.outputs(z, x)
        out = model.track(x, model.template(z))
    assert out["cls"].shape == (1, 10, 19, 19)
    torch.testing.assert_close(out["loc"], box, rtol=1e-4, atol=1e-4 * float(box.abs().max()))
    torch.testing.assert_close(out["cls"], cls, rtol=1e-4, atol=1e-4 * float(cls.abs().max()))


def test_other_checkpoints_with_official_names_are_refused_in_one_line(tmp_path):
    state, _ = official_state_dict(1)
    wide = dict(state, **{"conv_r1.weight": torch.zeros(100, 256, 3, 3)})
    extra = dict(state, **{"mask.weight": torch.zeros(1)})
    for index, (bad, reason) in enumerate([(wide, "unknown width"), (extra, "unexpected key 'mask.weight'")]):
        path = tmp_path / f"bad{index}.model"
        torch.save(bad, path)
        with pytest.raises(ConversionError, match=reason) as info:
            convert_pysot_file(path, tmp_path / f"out{index}.pth")
        assert "\n" not in str(info.value)


@pytest.fixture(scope="module")
def bag_frames(bag_video):
    return read_frames(bag_video, FRAMES)


@pytest.fixture(scope="module")
def exported(bag_frames, tmp_path_factory):
    cfg = load_config("dasiamrpn/siamrpn_opencv", ["TRACK.FUSE_CONV_BN", "False"])
    model = seeded_model(cfg, bag_frames[0])
    folder = tmp_path_factory.mktemp("dasiamrpn") / "export"
    manifest = export_onnx(model, folder, cfg=cfg, layout="opencv-dasiamrpn", opset=11)
    return cfg, model, folder, manifest


def test_export_writes_the_three_files_opencv_names(exported):
    _, _, folder, manifest = exported
    onnx = pytest.importorskip("onnx")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES.values(), "model.json"])
    params = cv2.TrackerDaSiamRPN_Params()
    assert {params.model, params.kernel_r1, params.kernel_cls1} == set(FILES.values())
    graph = onnx.load(str(folder / FILES["model"])).graph
    assert [o.name for o in graph.output] == ["66", "68"]
    named = {n.name: tuple(n.output) for n in graph.node if n.name.startswith("onnx_node_output_0!")}
    assert named == {"onnx_node_output_0!63": ("63",), "onnx_node_output_0!65": ("65",),
                     "onnx_node_output_0!68": ("68",)}
    assert max(manifest["check"]["max_relative_difference"].values()) < 1e-4
    assert json.loads((folder / "model.json").read_text())["layout"] == "opencv-dasiamrpn"


def test_opencv_tracker_gives_the_boxes_of_the_dasiamrpn_tracker(exported, bag_frames):
    cfg, model, folder, _ = exported
    ours, theirs = build_tracker(cfg, model), opencv_tracker(folder)
    assert isinstance(ours, DaSiamRPNTracker)
    ours.init(bag_frames[0], BOX)
    theirs.init(bag_frames[0], BOX)
    worst, moved = 0, 0
    for frame in bag_frames[1:]:
        result = ours.track(frame)
        ok, box = theirs.update(frame)
        assert ok
        worst = max(worst, max(abs(a - b) for a, b in zip(ours.opencv_box(), box)))
        moved = max(moved, abs(box[0] - BOX[0]) + abs(box[1] - BOX[1]))
        assert result["score"] == pytest.approx(theirs.getTrackingScore(), abs=1e-4)
    assert worst <= BOUND_PX
    assert moved > 20  # the boxes did move: the comparison is not of boxes stuck at the init box


def test_the_window_is_opencvs_or_the_official_one(bag_frames):
    window = opencv_hann_window(19, 5)
    assert window.shape == (5 * 361,) and window.dtype == np.float32
    assert np.array_equal(window[:361].reshape(19, 19), cv2.createHanningWindow((19, 19), cv2.CV_32F))
    official = np.outer(np.hanning(19), np.hanning(19))
    assert np.allclose(window[:361] ** 2, official.reshape(-1), atol=1e-6)  # OpenCV's is the square root


def test_small_targets_are_searched_on_the_larger_region(bag_frames):
    cfg = load_config("dasiamrpn/siamrpn_vot", ["TRACK.DASIAMRPN.SMALL_TARGET_AREA", "0.004"])
    tracker = build_tracker(cfg, seeded_model(cfg, bag_frames[0]))
    frame = bag_frames[0]
    small = (200, 150, 20, 20)  # 400 px^2 < 0.004 x 480 x 360
    tracker.init(frame, [small, BOX])
    assert [t.instance_size for t in tracker._targets.values()] == [287, 271]
    results = tracker.track(bag_frames[1])  # 21x21 and 19x19 maps in one frame
    assert len(results) == 2 and all(np.isfinite(r["bbox"]).all() for r in results)


def test_the_big_model_cannot_go_into_opencvs_tracker(tmp_path):
    cfg = load_config("dasiamrpn/siamrpn_big")
    with pytest.raises(ExportError, match="hard-codes 256 correlation channels .*this model has 512") as info:
        export_onnx(cfg, tmp_path / "big", layout="opencv-dasiamrpn")
    assert "\n" not in str(info.value) and not (tmp_path / "big").exists()


def test_an_official_checkpoint_converts_tracks_and_exports_for_opencv(tmp_path, capsys, bag_frames):
    state, _ = official_state_dict(1)
    torch.save(state, tmp_path / "SiamRPNOTB.model", _use_new_zipfile_serialization=False)
    _, config = convert_pysot_file(tmp_path / "SiamRPNOTB.model", tmp_path / "otb.pth")
    tracker = build_tracker(load_config(config, ["MODEL.WEIGHTS", str(tmp_path / "otb.pth")]))
    tracker.init(bag_frames[0], BOX)
    assert all(np.isfinite(tracker.track(frame)["bbox"]).all() for frame in bag_frames[1:3])
    status = export_main(["--config-file", config, "--output", str(tmp_path / "otb"), "--layout", "opencv-dasiamrpn",
                          "MODEL.WEIGHTS", str(tmp_path / "otb.pth")])
    assert status == 0
    assert "dasiamrpn_model.onnx, dasiamrpn_kernel_r1.onnx, dasiamrpn_kernel_cls1.onnx" in capsys.readouterr().out
    theirs = opencv_tracker(tmp_path / "otb")
    theirs.init(bag_frames[0], BOX)
    assert theirs.update(bag_frames[1])[0]
