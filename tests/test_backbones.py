"""Siamese backbones: registration, pysot parameter names, layer geometry and feature sizes (§2)."""
import pytest
import torch
from detectron2.config import get_cfg
from detectron2.layers import ShapeSpec
from detectron2.modeling import BACKBONE_REGISTRY, build_backbone

import siamtrack  # noqa: F401  (registers the backbones)
from siamtrack import add_siamtrack_config
from siamtrack.modeling.backbone import SiamAlexNet, SiamMobileNetV2, SiamResNet


def _cfg(**model):
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    for key, value in model.items():
        node = cfg.MODEL
        *path, last = key.split("__")
        for part in path:
            node = getattr(node, part)
        setattr(node, last, value)
    return cfg


def _shapes(backbone, size):
    with torch.no_grad():
        out = backbone.eval()(torch.rand(1, 3, size, size) * 255)
    return {name: tuple(t.shape[1:]) for name, t in out.items()}


def test_backbones_are_registered_and_built_from_cfg():
    for name, cls in (("build_siam_resnet_backbone", SiamResNet), ("build_siam_alexnet_backbone", SiamAlexNet),
                      ("build_siam_mobilenetv2_backbone", SiamMobileNetV2)):
        assert BACKBONE_REGISTRY.get(name) is not None
        cfg = _cfg(BACKBONE__NAME=name, SIAM_RESNET__DEPTH=18)
        backbone = build_backbone(cfg)
        assert isinstance(backbone, cls)
        assert all(isinstance(s, ShapeSpec) for s in backbone.output_shape().values())


def test_resnet50_feature_sizes_and_channels():
    backbone = SiamResNet(50, ("stem", "layer1", "layer2", "layer3", "layer4"))
    channels = {"stem": 64, "layer1": 256, "layer2": 512, "layer3": 1024, "layer4": 2048}
    for size, sides in ((127, (61, 31, 15, 15, 15)), (255, (125, 63, 31, 31, 31))):
        shapes = _shapes(backbone, size)
        assert list(shapes) == list(channels)
        for (name, shape), side in zip(shapes.items(), sides):
            assert shape == (channels[name], side, side), name
    spec = backbone.output_shape()
    assert {k: v.channels for k, v in spec.items()} == channels
    assert [spec[k].stride for k in channels] == [2, 4, 8, 8, 8]


def test_resnet50_conv_geometry_follows_pysot_rules():
    b = SiamResNet(50, ("layer2", "layer3", "layer4"))
    geom = lambda c: (c.kernel_size[0], c.stride[0], c.padding[0], c.dilation[0])  # noqa: E731
    assert geom(b.conv1) == (7, 2, 0, 1)
    assert geom(b.layer1[0].conv2) == (3, 1, 1, 1) and geom(b.layer1[0].downsample[0]) == (1, 1, 0, 1)
    assert geom(b.layer2[0].conv2) == (3, 2, 0, 1) and geom(b.layer2[0].downsample[0]) == (3, 2, 0, 1)
    assert geom(b.layer2[1].conv2) == (3, 1, 1, 1)
    assert geom(b.layer3[0].conv2) == (3, 1, 1, 1) and geom(b.layer3[0].downsample[0]) == (3, 1, 1, 1)
    assert geom(b.layer3[1].conv2) == (3, 1, 2, 2)
    assert geom(b.layer4[0].conv2) == (3, 1, 2, 2) and geom(b.layer4[0].downsample[0]) == (3, 1, 2, 2)
    assert geom(b.layer4[2].conv2) == (3, 1, 4, 4)
    keys = b.state_dict()
    assert tuple(keys["layer2.0.downsample.0.weight"].shape) == (512, 256, 3, 3)
    assert tuple(keys["layer1.0.conv1.weight"].shape) == (64, 64, 1, 1)


def test_resnet_deeper_stages_are_not_built_when_not_requested():
    backbone = SiamResNet(50, ("layer2",))
    assert not hasattr(backbone, "layer3") and not hasattr(backbone, "layer4")
    assert not any(k.startswith(("layer3", "layer4")) for k in backbone.state_dict())
    assert _shapes(backbone, 127) == {"layer2": (512, 15, 15)}
    with pytest.raises(ValueError, match="OUT_FEATURES"):
        SiamResNet(50, ("layer5",))
    with pytest.raises(ValueError, match="depth"):
        SiamResNet(101)


@pytest.mark.parametrize("depth", [18, 34])
def test_resnet18_34_feature_sizes(depth):
    backbone = SiamResNet(depth, ("layer2", "layer3", "layer4"))
    assert _shapes(backbone, 127) == {"layer2": (128, 15, 15), "layer3": (256, 15, 15), "layer4": (512, 15, 15)}
    assert _shapes(backbone, 255)["layer4"] == (512, 31, 31)
    assert "layer1.0.downsample.0.weight" not in backbone.state_dict()  # 64 == 64 channels
    assert tuple(backbone.state_dict()["layer3.0.downsample.0.weight"].shape) == (256, 128, 3, 3)
    assert backbone.layer4[0].conv1.dilation[0] == 2 and backbone.layer4[1].conv1.dilation[0] == 4


@pytest.mark.parametrize("layout,first_key", [("legacy", "features.0.weight"), ("layered", "layer1.0.weight")])
def test_alexnet_layouts_and_sizes(layout, first_key):
    backbone = SiamAlexNet(1.0, layout)
    keys = backbone.state_dict()
    assert tuple(keys[first_key].shape) == (96, 3, 11, 11)
    for size, side in ((127, 6), (255, 22), (287, 26)):
        assert _shapes(backbone, size) == {"layer5": (256, side, side)}
    assert backbone.output_shape()["layer5"] == ShapeSpec(channels=256, stride=8)


def test_alexnet_layouts_compute_the_same_function_and_width_mult():
    legacy, layered = SiamAlexNet(1.0, "legacy").eval(), SiamAlexNet(1.0, "layered").eval()
    values = list(legacy.state_dict().values())
    layered.load_state_dict(dict(zip(layered.state_dict().keys(), values)))
    x = torch.rand(1, 3, 127, 127) * 255
    with torch.no_grad():
        assert torch.equal(legacy(x)["layer5"], layered(x)["layer5"])
    half = SiamAlexNet(0.5)
    assert half.output_shape()["layer5"].channels == 128
    assert tuple(half.state_dict()["features.4.weight"].shape) == (128, 48, 5, 5)
    with pytest.raises(ValueError, match="LAYOUT"):
        SiamAlexNet(1.0, "flat")


def test_mobilenetv2_x14_keys_and_sizes():
    backbone = SiamMobileNetV2(1.4, ("layer3", "layer5", "layer7"))
    keys = backbone.state_dict()
    assert tuple(keys["layer0.0.weight"].shape) == (44, 3, 3, 3)
    assert tuple(keys["layer1.0.conv.0.weight"].shape) == (44, 44, 1, 1)  # t=1 block keeps its expansion
    assert tuple(keys["layer7.0.conv.6.weight"].shape) == (448, 1344, 1, 1)
    assert backbone.layer4[0].conv[3].dilation[0] == 1 and backbone.layer6[0].conv[3].dilation[0] == 2
    assert backbone.layer2[0].conv[3].padding[0] == 0 and backbone.layer7[0].conv[3].padding[0] == 4
    assert _shapes(backbone, 127) == {"layer3": (44, 15, 15), "layer5": (134, 15, 15), "layer7": (448, 15, 15)}
    assert _shapes(backbone, 255)["layer7"] == (448, 31, 31)
    assert {k: v.channels for k, v in backbone.output_shape().items()} == {"layer3": 44, "layer5": 134, "layer7": 448}
