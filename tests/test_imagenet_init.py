"""ImageNet initialisation of the Siamese backbones from torchvision-format files (no download)."""
import pytest
import torch
import torchvision

from siamtrack.checkpoint.imagenet import load_imagenet_backbone
from siamtrack.modeling.backbone import SiamAlexNet, SiamMobileNetV2, SiamResNet


def _save(state_dict, path):
    torch.save({k: torch.randn(v.shape) if v.dtype.is_floating_point else v for k, v in state_dict.items()}, path)
    return torch.load(path, weights_only=True)


def test_torchvision_resnet18_with_centred_shortcuts(tmp_path):
    source = _save(torchvision.models.resnet18(weights=None).state_dict(), tmp_path / "r18.pth")
    backbone = SiamResNet(18, ("layer2", "layer3", "layer4"))
    report = load_imagenet_backbone(backbone, tmp_path / "r18.pth")
    ours = backbone.state_dict()
    assert torch.equal(ours["layer3.1.conv2.weight"], source["layer3.1.conv2.weight"])
    assert sorted(report["adapted"]) == [f"layer{i}.0.downsample.0.weight" for i in (2, 3, 4)]
    for i in (2, 3, 4):
        kernel = ours[f"layer{i}.0.downsample.0.weight"]
        assert kernel.shape[2:] == (3, 3)
        assert torch.equal(kernel[:, :, 1, 1], source[f"layer{i}.0.downsample.0.weight"][:, :, 0, 0])
        centre_free = kernel.clone()
        centre_free[:, :, 1, 1] = 0
        assert centre_free.abs().sum() == 0
    assert any(s.startswith("fc.weight") for s in report["skipped"]) and report["not_loaded"] == []


def test_torchvision_mobilenet_v2_fits_width_1_only(tmp_path):
    path = tmp_path / "mbv2.pth"
    source = _save(torchvision.models.mobilenet_v2(weights=None).state_dict(), path)
    backbone = SiamMobileNetV2(1.0, ("layer3", "layer5", "layer7")).eval()
    report = load_imagenet_backbone(backbone, path)
    ours = backbone.state_dict()
    assert torch.equal(ours["layer0.0.weight"], source["features.0.0.weight"])
    assert torch.equal(ours["layer1.0.conv.3.weight"], source["features.1.conv.0.0.weight"])
    assert torch.equal(ours["layer7.0.conv.6.weight"], source["features.17.conv.2.weight"])
    assert report["not_loaded"] == []
    assert any(s.startswith("features.18.0.weight") for s in report["skipped"])
    # the synthesised t=1 expansion is the identity on layer0's ReLU6 output
    x = torch.rand(1, 32, 5, 5) * 6
    with torch.no_grad():
        assert torch.allclose(backbone.layer1[0].conv[:3](x), x, atol=1e-6)
    with pytest.raises(ValueError, match="WIDTH_MULT 1.0"):
        load_imagenet_backbone(SiamMobileNetV2(1.4), path)


def test_torchvision_alexnet_is_refused_and_own_naming_loads(tmp_path):
    path = tmp_path / "alex.pth"
    _save(torchvision.models.alexnet(weights=None).state_dict(), path)
    with pytest.raises(ValueError, match="does not fit"):
        load_imagenet_backbone(SiamAlexNet(), path)
    layered = SiamAlexNet(1.0, "layered")
    _save(layered.state_dict(), tmp_path / "alexnet-bn.pth")  # pysot's training file: layered names
    legacy = SiamAlexNet(1.0, "legacy")
    report = load_imagenet_backbone(legacy, tmp_path / "alexnet-bn.pth")
    assert report["not_loaded"] == [] and report["skipped"] == []
    source = torch.load(tmp_path / "alexnet-bn.pth", weights_only=True)
    assert torch.equal(legacy.state_dict()["features.11.weight"], source["layer4.0.weight"])
