"""Winograd F(4x4, 3x3) convolution: the CPU tracker's fast float32 path (``TRACK.WINOGRAD``;
docs/deploy.md, "Winograd convolutions").

A 3x3 convolution computed tile by tile in the Winograd domain (Lavin & Gray, "Fast Algorithms
for Convolutional Neural Networks", 2016): each 4x4 output tile costs 36 multiply-adds per
input/output channel pair instead of 144, so the convolution's matrix products are 4x smaller.
On the CPU this matters for ResNet-50 SiamRPN++, whose 3x3 convolutions are 75 % of the 97 GFLOP
of a search step (the dilated layer4 shortcut alone is 36 GFLOP).

Dilated convolutions (pysot's layer3 / layer4) are split into ``dilation**2`` undilated ones
on the interleaved sub-grids of the input, which are exactly the same sums. The arithmetic is
float32 throughout (the transforms are computed in float64 and rounded once): a layer's outputs
differ from the direct convolution's by about 1e-5 of their largest magnitude, the network's
``cls`` / ``loc`` maps by a few 1e-6 (tests/test_winograd.py), the same order as ONNX Runtime's
differences from PyTorch. It is not bit-exact, which is why it is off by default.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["WinogradConv2d", "winograd_filters", "winograd_conv2d", "use_winograd_convs",
           "MIN_CHANNEL_PRODUCT"]

# Below about 256 x 256 channels the transforms cost more than the products they save (measured
# on a 2-core AVX-512 CPU: 64 x 64 at 63x63 takes 2x the direct time, 256 x 256 at 31x31 0.85x).
MIN_CHANNEL_PRODUCT = 256 * 256

_TILE = 4  # output tile side m of F(m x m, 3 x 3)
_SPAN = _TILE + 2  # input tile side
# The F(4, 3) matrices for the interpolation points 0, +-1, +-2, infinity.
_BT = torch.tensor([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                    [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], dtype=torch.float64)
_G = torch.tensor([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                   [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], dtype=torch.float64)
_AT = torch.tensor([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
                   dtype=torch.float64)
# vec(BT d B) = kron(BT, BT) vec(d): the 2-D transforms of every tile are one matrix product each.
_INPUT_TRANSFORM = torch.kron(_BT, _BT)  # (36, 36)
_OUTPUT_TRANSFORM = torch.kron(_AT, _AT)  # (16, 36)


def winograd_filters(weight):
    """The Winograd-domain filters ``G g G^T`` of a (out, in, 3, 3) weight, as a float32
    (36, out, in) tensor (computed in float64)."""
    if weight.dim() != 4 or tuple(weight.shape[2:]) != (3, 3):
        raise ValueError(f"Winograd F(4x4, 3x3) takes a (out, in, 3, 3) weight, got {tuple(weight.shape)}")
    out_channels, in_channels = weight.shape[:2]
    g = _G.to(weight.device)
    filters = torch.einsum("ik,ockl,jl->ijoc", g, weight.detach().double(), g)
    return filters.reshape(_SPAN * _SPAN, out_channels, in_channels).to(torch.float32).contiguous()


def _ceil_div(a, b):
    return -(-a // b)


def _one_image(x, filters, padding, dilation, input_transform, output_transform):
    """F(4x4, 3x3) of a (1, C, H, W) batch; returns (1, H_out, W_out, C_out) (channels-last data)."""
    _, channels, height, width = x.shape
    out_channels = filters.shape[1]
    d, m = dilation, _TILE
    out_h, out_w = height + 2 * padding - 2 * d, width + 2 * padding - 2 * d
    tiles_h, tiles_w = _ceil_div(_ceil_div(out_h, d), m), _ceil_div(_ceil_div(out_w, d), m)  # per sub-grid
    padded_h, padded_w = d * (tiles_h * m + 2), d * (tiles_w * m + 2)
    padded = F.pad(x, (padding, padded_w - width - padding, padding, padded_h - height - padding))
    _, s_c, s_h, s_w = padded.stride()
    count = d * d * tiles_h * tiles_w
    # tile element (ky, kx) of channel c, sub-grid (a, b), tile (ty, tx) is
    # padded[c, a + d * (m * ty + ky), b + d * (m * tx + kx)]: one strided view, gathered once.
    tiles = torch.empty((_SPAN, _SPAN, channels, d, d, tiles_h, tiles_w), dtype=x.dtype, device=x.device)
    tiles.copy_(padded[0].as_strided(tiles.shape, (d * s_h, d * s_w, s_c, s_h, s_w, m * d * s_h, m * d * s_w)))
    spectra = torch.mm(input_transform, tiles.view(_SPAN * _SPAN, channels * count))
    products = torch.bmm(filters, spectra.view(_SPAN * _SPAN, channels, count))  # (36, C_out, tiles)
    values = torch.mm(output_transform, products.view(_SPAN * _SPAN, out_channels * count))
    out = torch.empty((1, d * tiles_h * m, d * tiles_w * m, out_channels), dtype=x.dtype, device=x.device)
    _, o_h, o_w, o_c = out.stride()
    out[0].as_strided((m, m, out_channels, d, d, tiles_h, tiles_w),
                      (d * o_h, d * o_w, o_c, o_h, o_w, m * d * o_h, m * d * o_w)).copy_(
        values.view(m, m, out_channels, d, d, tiles_h, tiles_w))
    return out[:, :out_h, :out_w]


def winograd_conv2d(x, filters, bias=None, padding=0, dilation=1, transforms=None):
    """``F.conv2d(x, weight, bias, stride=1, padding, dilation)`` of a 3x3 ``weight`` given as
    ``filters = winograd_filters(weight)``, by Winograd F(4x4, 3x3) (float32; see the module doc).

    Images are done one at a time, so the result of an image does not depend on the batch it
    came in, and the intermediate tensors stay small. ``transforms``: the (input, output)
    transform matrices in ``x``'s dtype and device (made here when None). The result is
    channels-last in memory, like the direct convolution of the tracker's crops.
    """
    if x.dim() != 4 or x.shape[1] != filters.shape[2]:
        raise ValueError(f"winograd_conv2d expects (N, {filters.shape[2]}, H, W) input, got {tuple(x.shape)}")
    if transforms is None:
        transforms = (_INPUT_TRANSFORM.to(x), _OUTPUT_TRANSFORM.to(x))
    images = [_one_image(x[i:i + 1], filters, padding, dilation, *transforms) for i in range(x.shape[0])]
    out = (images[0] if len(images) == 1 else torch.cat(images)).permute(0, 3, 1, 2)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


class WinogradConv2d(nn.Module):
    """A 3x3, stride-1, ungrouped ``nn.Conv2d`` (any padding and dilation) computed by
    :func:`winograd_conv2d`, for inference. Keeps the Winograd-domain filters (4x the size of
    the weight) and the bias as buffers; ``from_conv`` converts a convolution."""

    def __init__(self, filters, bias, padding, dilation):
        """``filters`` from :func:`winograd_filters`; ``padding`` / ``dilation`` as ints."""
        super().__init__()
        self.register_buffer("filters", filters)
        self.register_buffer("bias", None if bias is None else bias.detach().clone())
        self.register_buffer("input_transform", _INPUT_TRANSFORM.to(filters))
        self.register_buffer("output_transform", _OUTPUT_TRANSFORM.to(filters))
        self.padding, self.dilation = int(padding), int(dilation)
        self.in_channels, self.out_channels = int(filters.shape[2]), int(filters.shape[1])

    @staticmethod
    def supports(conv):
        """Whether ``conv`` is a convolution this class computes: a plain 3x3 ``nn.Conv2d`` with
        stride 1, one group, zero padding and equal padding / dilation on both axes."""
        return (isinstance(conv, nn.Conv2d) and tuple(conv.kernel_size) == (3, 3) and tuple(conv.stride) == (1, 1)
                and conv.groups == 1 and conv.padding_mode == "zeros" and not isinstance(conv.padding, str)
                and conv.padding[0] == conv.padding[1] and conv.dilation[0] == conv.dilation[1])

    @classmethod
    def from_conv(cls, conv):
        """The Winograd equivalent of ``conv`` (see :meth:`supports`)."""
        if not cls.supports(conv):
            raise ValueError(f"WinogradConv2d cannot compute {conv}")
        return cls(winograd_filters(conv.weight), conv.bias, conv.padding[0], conv.dilation[0])

    def forward(self, x):
        """The convolution of ``x`` (N, C, H, W)."""
        return winograd_conv2d(x, self.filters, self.bias, self.padding, self.dilation,
                               (self.input_transform, self.output_transform))

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size=(3, 3), padding={self.padding}, "
                f"dilation={self.dilation}, F(4x4, 3x3)")


def use_winograd_convs(model, min_channel_product=MIN_CHANNEL_PRODUCT):
    """Replace, in place, every convolution of ``model`` that :class:`WinogradConv2d` supports and
    whose in x out channels reach ``min_channel_product`` (smaller ones are faster direct).
    For a model in eval mode, after BatchNorm folding; its ``state_dict`` changes. Returns the
    number of convolutions replaced."""
    replaced = 0
    for module in list(model.modules()):
        for name, child in list(module.named_children()):
            if WinogradConv2d.supports(child) and child.in_channels * child.out_channels >= min_channel_product:
                setattr(module, name, WinogradConv2d.from_conv(child))
                replaced += 1
    return replaced
