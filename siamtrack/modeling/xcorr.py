"""Cross-correlation primitives of Siamese trackers (docs/model.md, "Neck and heads").

All correlate without padding, stride 1 and without flipping the kernel (a ``conv2d``), each
sample of the batch with its own template. ``x`` is the search feature, ``kernel`` the template.

On the CPU each sample's output is bit-identical whatever the batch size (the tracker batches
targets and promises each its single-target result; ``tests/test_heads.py`` checks it). The
depthwise correlation (:func:`~siamtrack.modeling.heads.rpn.xcorr_depthwise`, beside the head
that uses it), one grouped conv with a group per (sample, channel), is batch-invariant as it
is. A conv with one group per sample over several input channels is not (oneDNN's
grouped kernel sums the channels in another order than the single-group one used at batch 1),
so the up-channel correlation runs one conv per sample.
"""
import torch
import torch.nn.functional as F

__all__ = ["xcorr_up_channel", "xcorr_plain"]


def xcorr_up_channel(x, kernel):
    """Up-channel correlation: (B,C,H,W) * (B,C*K,h,w) -> (B,K,H',W').

    The template is read as K kernels of C channels (kernel o uses template channels
    ``o*C .. o*C+C-1``), each fully correlated with the search map.
    """
    channels = x.size(1)
    return torch.cat([F.conv2d(x[i:i + 1], kernel[i].reshape(-1, channels, kernel.size(2), kernel.size(3)))
                      for i in range(x.size(0))])


def xcorr_plain(x, kernel):
    """SiamFC correlation summed over channels: (B,C,H,W) * (B,C,h,w) -> (B,1,H',W')."""
    return xcorr_up_channel(x, kernel)
