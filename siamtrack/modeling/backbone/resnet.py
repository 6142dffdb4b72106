"""pysot's atrous ResNet as a detectron2 backbone (docs/model.md).

Differences from detectron2's / torchvision's ResNet that matter for checkpoint compatibility:
the stem conv has no padding, the stride sits in the 3x3 conv, layer3/layer4 are dilated
instead of strided, and the layer2-4 shortcuts are 3x3 convs. Parameter names equal pysot's
(``conv1``, ``bn1``, ``layer1.0.conv1``, ``layer2.0.downsample.0`` ...).
"""
import torch.nn as nn
from detectron2.modeling import BACKBONE_REGISTRY, Backbone

# name -> (block counts, block type)
_DEPTHS = {18: ([2, 2, 2, 2], "basic"), 34: ([3, 4, 6, 3], "basic"), 50: ([3, 4, 6, 3], "bottleneck")}
# stage -> (planes, stride, dilation)
_STAGES = {1: (64, 1, 1), 2: (128, 2, 1), 3: (256, 1, 2), 4: (512, 1, 4)}
RESNET_FEATURES = ("stem", "layer1", "layer2", "layer3", "layer4")


def _first_conv_geometry(stride, dilation, has_downsample):
    """(padding, dilation) of a block's strided 3x3 conv (pysot's rule)."""
    padding = 2 - stride
    if has_downsample and dilation > 1:
        dilation = dilation // 2
        padding = dilation
    elif dilation > 1:
        padding = dilation
    return padding, dilation


class BasicBlock(nn.Module):
    """ResNet-18/34 block: 3x3 (strided) -> 3x3, identity or ``downsample`` shortcut."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, dilation=1):
        super().__init__()
        padding, first_dilation = _first_conv_geometry(stride, dilation, downsample is not None)
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding, first_dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, dilation, dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        """Residual block forward."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class Bottleneck(nn.Module):
    """ResNet-50 block: 1x1 -> 3x3 (strided, dilated) -> 1x1 (x4), plus shortcut."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, dilation=1):
        super().__init__()
        padding, mid_dilation = _first_conv_geometry(stride, dilation, downsample is not None)
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, padding, mid_dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        """Residual block forward."""
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


def _make_downsample(inplanes, outplanes, stride, dilation):
    """pysot's shortcut: 1x1 for stride 1 / dilation 1, otherwise a 3x3 conv."""
    if stride == 1 and dilation == 1:
        conv = nn.Conv2d(inplanes, outplanes, 1, stride, bias=False)
    elif dilation > 1:
        conv = nn.Conv2d(inplanes, outplanes, 3, stride, dilation // 2, dilation // 2, bias=False)
    else:
        conv = nn.Conv2d(inplanes, outplanes, 3, stride, 0, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(outplanes))


class SiamResNet(Backbone):
    """pysot's ResNet-18/34/50 with dilated layer3/4 (output stride 8 from layer2 on).

    ``forward(x)`` returns ``{name: tensor}`` for ``out_features`` among "stem" (conv1-bn-relu,
    pysot's used layer 0), "layer1" .. "layer4". Stages deeper than the deepest requested
    output are not built (no parameters), as in pysot.
    """

    def __init__(self, depth=50, out_features=("layer2", "layer3", "layer4")):
        super().__init__()
        if depth not in _DEPTHS:
            raise ValueError(f"SiamResNet depth must be one of {sorted(_DEPTHS)}, got {depth}")
        unknown = [f for f in out_features if f not in RESNET_FEATURES]
        if unknown or not out_features:
            raise ValueError(f"SiamResNet OUT_FEATURES must be among {RESNET_FEATURES}, got {list(out_features)}")
        blocks, kind = _DEPTHS[depth]
        block = Bottleneck if kind == "bottleneck" else BasicBlock
        self._out_features = [f for f in RESNET_FEATURES if f in out_features]
        self._num_stages = max(RESNET_FEATURES.index(f) for f in self._out_features)

        self.conv1 = nn.Conv2d(3, 64, 7, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self._out_feature_channels = {"stem": 64}
        self._out_feature_strides = {"stem": 2}
        inplanes = 64
        for idx in range(1, self._num_stages + 1):
            planes, stride, dilation = _STAGES[idx]
            downsample = None
            if stride != 1 or inplanes != planes * block.expansion:
                downsample = _make_downsample(inplanes, planes * block.expansion, stride, dilation)
            layers = [block(inplanes, planes, stride, downsample, dilation)]
            inplanes = planes * block.expansion
            layers += [block(inplanes, planes, 1, None, dilation) for _ in range(1, blocks[idx - 1])]
            self.add_module(f"layer{idx}", nn.Sequential(*layers))
            self._out_feature_channels[f"layer{idx}"] = inplanes
            self._out_feature_strides[f"layer{idx}"] = 4 if idx == 1 else 8

    def forward(self, x):
        """Return the requested feature maps as a dict."""
        outputs = {}
        x = self.relu(self.bn1(self.conv1(x)))
        if "stem" in self._out_features:
            outputs["stem"] = x
        x = self.maxpool(x)
        for idx in range(1, self._num_stages + 1):
            x = getattr(self, f"layer{idx}")(x)
            if f"layer{idx}" in self._out_features:
                outputs[f"layer{idx}"] = x
        return outputs


@BACKBONE_REGISTRY.register()
def build_siam_resnet_backbone(cfg, input_shape):
    """Build :class:`SiamResNet` from ``cfg.MODEL.SIAM_RESNET`` (DEPTH, OUT_FEATURES)."""
    if input_shape is not None and input_shape.channels not in (None, 3):
        raise ValueError(f"SiamResNet takes 3-channel BGR input, got {input_shape.channels} channels")
    return SiamResNet(cfg.MODEL.SIAM_RESNET.DEPTH, tuple(cfg.MODEL.SIAM_RESNET.OUT_FEATURES))
