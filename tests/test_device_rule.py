"""The one device rule (docs/config.md, ``MODEL.DEVICE``): unset means CUDA when the machine has
it, else the CPU with one info line; an explicit device is kept, and an unusable one is a
one-line DeviceError in the API, in ``build_model`` and in every command."""
import logging

import pytest
import torch
from detectron2.config import get_cfg
from detectron2.modeling import build_model

import siamtrack
from siamtrack import add_siamtrack_config, build_tracker, model_zoo
from siamtrack.config import load_config
from siamtrack.utils import device as device_rule
from siamtrack.utils.device import DeviceError, resolve_device
from siamtrack_cli import benchmark, eval as eval_cli, export, track, train

FALLBACK_LINE = "CUDA is not available: MODEL.DEVICE defaults to cpu"
TINY = ["MODEL.SIAM_ALEXNET.WIDTH_MULT", "0.25"]
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the machine without CUDA")


@pytest.fixture
def fallback_log(monkeypatch, caplog):
    """The info lines of the device rule, with its once-per-process memory reset."""
    monkeypatch.setattr(device_rule, "_fallback_said", False)
    caplog.set_level(logging.INFO, logger="siamtrack")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "siamtrack.utils.device"]


@pytest.mark.parametrize("cuda", [True, False])
def test_unset_device_is_cuda_when_present_else_cpu(monkeypatch, cuda):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    expected = "cuda" if cuda else "cpu"
    assert get_cfg().MODEL.DEVICE == "cuda"  # detectron2's own default, which the rule replaces
    assert add_siamtrack_config(get_cfg()).MODEL.DEVICE == expected
    assert model_zoo.get_config("siamrpn_alex").MODEL.DEVICE == expected
    assert load_config("pysot/siamrpn_alex_dwxcorr").MODEL.DEVICE == expected


def test_explicit_device_is_kept(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert load_config("siamrpn_alex", ["MODEL.DEVICE", "cuda"]).MODEL.DEVICE == "cuda"  # an error on build
    cfg = get_cfg()
    cfg.MODEL.DEVICE = "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert add_siamtrack_config(cfg).MODEL.DEVICE == "cpu"  # set before add_siamtrack_config: kept


@no_cuda
def test_fallback_is_said_once_and_only_when_it_happens(fallback_log, tmp_path):
    load_config("siamrpn_alex", ["MODEL.DEVICE", "cpu"])
    assert fallback_log() == []  # the device was given
    own = tmp_path / "own.yaml"
    own.write_text("_BASE_: siamrpn_alex.yaml\nMODEL:\n  DEVICE: cpu\n")  # a packaged _BASE_ name
    assert load_config(str(own)).MODEL.DEVICE == "cpu"
    assert fallback_log() == []  # set by the file
    load_config("siamrpn_alex")
    load_config("siamrpnpp_r50")
    assert fallback_log() == [FALLBACK_LINE]  # once per process


@no_cuda
def test_explicit_cuda_without_cuda_is_one_line_in_the_api():
    cfg = load_config("siamrpn_alex", TINY + ["MODEL.DEVICE", "cuda"])
    for build in (build_tracker, build_model):
        with pytest.raises(DeviceError) as info:
            build(cfg)
        message = str(info.value)
        assert "\n" not in message and "CUDA is not available" in message and "MODEL.DEVICE cpu" in message
    with pytest.raises(DeviceError):
        siamtrack.create("siamrpn_alex", device="cuda")


def test_unknown_devices_are_one_line():
    for name, text in (("tpu:7", "unknown device"), ("meta", "unsupported device"), ("cuda:99", None)):
        if name == "cuda:99" and not torch.cuda.is_available():
            continue
        with pytest.raises(DeviceError, match=text or "does not exist"):
            resolve_device(name)
    assert resolve_device("cpu") == torch.device("cpu")


def _otb(root):
    import cv2
    import numpy as np

    (root / "A" / "img").mkdir(parents=True)
    for i in range(2):
        cv2.imwrite(str(root / "A" / "img" / f"{i + 1:04d}.jpg"), np.zeros((40, 50, 3), np.uint8))
    (root / "A" / "groundtruth_rect.txt").write_text("10,10,20,20\n10,10,20,20\n")
    return root


@no_cuda
def test_every_command_refuses_explicit_cuda_in_one_line(bag_video, tmp_path, capsys):
    cuda = ["MODEL.DEVICE", "cuda"]
    runs = {
        "siamtrack-track": lambda: track.main(["--config-file", "siamrpn_alex", "--video", str(bag_video),
                                               "--init-box", "315,140,113,115", "--max-frames", "2",
                                               "--output-boxes", str(tmp_path / "boxes.csv"),
                                               "--no-progress", *TINY, *cuda]),
        "siamtrack-eval": lambda: eval_cli.main(["--config-file", "siamrpn_alex", "--dataset", "OTB100",
                                                 "--dataset-root", str(_otb(tmp_path / "otb")), "--output",
                                                 str(tmp_path / "results"), "--no-progress", *TINY, *cuda]),
        "siamtrack-train": lambda: train.main(["--config-file", "quickstart_synthetic",
                                               "OUTPUT_DIR", str(tmp_path / "train"), *cuda]),
        "siamtrack-benchmark": lambda: benchmark.main(["--config-file", "siamrpn_alex", "--device", "cuda",
                                                       "--video", str(bag_video), "--frames", "1", *TINY]),
        "siamtrack-export": lambda: export.main(["--config-file", "siamrpn_alex", "--output",
                                                 str(tmp_path / "onnx"), *TINY, *cuda]),
    }
    for prog, run in runs.items():
        assert run() == 2, prog
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"{prog}: error: ") and "\n" not in err and "CUDA is not available" in err, err
    assert not (tmp_path / "results" / "OTB100").exists()
