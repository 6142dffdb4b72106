"""TRACK.BACKEND: torch and onnxruntime through build_tracker and siamtrack-track; an exported
folder as MODEL.WEIGHTS, its check against the config, pysot's AlexNet trajectory within 0.01 px,
the one-line refusals; and the channels-last weights of the torch backend changing no bit."""
import json
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO_ROOT
from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file
from siamtrack.config import load_config
from siamtrack.export import ExportError, OnnxSiamModel, export_onnx
from siamtrack.modeling import SiamRPN, fuse_conv_bn, keep_weights_channels_last
from siamtrack.modeling.inference_layout import LayoutAwareConv2d
from siamtrack.tracking import build_tracker
from siamtrack.utils.errors import InputError
from siamtrack.utils.extras import MissingExtraError
from siamtrack_cli import track as track_cli

ALEX = REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml"
BOX_TOL, SCORE_TOL = 0.01, 1e-4


@pytest.fixture(scope="module")
def alex(reference_dir, bag_video, tmp_path_factory):
    """The reference AlexNet as a checkpoint and as an export, its trajectory and 101 frames."""
    folder = reference_dir / "pysot_siamrpn_alex_dwxcorr"
    root = tmp_path_factory.mktemp("backends")
    checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(folder / "weights.pth"), ALEX)
    torch.save(checkpoint, root / "alex.pth")
    cfg = load_config(str(ALEX), ["MODEL.WEIGHTS", str(root / "alex.pth"), "MODEL.DEVICE", "cpu"])
    io = np.load(folder / "io.npz")
    export_onnx(cfg, root / "export", check_crops=(io["template"], io["search"]))
    track = json.loads((folder / "track.json").read_text())
    capture = cv2.VideoCapture(str(bag_video))
    frames = [capture.read()[1] for _ in range(len(track["boxes"]))]
    capture.release()
    return {"root": root, "pth": root / "alex.pth", "export": root / "export", "track": track,
            "frames": frames, "video": bag_video}


def onnx_cfg(alex, *opts):
    return load_config(str(ALEX), ["TRACK.BACKEND", "onnxruntime", "MODEL.WEIGHTS", str(alex["export"]),
                                   "MODEL.DEVICE", "cpu", *opts])


def test_backend_selects_the_model(alex):
    assert isinstance(build_tracker(onnx_cfg(alex)).model, OnnxSiamModel)
    torch_cfg = load_config(str(ALEX), ["MODEL.WEIGHTS", str(alex["pth"]), "MODEL.DEVICE", "cpu"])
    assert torch_cfg.TRACK.BACKEND == "torch"
    assert isinstance(build_tracker(torch_cfg).model, SiamRPN)
    with pytest.raises(InputError, match=r"^unknown TRACK.BACKEND 'tensorrt'; choose one of torch, onnxruntime$"):
        build_tracker(load_config(str(ALEX), ["TRACK.BACKEND", "tensorrt"]))


def test_onnxruntime_backend_follows_pysot_trajectory(alex):
    """100 frames of bag.avi through build_tracker: every box within 0.01 px of pysot's."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the backend takes torch's thread count for ONNX Runtime
    try:
        tracker = build_tracker(onnx_cfg(alex))
        tracker.init(alex["frames"][0], alex["track"]["init_box"])
        outputs = [tracker.track(frame) for frame in alex["frames"][1:]]
    finally:
        torch.set_num_threads(threads)
    assert tracker.device.type == "cpu" and tracker.input_dtype == torch.float32
    boxes = np.array([o["bbox"] for o in outputs])
    expected = np.array(alex["track"]["boxes"][1:])
    error = np.abs(boxes - expected).max(axis=1)
    worst = int(np.argmax(error))
    print(f"onnxruntime backend: worst frame {worst + 1}, {error[worst]:.5f} px")
    assert boxes.shape == (100, 4)
    assert error[worst] <= BOX_TOL, f"frame {worst + 1} is {error[worst]:.4f} px off"
    np.testing.assert_allclose([o["score"] for o in outputs], np.array(alex["track"]["scores"][1:], dtype=float),
                               rtol=0, atol=SCORE_TOL)


def test_track_cli_runs_an_exported_folder(alex, tmp_path, capsys, monkeypatch):
    """siamtrack-track with TRACK.BACKEND onnxruntime: the boxes of the API, and no PyTorch model built."""
    import siamtrack.tracking.build as build

    monkeypatch.setattr(build, "build_model", lambda cfg: pytest.fail("the PyTorch model was built"))
    out = tmp_path / "boxes.txt"
    x, y, w, h = alex["track"]["init_box"]
    status = track_cli.main(["--config-file", str(ALEX), "--video", str(alex["video"]), "--init-box",
                             f"{x},{y},{w},{h}", "--max-frames", "6", "--output-boxes", str(out), "--no-progress",
                             "TRACK.BACKEND", "onnxruntime", "MODEL.WEIGHTS", str(alex["export"]),
                             "MODEL.DEVICE", "cpu"])
    assert status == 0, capsys.readouterr().err
    rows = np.loadtxt(out, delimiter=",", ndmin=2)
    assert rows.shape == (6, 4)
    np.testing.assert_allclose(rows[1:], np.array(alex["track"]["boxes"][1:6]), rtol=0, atol=BOX_TOL)


def test_export_that_disagrees_with_the_config_is_one_line(alex):
    with pytest.raises(ExportError) as info:
        build_tracker(onnx_cfg(alex, "MODEL.SIAM_ANCHOR.RATIOS", "[0.5, 1.0, 2.0]"))
    message = str(info.value)
    assert "\n" not in message
    assert message == (f"MODEL.WEIGHTS {alex['export']} was exported with MODEL.SIAM_ANCHOR.RATIOS "
                       "[0.33, 0.5, 1.0, 2.0, 3.0] but the config has [0.5, 1.0, 2.0]: use the config of "
                       "that export (its model.json) or export again")
    with pytest.raises(ExportError, match="TRACK.EXEMPLAR_SIZE 127 but the config has 111"):
        build_tracker(onnx_cfg(alex, "TRACK.EXEMPLAR_SIZE", "111"))
    # tracker hyper-parameters are the config's own
    assert build_tracker(onnx_cfg(alex, "TRACK.PENALTY_K", "0.3")).penalty_k == 0.3


def test_checkpoint_or_folder_on_the_wrong_backend_is_one_line(alex):
    cfg = onnx_cfg(alex, "MODEL.WEIGHTS", str(alex["pth"]))
    with pytest.raises(ExportError, match=r"needs MODEL.WEIGHTS to name a folder exported by siamtrack-export.*"
                                          r"export first") as info:
        build_tracker(cfg)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="is an ONNX export: track it with TRACK.BACKEND onnxruntime"):
        build_tracker(load_config(str(ALEX), ["MODEL.WEIGHTS", str(alex["export"]), "MODEL.DEVICE", "cpu"]))


def test_missing_extra_names_it(alex, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(MissingExtraError) as info:
        build_tracker(onnx_cfg(alex))
    assert "needs the 'onnx' extra (" in str(info.value) and "\n" not in str(info.value)
    x, y, w, h = alex["track"]["init_box"]
    status = track_cli.main(["--config-file", str(ALEX), "--video", str(alex["video"]), "--init-box",
                             f"{x},{y},{w},{h}", "--max-frames", "2", "--no-progress", "--output-boxes",
                             str(alex["root"] / "missing_extra.csv"), "TRACK.BACKEND",
                             "onnxruntime", "MODEL.WEIGHTS", str(alex["export"])])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "needs the 'onnx' extra (" in err[0]
    assert err[0].endswith("): pip install 'siamtrack[onnx]'")


@pytest.mark.parametrize("threads", [1, 2])
def test_channels_last_weights_change_no_bit(threads):
    """The prepared torch model's k x k weights stored channels-last: template (NCHW crops) and
    search (crops with OpenCV's channels-last strides) outputs equal the plain fused model's."""
    cfg = load_config(str(REPO_ROOT / "configs" / "pysot" / "siamrpn_mobilev2_l234_dwxcorr.yaml"),
                      ["MODEL.DEVICE", "cpu", "MODEL.SIAM_MOBILENETV2.WIDTH_MULT", "0.5"])
    torch.manual_seed(0)
    plain = SiamRPN(cfg).eval()
    fuse_conv_bn(plain)
    laid_out = SiamRPN(cfg).eval()
    fuse_conv_bn(laid_out)
    laid_out.load_state_dict(plain.state_dict())
    assert keep_weights_channels_last(laid_out) > 0
    convs = [m for m in laid_out.modules() if isinstance(m, LayoutAwareConv2d)]
    assert all(m.weight.is_contiguous(memory_format=torch.channels_last) and m.kernel_size != (1, 1) for m in convs)
    assert laid_out.state_dict().keys() == plain.state_dict().keys()
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.integers(0, 256, (2, 3, 127, 127)).astype(np.float32))
    hwc = rng.integers(0, 256, (2, 255, 255, 3)).astype(np.uint8)
    x = torch.from_numpy(hwc.transpose(0, 3, 1, 2).astype(np.float32))  # as opencv_crops makes them
    assert x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            ours, theirs = laid_out.template(z), plain.template(z)
            for a, b in zip(torch.utils._pytree.tree_leaves(ours), torch.utils._pytree.tree_leaves(theirs)):
                assert torch.equal(a, b)
            out, expected = laid_out.track(x, theirs), plain.track(x, theirs)
    finally:
        torch.set_num_threads(before)
    for key in ("cls", "loc"):
        assert torch.equal(out[key], expected[key]), key


def test_bf16_runs_the_network_in_bfloat16_on_the_cpu_and_is_off_by_default(alex):
    """TRACK.BF16: the network's outputs come from bfloat16 arithmetic (so they differ from the
    float32 ones, a little), reach the tracker as float32, and the tracker still follows the
    bag; off by default, which keeps pysot's numbers."""
    cfg = load_config(str(ALEX), ["MODEL.WEIGHTS", str(alex["pth"]), "MODEL.DEVICE", "cpu"])
    assert cfg.TRACK.BF16 is False
    exact = build_tracker(cfg)
    assert not exact.cpu_bf16
    cfg.defrost()
    cfg.TRACK.BF16 = True
    fast = build_tracker(cfg, exact.model)
    assert fast.cpu_bf16
    frames, init_box = alex["frames"], alex["track"]["init_box"]
    for tracker in (exact, fast):
        tracker.init(frames[0], init_box)
    leaves = torch.utils._pytree.tree_leaves(fast._targets[0].state)
    assert leaves and any(v.dtype == torch.bfloat16 for v in leaves)
    crops = torch.rand(1, 3, 287, 287) * 255
    with torch.inference_mode():  # as track_targets() runs the network
        with torch.autocast("cpu", torch.bfloat16, enabled=fast.cpu_bf16):
            outputs = fast.model.track(crops, fast._targets[0].state)
        reference = exact.model.track(crops, exact._targets[0].state)
    for key, value in outputs.items():
        relative = float((value.float() - reference[key]).abs().max() / reference[key].abs().max())
        assert 0 < relative < 0.05, (key, relative)
    assert fast.box_coder.scores(outputs["cls"]).dtype == np.float32  # the arithmetic after it is float32
    truth = np.array(alex["track"]["boxes"][1:21])
    boxes = np.array([fast.track(frame)["bbox"] for frame in frames[1:21]])
    # the bag is still followed: every centre inside pysot's box (bfloat16 kernels differ between
    # CPUs, AMX or AVX512-BF16 alone, and so does the drift: 0.21 of the box seen without AMX)
    offsets = np.abs((boxes[:, :2] + boxes[:, 2:] / 2) - (truth[:, :2] + truth[:, 2:] / 2)) / truth[:, 2:]
    print(f"bfloat16: largest centre offset {offsets.max():.3f} of the box size")
    assert offsets.max() < 0.5, offsets.max()
