"""pysot's AlexNet with BatchNorm as a detectron2 backbone (docs/model.md).

Two parameter layouts exist in pysot: "legacy" (one flat ``features`` Sequential, the released
models) and "layered" (``layer1`` .. ``layer5``, pysot's AlexNet training config). The layers
are identical; :data:`LEGACY_TO_LAYERED` maps one naming onto the other.
"""
import torch.nn as nn
from detectron2.modeling import BACKBONE_REGISTRY, Backbone

_CHANNELS = (96, 256, 384, 384, 256)
# legacy "features.<i>" index -> layered "layer<L>.<j>" prefix (parameterised layers only)
LEGACY_TO_LAYERED = {
    0: "layer1.0", 1: "layer1.1", 4: "layer2.0", 5: "layer2.1", 8: "layer3.0", 9: "layer3.1",
    11: "layer4.0", 12: "layer4.1", 14: "layer5.0", 15: "layer5.1",
}


def _stages(width_mult):
    """The five stages as lists of modules (conv, BN, [pool], [ReLU])."""
    c = [3] + [int(ch * width_mult) for ch in _CHANNELS]
    # The pool comes before the ReLU in stages 1-2 (pysot's order; numerically equivalent).
    return [
        [nn.Conv2d(c[0], c[1], 11, 2), nn.BatchNorm2d(c[1]), nn.MaxPool2d(3, 2), nn.ReLU(inplace=True)],
        [nn.Conv2d(c[1], c[2], 5), nn.BatchNorm2d(c[2]), nn.MaxPool2d(3, 2), nn.ReLU(inplace=True)],
        [nn.Conv2d(c[2], c[3], 3), nn.BatchNorm2d(c[3]), nn.ReLU(inplace=True)],
        [nn.Conv2d(c[3], c[4], 3), nn.BatchNorm2d(c[4]), nn.ReLU(inplace=True)],
        [nn.Conv2d(c[4], c[5], 3), nn.BatchNorm2d(c[5])],  # no final ReLU
    ]


class SiamAlexNet(Backbone):
    """AlexNet-BN with output "layer5" (256 x width_mult channels, stride 8).

    ``layout="legacy"`` names the parameters ``features.N``; ``layout="layered"`` names them
    ``layer1`` .. ``layer5``.
    """

    def __init__(self, width_mult=1.0, layout="legacy"):
        super().__init__()
        if layout not in ("legacy", "layered"):
            raise ValueError(f"SiamAlexNet LAYOUT must be 'legacy' or 'layered', got {layout!r}")
        self.layout = layout
        stages = _stages(width_mult)
        if layout == "legacy":
            self.features = nn.Sequential(*[m for stage in stages for m in stage])
        else:
            for idx, stage in enumerate(stages, start=1):
                self.add_module(f"layer{idx}", nn.Sequential(*stage))
        self._out_features = ["layer5"]
        self._out_feature_channels = {"layer5": int(_CHANNELS[-1] * width_mult)}
        self._out_feature_strides = {"layer5": 8}

    def forward(self, x):
        """Return ``{"layer5": features}``."""
        if self.layout == "legacy":
            return {"layer5": self.features(x)}
        for idx in range(1, 6):
            x = getattr(self, f"layer{idx}")(x)
        return {"layer5": x}


@BACKBONE_REGISTRY.register()
def build_siam_alexnet_backbone(cfg, input_shape):
    """Build :class:`SiamAlexNet` from ``cfg.MODEL.SIAM_ALEXNET`` (WIDTH_MULT, LAYOUT)."""
    return SiamAlexNet(cfg.MODEL.SIAM_ALEXNET.WIDTH_MULT, cfg.MODEL.SIAM_ALEXNET.LAYOUT)
