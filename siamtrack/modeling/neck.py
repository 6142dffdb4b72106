"""The adjust neck (pysot ``AdjustAllLayer``; docs/model.md, "Neck and heads")."""
import torch.nn as nn


class AdjustLayer(nn.Module):
    """1x1 conv + BN (no ReLU); maps narrower than ``crop_below`` are centre-cropped.

    The crop turns 15x15 template features into ``center_size`` (7) x 7 and leaves search
    features untouched; it applies in training as well.
    """

    def __init__(self, in_channels, out_channels, center_size=7, crop_below=20):
        super().__init__()
        self.downsample = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)
        )
        self.center_size = center_size
        self.crop_below = crop_below

    def forward(self, x):
        """Project, then centre-crop template-sized maps."""
        x = self.downsample(x)
        if x.size(3) < self.crop_below:
            left = (x.size(3) - self.center_size) // 2
            x = x[:, :, left:left + self.center_size, left:left + self.center_size]
        return x


class AdjustNeck(nn.Module):
    """One :class:`AdjustLayer` per backbone level, named ``downsample2``, ``downsample3`` ...

    With a single level the layer is named ``downsample`` (pysot's naming). Takes and returns
    a list of tensors, one per level, in backbone order.
    """

    def __init__(self, in_channels, out_channels, center_size=7, crop_below=20):
        super().__init__()
        if len(in_channels) != len(out_channels):
            raise ValueError(
                f"MODEL.SIAM_NECK.OUT_CHANNELS has {len(out_channels)} entries but the backbone "
                f"gives {len(in_channels)} features"
            )
        self.names = ["downsample"] if len(in_channels) == 1 else [
            f"downsample{i + 2}" for i in range(len(in_channels))
        ]
        for name, cin, cout in zip(self.names, in_channels, out_channels):
            self.add_module(name, AdjustLayer(cin, cout, center_size, crop_below))
        self.out_channels = list(out_channels)

    def forward(self, features):
        """Adjust each level of ``features`` (a list of tensors)."""
        if len(features) != len(self.names):
            raise ValueError(f"AdjustNeck expects {len(self.names)} feature levels, got {len(features)}")
        return [getattr(self, name)(x) for name, x in zip(self.names, features)]


def build_siam_neck(cfg, input_shapes):
    """Build the neck from ``cfg.MODEL.SIAM_NECK`` and the backbone's list of ``ShapeSpec``.

    Returns None when ``SIAM_NECK.NAME`` is "" (AlexNet models have no neck).
    """
    ncfg = cfg.MODEL.SIAM_NECK
    if ncfg.NAME == "":
        return None
    if ncfg.NAME != "AdjustNeck":
        raise ValueError(f"unknown MODEL.SIAM_NECK.NAME {ncfg.NAME!r} (use 'AdjustNeck' or '')")
    return AdjustNeck([s.channels for s in input_shapes], list(ncfg.OUT_CHANNELS),
                      ncfg.CENTER_SIZE, ncfg.CROP_BELOW)
