"""ONNX export (siamtrack layout) and OnnxSiamModel: outputs equal PyTorch's, dynamic batch and
search size, model.json, the checks that refuse a wrong export, and tracking bag.avi."""
import json
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO_ROOT
from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file
from siamtrack.config import load_config
from siamtrack.export import (
    ExportError, OnnxSiamModel, export_onnx, graphs, model_from_config,
    read_manifest, relative_difference,
)
from siamtrack.modeling import concat_states
from siamtrack.modeling.heads.rpn import xcorr_depthwise
from siamtrack.tracking.tracker import SiamRPNTracker
from siamtrack.utils.extras import MissingExtraError
from siamtrack.utils.errors import InputError

ALEX = REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml"
MOBILE = REPO_ROOT / "configs" / "pysot" / "siamrpn_mobilev2_l234_dwxcorr.yaml"
TINY = REPO_ROOT / "configs" / "quickstart_synthetic.yaml"
TOL, BOX_TOL, SCORE_TOL = 1e-4, 0.01, 1e-4


@pytest.fixture(scope="module")
def alex(reference_dir, tmp_path_factory):
    """The reference AlexNet weights converted, its config, io.npz and a siamtrack-layout export."""
    folder = reference_dir / "pysot_siamrpn_alex_dwxcorr"
    checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(folder / "weights.pth"), ALEX)
    root = tmp_path_factory.mktemp("alex")
    torch.save(checkpoint, root / "alex.pth")
    cfg = load_config(str(ALEX), ["MODEL.WEIGHTS", str(root / "alex.pth"), "MODEL.DEVICE", "cpu"])
    io = np.load(folder / "io.npz")
    export_onnx(cfg, root / "export", check_crops=(io["template"], io["search"]))
    return {"cfg": cfg, "io": io, "export": root / "export", "model": model_from_config(cfg),
            "track": json.loads((folder / "track.json").read_text()), "root": root}


def _torch_outputs(model, z, x):
    with torch.no_grad():
        return model.track(x, model.template(z))


def _batch(io, size, count, seed=0):
    """The reference crops plus ``count - 1`` crops of the same frames, shifted and flipped."""
    z, x = torch.from_numpy(io["template"]), torch.from_numpy(io["search"])
    zs, xs = [z], [x[..., :size, :size]]
    for i in range(1, count):
        zs.append(torch.roll(z, shifts=3 * i, dims=-1).flip(-2))
        xs.append(torch.roll(x, shifts=5 * i, dims=-2)[..., -size:, -size:].flip(-1))
    return torch.cat(zs).contiguous(), torch.cat(xs).contiguous()


def _assert_close(actual, expected, what):
    for key in expected:
        rel = relative_difference(actual[key].numpy(), expected[key].numpy())
        assert rel <= TOL, f"{what} {key}: relative difference {rel:.3g}"


def test_alexnet_onnxruntime_reproduces_pysot_outputs(alex):
    model = OnnxSiamModel(alex["export"])
    io = alex["io"]
    out = model.track(torch.from_numpy(io["search"]), model.template(torch.from_numpy(io["template"])))
    for key in ("cls", "loc"):  # pysot's own outputs for the crops, as test_reference_alexnet.py
        assert isinstance(out[key], torch.Tensor) and out[key].dtype == torch.float32
        assert relative_difference(out[key].numpy(), io[key]) <= TOL


@pytest.mark.parametrize("size", [287, 255])
def test_dynamic_batch_and_search_size_equal_pytorch(alex, size):
    """Batch 3 (traced at batch 1) and a search size other than the traced 287."""
    z, x = _batch(alex["io"], size, 3)
    model = OnnxSiamModel(alex["export"])
    state = model.template(z)
    assert state["kernels"]["cls"].shape == (3, 256, 4, 4)
    out = model.track(x, state)
    assert out["cls"].shape == (3, 10, (size - 127) // 8 + 1, (size - 127) // 8 + 1)
    _assert_close(out, _torch_outputs(alex["model"], z, x), f"batch 3 at {size}")
    single = model.track(x[1:2], model.template(z[1:2]))  # one sample alone gives its batch entry
    _assert_close(single, {key: value[1:2] for key, value in out.items()}, "sample 1 alone")


def test_model_json_describes_the_graphs(alex):
    import onnx

    manifest = read_manifest(alex["export"])
    cfg = alex["cfg"]
    assert manifest["layout"] == "siamtrack" and manifest["config"]["TRACK"]["INSTANCE_SIZE"] == 287
    assert manifest["config"]["TRACK"]["PENALTY_K"] == cfg.TRACK.PENALTY_K
    assert manifest["config"]["MODEL"]["SIAM_ANCHOR"] == {"STRIDE": 8, "RATIOS": [0.33, 0.5, 1.0, 2.0, 3.0],
                                                         "SCALES": [8]}
    assert manifest["template_state"] == {"kernels": {"cls": "kernels.cls", "loc": "kernels.loc"}}
    for part, graph in manifest["graphs"].items():
        proto = onnx.load(str(alex["export"] / graph["file"]))
        assert [i.name for i in proto.graph.input] == list(graph["inputs"]), part
        assert [o.name for o in proto.graph.output] == list(graph["outputs"]), part
        dims = [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in proto.graph.input]
        assert dims == list(graph["inputs"].values()), part
    check = manifest["check"]
    assert check["runtime"] == "onnxruntime" and check["batch"] == 2 and check["tolerance"] == TOL
    assert 0 < max(check["max_relative_difference"].values()) <= TOL
    assert sorted(p.name for p in alex["export"].iterdir()) == ["model.json", "template.onnx", "track.onnx"]


@pytest.fixture(scope="module")
def onnx_run(alex, bag_video):
    """Boxes and scores of today's SiamRPNTracker around OnnxSiamModel, frames 1..100 of bag.avi."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        capture = cv2.VideoCapture(str(bag_video))
        frames = [capture.read()[1] for _ in range(len(alex["track"]["boxes"]))]
        capture.release()
        tracker = SiamRPNTracker(OnnxSiamModel(alex["export"], threads=1), alex["cfg"])
        tracker.init(frames[0], alex["track"]["init_box"])
        outputs = [tracker.track(frame) for frame in frames[1:]]
    finally:
        torch.set_num_threads(threads)
    return frames, np.array([o["bbox"] for o in outputs]), np.array([o["score"] for o in outputs])


def test_tracker_around_onnx_model_follows_pysot_trajectory(alex, onnx_run):
    _, boxes, scores = onnx_run
    expected = alex["track"]
    assert boxes.shape == (100, 4)
    np.testing.assert_allclose(boxes, np.array(expected["boxes"][1:]), rtol=0, atol=BOX_TOL)
    np.testing.assert_allclose(scores, np.array(expected["scores"][1:], dtype=np.float64), rtol=0, atol=SCORE_TOL)


def test_tracker_batches_targets_through_onnx_model(alex, onnx_run):
    """Two targets: their states concatenate and run as one batch of 2, each as if alone."""
    frames, boxes, _ = onnx_run
    model = OnnxSiamModel(alex["export"])
    assert concat_states([model.template(torch.zeros(1, 3, 127, 127))] * 2)["kernels"]["cls"].shape[0] == 2
    tracker = SiamRPNTracker(model, alex["cfg"])
    tracker.init(frames[0], [alex["track"]["init_box"], [100, 200, 60, 50]])
    for i, frame in enumerate(frames[1:4]):
        first = tracker.track_targets(frame)[0]
        np.testing.assert_allclose(first["bbox"], boxes[i], rtol=0, atol=BOX_TOL)


def _tiny_cfg(head, tmp_path):
    opts = ["MODEL.SIAM_HEAD.NAME", head, "MODEL.DEVICE", "cpu", "OUTPUT_DIR", str(tmp_path)]
    if head == "MultiRPNHead":  # three levels, softmax-weighted: a slim MobileNetV2 with a small neck
        opts += ["MODEL.BACKBONE.NAME", "build_siam_mobilenetv2_backbone", "MODEL.SIAM_MOBILENETV2.WIDTH_MULT",
                 "0.35", "MODEL.SIAM_NECK.NAME", "AdjustNeck", "MODEL.SIAM_NECK.OUT_CHANNELS", "[32, 32, 32]",
                 "MODEL.SIAM_HEAD.WEIGHTED", "True"]
    return load_config(str(TINY), opts)


@pytest.mark.parametrize("head", ["DepthwiseRPNHead", "UpChannelRPNHead", "SiamFCHead", "MultiRPNHead"])
def test_every_head_exports_with_dynamic_batch(alex, head, tmp_path):
    torch.manual_seed(0)
    cfg = _tiny_cfg(head, tmp_path)
    model = model_from_config(cfg)
    manifest = export_onnx(model, tmp_path / "export", cfg=cfg)
    assert manifest["config"]["MODEL"]["SIAM_HEAD"]["NAME"] == head
    z, x = _batch(alex["io"], 255, 3)
    out = OnnxSiamModel(tmp_path / "export").track(x, OnnxSiamModel(tmp_path / "export").template(z))
    expected = _torch_outputs(model, z, x)
    assert sorted(out) == sorted(expected) == (["score"] if head == "SiamFCHead" else ["cls", "loc"])
    _assert_close(out, expected, head)


def test_mobilenetv2_export_equals_pytorch(alex, tmp_path):
    """The export's own check, given batch 3 of real crops, is ONNX Runtime against PyTorch."""
    torch.manual_seed(0)
    cfg = load_config(str(MOBILE), ["MODEL.DEVICE", "cpu"])
    manifest = export_onnx(cfg, tmp_path / "mobile", check_crops=_batch(alex["io"], 255, 3))
    assert [list(level) for level in manifest["template_state"]["kernels"]] == [["cls", "loc"]] * 3
    check = manifest["check"]
    assert check["batch"] == 3 and check["search_sizes"] == [255] and len(check["max_relative_difference"]) == 8
    assert 0 < max(check["max_relative_difference"].values()) <= TOL


def test_wrong_export_is_refused_and_leaves_nothing(alex, monkeypatch, tmp_path):
    """A correlation off by 1% fails the comparison; PyTorch's own grouped-conv correlation does
    not export with a dynamic batch. Neither leaves a folder behind."""
    cfg = _tiny_cfg("DepthwiseRPNHead", tmp_path)
    model = model_from_config(cfg)
    exact = graphs.xcorr_depthwise_shifted
    for i, (wrong, message) in enumerate(((lambda x, k: exact(x, k) * 1.01, "differs from PyTorch's"),
                                          (xcorr_depthwise, "cannot export track.onnx"))):
        monkeypatch.setattr(graphs, "xcorr_depthwise_shifted", wrong)
        parent = tmp_path / f"out{i}"
        parent.mkdir()
        with pytest.raises(ExportError, match=message) as info:
            export_onnx(model, parent / "export", cfg=cfg)
        assert "\n" not in str(info.value)
        assert list(parent.iterdir()) == []


def test_existing_output_is_kept_unless_overwritten(alex, tmp_path):
    cfg = _tiny_cfg("DepthwiseRPNHead", tmp_path)
    model = model_from_config(cfg)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    for overwrite in (False, True):  # not an export: refused even with overwrite
        with pytest.raises(ExportError, match="taken"):
            export_onnx(model, tmp_path / "taken", cfg=cfg, overwrite=overwrite)
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
    first = export_onnx(model, tmp_path / "export", cfg=cfg)
    with pytest.raises(ExportError, match="exists"):
        export_onnx(model, tmp_path / "export", cfg=cfg, layout="siamtrack")
    second = export_onnx(model, tmp_path / "export", cfg=cfg, opset=13, overwrite=True)
    assert (first["opset"], second["opset"], read_manifest(tmp_path / "export")["opset"]) == (17, 13, 13)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "taken"]  # no temporary folders left


@pytest.mark.parametrize("kwargs,message", [
    ({"layout": "tensorrt"}, "unknown layout"), ({"opset": 9}, "opset must be"),
    ({"cfg": None}, "needs its config"), ({"layout": "opencv"}, "opencv layout needs a depthwise"),
])
def test_bad_arguments_give_one_line_errors(alex, kwargs, message, tmp_path):
    cfg = _tiny_cfg("UpChannelRPNHead", tmp_path)
    with pytest.raises(ExportError, match=message) as info:
        export_onnx(model_from_config(cfg), tmp_path / "export", **{"cfg": cfg, **kwargs})
    assert isinstance(info.value, InputError) and "\n" not in str(info.value)
    assert not (tmp_path / "export").exists()


def test_weights_of_another_architecture_are_refused(alex, tmp_path):
    cfg = load_config(str(MOBILE), ["MODEL.WEIGHTS", str(alex["root"] / "alex.pth")])
    with pytest.raises(ExportError, match="MODEL.WEIGHTS .*does not match the model"):
        export_onnx(cfg, tmp_path / "export")


@pytest.mark.parametrize("module", ["onnx", "onnxruntime"])
def test_missing_extra_names_it(alex, module, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(MissingExtraError, match="needs the 'onnx' extra") as info:
        export_onnx(alex["cfg"], tmp_path / "export")
    assert str(info.value).endswith("pip install 'siamtrack[onnx]'") and "\n" not in str(info.value)
    if module == "onnxruntime":
        with pytest.raises(MissingExtraError, match=r"pip install 'siamtrack\[onnx\]'"):
            OnnxSiamModel(alex["export"])


def test_onnx_model_refuses_other_folders(alex, tmp_path):
    for folder, message in ((tmp_path / "none", "no such folder"), (tmp_path, "has no model.json")):
        with pytest.raises(ExportError, match=message):
            OnnxSiamModel(folder)
    (tmp_path / "model.json").write_text("{broken")
    with pytest.raises(ExportError, match="cannot read"):
        OnnxSiamModel(tmp_path)
