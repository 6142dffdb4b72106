"""ONNX export, opencv layout: the ResNet-50 SiamRPN++ nets run in OpenCV's dnn module as OpenCV's
SiamRPN++ sample feeds them and equal PyTorch's outputs; docs/deploy.md's OpenCV-only tracker
follows pysot's trajectory on bag.avi."""
import json
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO_ROOT
from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file
from siamtrack.config import load_config
from siamtrack.export import ExportError, export_onnx, model_from_config, read_manifest, relative_difference

R50 = REPO_ROOT / "configs" / "pysot" / "siamrpn_r50_l234_dwxcorr.yaml"
R50_LT = REPO_ROOT / "configs" / "pysot" / "siamrpn_r50_l234_dwxcorr_lt.yaml"
ALEX = REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml"
TOL, BOX_TOL = 1e-4, 0.01
EXAMPLE_FRAMES = 12


@pytest.fixture(scope="module")
def io(reference_dir):
    return np.load(reference_dir / "pysot_siamrpn_alex_dwxcorr" / "io.npz")


def _centre(crop, size):
    """The centre ``size`` x ``size`` of a (1, 3, S, S) crop."""
    offset = (crop.shape[-1] - size) // 2
    return np.ascontiguousarray(crop[..., offset:offset + size, offset:offset + size])


@pytest.fixture(scope="module")
def r50(io, tmp_path_factory):
    """A ResNet-50 SiamRPN++ (random weights) and its opencv-layout export, checked on real crops."""
    torch.manual_seed(0)
    cfg = load_config(str(R50), ["MODEL.DEVICE", "cpu"])
    model = model_from_config(cfg)
    folder = tmp_path_factory.mktemp("r50") / "opencv"
    manifest = export_onnx(model, folder, cfg=cfg, layout="opencv",
                           check_crops=(io["template"], _centre(io["search"], 255)))
    return {"model": model, "folder": folder, "manifest": manifest}


def test_resnet50_opencv_nets_equal_pytorch_in_cv2_dnn(r50, io):
    """Fed as OpenCV's sample does: three template maps stacked as the head's input_1, the three
    search maps as input_2, outputs cls and loc."""
    folder, model = r50["folder"], r50["model"]
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "rpn_head.onnx", "search_net.onnx",
                                                        "target_net.onnx"]
    z, x = io["template"], _centre(io["search"], 255)
    nets = {name: cv2.dnn.readNetFromONNX(str(folder / f"{name}.onnx"))
            for name in ("target_net", "search_net", "rpn_head")}
    outs = {}
    for name, crop in (("target_net", z), ("search_net", x)):
        nets[name].setInput(crop)
        outs[name] = nets[name].forward(nets[name].getUnconnectedOutLayersNames())
    assert [f.shape for f in outs["target_net"]] == [(1, 256, 7, 7)] * 3
    assert [f.shape for f in outs["search_net"]] == [(1, 256, 31, 31)] * 3
    head = nets["rpn_head"]
    head.setInput(np.stack(outs["target_net"]), "input_1")
    head.setInput(np.stack(outs["search_net"]), "input_2")
    cls, loc = head.forward(head.getUnconnectedOutLayersNames())
    with torch.no_grad():
        expected = model.track(torch.from_numpy(x), model.template(torch.from_numpy(z)))
    assert cls.shape == (1, 10, 25, 25) and loc.shape == (1, 20, 25, 25)
    for key, actual in (("cls", cls), ("loc", loc)):
        assert relative_difference(actual, expected[key].numpy()) <= TOL, key
    graphs = read_manifest(folder)["graphs"]
    assert graphs["rpn_head"]["inputs"] == {"input_1": [3, 1, 256, 7, 7], "input_2": [3, 1, 256, 31, 31]}
    assert list(graphs["rpn_head"]["outputs"]) == ["cls", "loc"]
    assert r50["manifest"]["check"]["runtime"] == "opencv"


def test_levels_of_different_shapes_need_the_siamtrack_layout(tmp_path):
    cfg = load_config(str(R50_LT), ["MODEL.DEVICE", "cpu"])  # neck levels of 128 / 256 / 512 channels
    with pytest.raises(ExportError, match="levels of equal shape.*siamtrack layout"):
        export_onnx(cfg, tmp_path / "lt", layout="opencv")
    assert list(tmp_path.iterdir()) == []


def test_opencv_layout_needs_crops_of_the_instance_size(io, tmp_path):
    cfg = load_config(str(ALEX), ["MODEL.DEVICE", "cpu"])
    with pytest.raises(ExportError, match=r"must be \(N, 3, 287, 287\)"):
        export_onnx(cfg, tmp_path / "alex", layout="opencv", check_crops=(io["template"], _centre(io["search"], 255)))


def _docs_example():
    text = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- example: opencv-tracker -->\n```python\n(.*?)```", text, re.S)
    assert match, "docs/deploy.md lost its OpenCV tracker example"
    return match.group(1)


def test_docs_opencv_tracker_follows_pysot_trajectory(reference_dir, bag_video, io, tmp_path):
    """docs/deploy.md's cv2 + NumPy tracker on the AlexNet reference model's opencv export."""
    folder = reference_dir / "pysot_siamrpn_alex_dwxcorr"
    checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(folder / "weights.pth"), ALEX)
    torch.save(checkpoint, tmp_path / "alex.pth")
    cfg = load_config(str(ALEX), ["MODEL.WEIGHTS", str(tmp_path / "alex.pth"), "MODEL.DEVICE", "cpu"])
    export_onnx(cfg, tmp_path / "alex_opencv", layout="opencv", check_crops=(io["template"], io["search"]))
    script = tmp_path / "track_opencv.py"
    script.write_text(_docs_example(), encoding="utf-8")
    track = json.loads((folder / "track.json").read_text())
    init = ",".join(f"{v:g}" for v in track["init_box"])
    result = subprocess.run([sys.executable, str(script), str(tmp_path / "alex_opencv"), str(bag_video), init,
                             str(EXAMPLE_FRAMES)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = np.array([[float(v) for v in line.split(",")] for line in result.stdout.split()])
    assert rows.shape == (EXAMPLE_FRAMES, 5)
    np.testing.assert_allclose(rows[:, :4], np.array(track["boxes"][1:EXAMPLE_FRAMES + 1]), rtol=0, atol=BOX_TOL)
    np.testing.assert_allclose(rows[:, 4], np.array(track["scores"][1:EXAMPLE_FRAMES + 1]), rtol=0, atol=1e-4)
