"""Export-friendly cross-correlations, numerically equal to :mod:`siamtrack.modeling.xcorr`.

The PyTorch correlations run a grouped convolution whose ``groups`` is batch x channels (depthwise)
or one convolution per sample (up-channel). ONNX stores ``groups`` as a constant and a traced loop
over the batch unrolls to a fixed batch, so neither exports with a dynamic batch. Here the
correlation is written with the template as data: for every kernel offset (u, v) the search map
shifted by (u, v) is multiplied by the kernel tap (depthwise) or gathered into columns for one
batched matrix product (up-channel). Only Slice, Mul, Add, Concat, Reshape and MatMul are
exported, with any batch and search size: ONNX Runtime runs both variants, OpenCV's dnn module the
depthwise one (the only one the opencv layout uses).
The sums run in another order than the convolution's, so results agree to float32 rounding
(about 1e-6 relative), which every export checks (see docs/deploy.md).
"""
import torch


def _shifted(x, height, width):
    """``x[:, :, u:u+H', v:v+W']`` for each kernel offset (u, v), row-major, where the kernel is
    ``height`` x ``width`` and ``H' = H - height + 1``. Negative stops keep the slices valid for
    any search size."""
    for u in range(height):
        for v in range(width):
            yield x[:, :, u:(u - height + 1) or None, v:(v - width + 1) or None]


def xcorr_depthwise_shifted(x, kernel):
    """Depthwise correlation: (B,C,H,W) * (B,C,h,w) -> (B,C,H-h+1,W-w+1), summed over the taps."""
    height, width = int(kernel.shape[2]), int(kernel.shape[3])
    out = None
    for i, window in enumerate(_shifted(x, height, width)):
        u, v = divmod(i, width)
        term = window * kernel[:, :, u:u + 1, v:v + 1]
        out = term if out is None else out + term
    return out


def xcorr_up_channel_matmul(x, kernel):
    """Up-channel correlation: (B,C,H,W) * (B,C*K,h,w) -> (B,K,H',W') as one batched matmul.

    Kernel o uses template channels ``o*C .. o*C+C-1`` (as :func:`siamtrack.modeling.xcorr.xcorr_up_channel`).
    """
    channels = int(x.shape[1])
    height, width = int(kernel.shape[2]), int(kernel.shape[3])
    windows = torch.stack(list(_shifted(x, height, width)), dim=2)  # (B, C, h*w, H', W')
    out_h, out_w = windows.shape[3], windows.shape[4]
    columns = windows.reshape(x.shape[0], channels * height * width, -1)
    taps = kernel.reshape(x.shape[0], -1, channels * height * width)  # (B, K, C*h*w), same order
    return torch.matmul(taps, columns).reshape(x.shape[0], -1, out_h, out_w)


def xcorr_plain_matmul(x, kernel):
    """SiamFC correlation summed over channels: (B,C,H,W) * (B,C,h,w) -> (B,1,H',W')."""
    return xcorr_up_channel_matmul(x, kernel)
