"""Convolution weights kept in the layout of the search crops (a CPU tracker speed-up that
changes no output bit; docs/deploy.md, "Speed").

The tracker's search crops are float32 copies of OpenCV's HxWx3 patches, so their strides are
channels-last (as pysot's, whose ``astype`` keeps the transposed layout), and PyTorch then runs
the whole search branch with channels-last convolutions. Those need channels-last weights: a
weight stored NCHW is reordered on every call, a copy of every k x k weight on every frame
(about 9 % of ResNet-50's frame on the CPU, found with ``torch.profiler``: ``aten::copy_`` of
the (256, 256, 3, 3) and (2048, 1024, 3, 3) weights). :func:`keep_weights_channels_last` stores
those weights channels-last once; a template crop (NCHW) gets an NCHW copy of the weight, i.e.
exactly the convolution it ran before. 1x1 weights are left alone: both layouts are the same
memory there, and restriding them changes which kernel oneDNN picks on several threads.
"""
import torch
import torch.nn as nn

__all__ = ["LayoutAwareConv2d", "keep_weights_channels_last"]


class LayoutAwareConv2d(nn.Conv2d):
    """A ``Conv2d`` whose weight is stored channels-last and handed to the convolution in the
    layout of each input: as stored for a channels-last input, as an NCHW copy otherwise. The
    result is the plain ``Conv2d``'s to the bit (PyTorch reorders the weight to the input's
    layout itself; here the reordering of the channels-last case is done once)."""

    def forward(self, x):
        """The convolution of ``x`` (see class doc)."""
        weight = self.weight
        if x.is_contiguous() or not x.is_contiguous(memory_format=torch.channels_last):
            weight = weight.contiguous()
        return self._conv_forward(x, weight, self.bias)


def keep_weights_channels_last(model):
    """Turn every plain ``nn.Conv2d`` of ``model`` with a kernel larger than 1x1 into a
    :class:`LayoutAwareConv2d` with its weight stored channels-last, in place (parameters,
    names and ``state_dict`` keys unchanged). Returns the number of convolutions changed."""
    changed = 0
    for module in model.modules():
        if type(module) is nn.Conv2d and module.kernel_size[0] * module.kernel_size[1] > 1:
            module.__class__ = LayoutAwareConv2d
            module.weight.data = module.weight.data.contiguous(memory_format=torch.channels_last)
            changed += 1
    return changed
