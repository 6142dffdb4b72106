"""TRACK.WINOGRAD: Winograd F(4x4, 3x3) against the direct convolution (float64 truth) for every
padding / dilation the models use, per-image results independent of the batch, the models'
outputs, and pysot's AlexNet trajectory on bag.avi within 0.01 px (tests/test_tracking_backends.py
holds the same bound for ONNX Runtime)."""
import json

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from conftest import REPO_ROOT
from siamtrack import model_zoo
from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file
from siamtrack.config import load_config
from siamtrack.modeling import WinogradConv2d, use_winograd_convs
from siamtrack.modeling.winograd import winograd_conv2d, winograd_filters
from siamtrack.tracking import build_tracker, prepare_model
from siamtrack.utils.errors import InputError

ALEX = REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml"


def _relative(value, truth):
    return float((value.double() - truth).abs().max() / truth.abs().max())


@pytest.mark.parametrize("size,padding,dilation", [(31, 1, 1), (31, 0, 1), (31, 2, 2), (31, 4, 4), (22, 1, 2),
                                                   (7, 0, 1), (13, 3, 1), (9, 2, 3)])
def test_winograd_equals_the_direct_convolution(size, padding, dilation):
    """Every geometry of pysot's models (and odd ones: sizes not multiples of the tile or the
    dilation): Winograd's error against float64 within a small multiple of the direct float32's."""
    torch.manual_seed(size + 10 * padding + dilation)
    x = torch.randn(2, 24, size, size + 3)
    weight, bias = torch.randn(40, 24, 3, 3) / 15, torch.randn(40)
    truth = F.conv2d(x.double(), weight.double(), bias.double(), padding=padding, dilation=dilation)
    direct = F.conv2d(x, weight, bias, padding=padding, dilation=dilation)
    ours = winograd_conv2d(x, winograd_filters(weight), bias, padding, dilation)
    assert ours.shape == truth.shape and ours.dtype == torch.float32
    assert _relative(ours, truth) < 3e-5
    assert _relative(ours, truth) < 20 * max(_relative(direct, truth), 1e-7)


def test_winograd_is_per_image_and_refuses_what_it_cannot_compute():
    """An image's result is the same bits alone or in a batch (so several targets track as each
    would alone); strided, grouped or non-3x3 convolutions are not converted."""
    torch.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3, padding=2, dilation=2)
    fast = WinogradConv2d.from_conv(conv)
    x = torch.randn(3, 16, 20, 20)
    together = fast(x)
    for i in range(3):
        assert torch.equal(together[i:i + 1], fast(x[i:i + 1]))
    for other in (nn.Conv2d(16, 32, 3, stride=2), nn.Conv2d(16, 32, 3, groups=4), nn.Conv2d(16, 32, 1),
                  nn.Conv2d(16, 32, 3, padding="same"), nn.Conv2d(16, 32, 3, padding_mode="reflect")):
        assert not WinogradConv2d.supports(other)
        with pytest.raises(ValueError, match="WinogradConv2d cannot compute"):
            WinogradConv2d.from_conv(other)
    with pytest.raises(ValueError, match=r"expects \(N, 16, H, W\) input"):
        fast(torch.randn(1, 8, 20, 20))


@pytest.mark.parametrize("config", ["pysot/siamrpn_r50_l234_dwxcorr.yaml", "pysot/siamrpn_mobilev2_l234_dwxcorr.yaml"])
def test_winograd_model_outputs_stay_within_float32_error(config):
    """ResNet-50 (23 convolutions converted: the 3x3s of layer3/4, their shortcuts, the heads'
    template and search convs) and MobileNetV2 (the heads' 12): cls / loc within 1e-4 relative of the
    direct model's, as the ONNX exports are held to."""
    torch.manual_seed(1)
    cfg = model_zoo.get_config(config)
    cfg.defrost()
    cfg.MODEL.DEVICE = "cpu"
    from detectron2.modeling import build_model

    plain = build_model(cfg).eval()
    fast = build_model(cfg).eval()
    fast.load_state_dict(plain.state_dict())
    cfg.TRACK.WINOGRAD = True
    prepare_model(fast, cfg)
    converted = sum(isinstance(m, WinogradConv2d) for m in fast.modules())
    assert converted == (23 if "r50" in config else 12)
    exemplar, instance = cfg.TRACK.EXEMPLAR_SIZE, cfg.TRACK.INSTANCE_SIZE
    with torch.no_grad():
        z = torch.rand(1, 3, exemplar, exemplar) * 255
        x = (torch.rand(1, instance, instance, 3) * 255).permute(0, 3, 1, 2)  # the tracker's crop layout
        expected = plain.track(x, plain.template(z))
        outputs = fast.track(x, fast.template(z))
    relative = {key: float((outputs[key] - expected[key]).abs().max() / expected[key].abs().max())
                for key in ("cls", "loc")}
    assert max(relative.values()) < 1e-4, relative
    assert max(relative.values()) > 0, "the Winograd model gave the direct model's bits: not converted?"


def test_winograd_tracker_follows_pysots_trajectory(reference_dir, bag_video, tmp_path):
    """100 frames of bag.avi with the reference AlexNet and TRACK.WINOGRAD: every box within 0.01 px
    and every score within 1e-4 of pysot's; WINOGRAD with BF16 is refused in one line."""
    folder = reference_dir / "pysot_siamrpn_alex_dwxcorr"
    checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(folder / "weights.pth"), ALEX)
    torch.save(checkpoint, tmp_path / "alex.pth")
    opts = ["MODEL.WEIGHTS", str(tmp_path / "alex.pth"), "MODEL.DEVICE", "cpu", "TRACK.WINOGRAD", "True"]
    tracker = build_tracker(load_config(str(ALEX), opts))
    assert sum(isinstance(m, WinogradConv2d) for m in tracker.model.modules()) == 7  # conv3-5, heads
    track = json.loads((folder / "track.json").read_text())
    capture = cv2.VideoCapture(str(bag_video))
    frames = [capture.read()[1] for _ in range(len(track["boxes"]))]
    capture.release()
    tracker.init(frames[0], track["init_box"])
    outputs = [tracker.track(frame) for frame in frames[1:]]
    error = np.abs(np.array([o["bbox"] for o in outputs]) - np.array(track["boxes"][1:])).max(axis=1)
    worst = int(np.argmax(error))
    print(f"Winograd: worst frame {worst + 1}, {error[worst]:.5f} px")
    assert error[worst] <= 0.01, f"frame {worst + 1} is {error[worst]:.4f} px off"
    np.testing.assert_allclose([o["score"] for o in outputs], np.array(track["scores"][1:], dtype=float),
                               rtol=0, atol=1e-4)
    with pytest.raises(InputError, match="^TRACK.WINOGRAD and TRACK.BF16 exclude each other: choose one$"):
        build_tracker(load_config(str(ALEX), opts + ["TRACK.BF16", "True"]))


def test_use_winograd_convs_keeps_small_convolutions_direct():
    model = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.Conv2d(64, 1024, 3, padding=1), nn.Conv2d(1024, 8, 3))
    assert use_winograd_convs(model) == 1
    assert [type(m).__name__ for m in model] == ["Conv2d", "WinogradConv2d", "Conv2d"]
