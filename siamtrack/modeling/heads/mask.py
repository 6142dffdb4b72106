"""SiamMask's mask branch: the mask correlation head and the refine module (docs/model.md,
"SiamMask"). Parameter names equal pysot's ``MaskCorr`` / ``Refine`` so checkpoints load by name.

The refine module predicts a 127x127 mask at one position (y, x) of the 25x25 correlation map
from the correlation feature there and the search branch's stem (64 ch, 125x125), layer1
(256 ch, 63x63) and layer2 (512 ch, 31x31) maps around it (a top-down path with nearest
upsampling to 31, 61 and 127, as pysot's ``F.upsample`` default).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .rpn import DepthwiseXCorr, xcorr_depthwise

__all__ = ["MaskCorr", "Refine", "refine_crops", "MASK_SIZE"]

MASK_SIZE = 127  # side of the refined mask (pysot's TRACK.MASK_OUTPUT_SIZE)
# (padding, window, scale) of the stem, layer1 and layer2 crops around a position.
_CROPS = ((16, 61, 4), (8, 31, 2), (4, 15, 1))


class MaskCorr(DepthwiseXCorr):
    """pysot ``MaskCorr``: a :class:`DepthwiseXCorr` whose 1x1 head outputs 63x63 = 3969 mask
    logits per position; :meth:`correlation` is the feature before that head (what the refine
    module reads)."""

    def correlation(self, x, kernel):
        """Depthwise correlation feature (B, hidden, 25, 25) of search ``x`` and ``kernel``."""
        return xcorr_depthwise(self.conv_search(x), kernel)

    def track(self, x, kernel):
        """``(mask logits (B, out, 25, 25), correlation feature (B, hidden, 25, 25))``."""
        feature = self.correlation(x, kernel)
        return self.head(feature), feature


def _conv_relu_pair(cin, mid, cout):
    return nn.Sequential(nn.Conv2d(cin, mid, 3, padding=1), nn.ReLU(inplace=True),
                         nn.Conv2d(mid, cout, 3, padding=1), nn.ReLU(inplace=True))


def refine_crops(stem, layer1, layer2, corr, pos):
    """The refine module's inputs at ``pos`` = (y, x) of the correlation map for one sample
    (tensors of batch 1): stem / layer1 / layer2 zero-padded and cropped around the position
    (61x61, 31x31, 15x15) and the correlation vector there as (1, C, 1, 1)."""
    y, x = int(pos[0]), int(pos[1])
    crops = []
    for feat, (pad, size, scale) in zip((stem, layer1, layer2), _CROPS):
        padded = F.pad(feat, [pad, pad, pad, pad])
        crops.append(padded[:, :, scale * y:scale * y + size, scale * x:scale * x + size])
    crops.append(corr[:, :, y, x].reshape(corr.shape[0], corr.shape[1], 1, 1))
    return crops


class Refine(nn.Module):
    """pysot ``Refine``: ``forward(p0, p1, p2, p3)`` of the crops of :func:`refine_crops` returns
    (B, 127*127) mask logits (before the sigmoid). ``in_channels`` are the stem / layer1 / layer2
    channels (pysot's ResNet-50: 64, 256, 512; other widths for smaller backbones)."""

    def __init__(self, corr_channels=256, in_channels=(64, 256, 512)):
        super().__init__()
        self.v0 = _conv_relu_pair(in_channels[0], 16, 4)
        self.v1 = _conv_relu_pair(in_channels[1], 64, 16)
        self.v2 = _conv_relu_pair(in_channels[2], 128, 32)
        self.h2 = _conv_relu_pair(32, 32, 32)
        self.h1 = _conv_relu_pair(16, 16, 16)
        self.h0 = _conv_relu_pair(4, 4, 4)
        self.deconv = nn.ConvTranspose2d(corr_channels, 32, 15, 15)
        self.post0 = nn.Conv2d(32, 16, 3, padding=1)
        self.post1 = nn.Conv2d(16, 4, 3, padding=1)
        self.post2 = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, p0, p1, p2, p3):
        """Mask logits (B, 127*127) of the stem / layer1 / layer2 crops and correlation vectors."""
        out = self.deconv(p3)
        out = self.post0(F.interpolate(self.h2(out) + self.v2(p2), size=(31, 31), mode="nearest"))
        out = self.post1(F.interpolate(self.h1(out) + self.v1(p1), size=(61, 61), mode="nearest"))
        out = self.post2(F.interpolate(self.h0(out) + self.v0(p0), size=(MASK_SIZE, MASK_SIZE), mode="nearest"))
        return out.reshape(-1, MASK_SIZE * MASK_SIZE)

    def at_positions(self, stem, layer1, layer2, corr, positions):
        """Mask logits (N, 127*127) of sample i at ``positions[i]`` = (y, x); each sample runs
        alone, so its logits do not depend on the batch (see :mod:`..xcorr`)."""
        return torch.cat([self(*refine_crops(stem[i:i + 1], layer1[i:i + 1], layer2[i:i + 1], corr[i:i + 1], pos))
                          for i, pos in enumerate(positions)])
