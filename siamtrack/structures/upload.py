"""Host-to-device copies: one pinned, non-blocking upload instead of many small blocking ones.

A copy from pageable host memory to a CUDA device blocks the host until it is done; from pinned
(page-locked) memory it is queued on the stream and returns at once. The tracker uploads each
frame (and the crop twin its index tables) once per frame, the training step its batch once per
step, through :func:`upload`. On other devices it is a plain ``.to(device)`` (no copy for the
CPU).
"""
import torch

__all__ = ["upload"]


def upload(tensor, device):
    """``tensor`` (a CPU tensor, or a NumPy array: shared, not copied) on ``device``; on CUDA
    through a pinned copy and a non-blocking transfer (the caching host allocator keeps the
    pinned buffer alive until the copy is done)."""
    tensor = torch.as_tensor(tensor)
    device = torch.device(device)
    if device.type != "cuda" or tensor.device.type != "cpu":
        return tensor.to(device)
    return tensor.pin_memory().to(device, non_blocking=True)
