"""pysot's dilated MobileNetV2 as a detectron2 backbone (docs/model.md).

Unlike torchvision's MobileNetV2, the stem conv has no padding, strided depthwise convs have no
padding, later stages are dilated (output stride 8), the t=1 block keeps its expansion conv,
and no final 1x1 (1280) layer is built. Parameter names equal pysot's (``layer0.0``,
``layer1.0.conv.0`` ...).
"""
import torch.nn as nn
from detectron2.modeling import BACKBONE_REGISTRY, Backbone

# (expansion t, channels c, blocks n, stride s, dilation d) of layer1 .. layer7
_SETTINGS = [(1, 16, 1, 1, 1), (6, 24, 2, 2, 1), (6, 32, 3, 2, 1), (6, 64, 4, 1, 2),
             (6, 96, 3, 1, 2), (6, 160, 3, 1, 4), (6, 320, 1, 1, 4)]
MOBILENET_FEATURES = tuple(f"layer{i}" for i in range(8))


class InvertedResidual(nn.Module):
    """Expand 1x1 -> depthwise 3x3 -> linear project 1x1 (``conv.0`` .. ``conv.7``)."""

    def __init__(self, inp, oup, stride, expand_ratio, dilation=1):
        super().__init__()
        hidden = inp * expand_ratio
        padding = dilation if dilation > 1 else 2 - stride
        self.use_res_connect = stride == 1 and inp == oup
        self.conv = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, padding, dilation, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup),
        )

    def forward(self, x):
        """Block forward with the identity shortcut when shapes allow."""
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class SiamMobileNetV2(Backbone):
    """MobileNetV2 (width multiplier, pysot uses 1.4) with outputs among "layer0" .. "layer7"."""

    def __init__(self, width_mult=1.4, out_features=("layer3", "layer5", "layer7")):
        super().__init__()
        unknown = [f for f in out_features if f not in MOBILENET_FEATURES]
        if unknown or not out_features:
            raise ValueError(
                f"SiamMobileNetV2 OUT_FEATURES must be among {MOBILENET_FEATURES}, got {list(out_features)}"
            )
        self._out_features = [f for f in MOBILENET_FEATURES if f in out_features]
        self._last = max(MOBILENET_FEATURES.index(f) for f in self._out_features)
        channels = int(32 * width_mult)
        self.layer0 = nn.Sequential(
            nn.Conv2d(3, channels, 3, 2, 0, bias=False), nn.BatchNorm2d(channels), nn.ReLU6(inplace=True)
        )
        self._out_feature_channels = {"layer0": channels}
        self._out_feature_strides = {"layer0": 2}
        stride, last_dilation = 2, 1
        for idx, (t, c, n, s, d) in enumerate(_SETTINGS, start=1):
            out = int(c * width_mult)
            first_dilation = d if d == last_dilation else max(d // 2, 1)
            blocks = [InvertedResidual(channels, out, s, t, first_dilation)]
            blocks += [InvertedResidual(out, out, 1, t, d) for _ in range(1, n)]
            self.add_module(f"layer{idx}", nn.Sequential(*blocks))
            channels, last_dilation, stride = out, d, stride * s
            self._out_feature_channels[f"layer{idx}"] = channels
            self._out_feature_strides[f"layer{idx}"] = stride

    def forward(self, x):
        """Return the requested feature maps as a dict (stops after the deepest one)."""
        outputs = {}
        for idx in range(self._last + 1):
            x = getattr(self, f"layer{idx}")(x)
            if f"layer{idx}" in self._out_features:
                outputs[f"layer{idx}"] = x
        return outputs


@BACKBONE_REGISTRY.register()
def build_siam_mobilenetv2_backbone(cfg, input_shape):
    """Build :class:`SiamMobileNetV2` from ``cfg.MODEL.SIAM_MOBILENETV2`` (WIDTH_MULT, OUT_FEATURES)."""
    mcfg = cfg.MODEL.SIAM_MOBILENETV2
    return SiamMobileNetV2(mcfg.WIDTH_MULT, tuple(mcfg.OUT_FEATURES))
