"""Checking an export: the ONNX checker, then a runtime's outputs against PyTorch's.

Agreement is measured as ``max |runtime - torch| / max |torch|`` per output and must not exceed
:data:`TOLERANCE` (1e-4). Crops default to a deterministic textured image (smooth blobs plus
noise, 0..255 like a real BGR crop); callers may pass crops cut from real frames.
"""
import numpy as np
import torch

from ..utils.errors import first_line
from ..utils.extras import require
from .errors import ExportError

TOLERANCE = 1e-4


def relative_difference(actual, expected):
    """``max |actual - expected| / max |expected|`` (the absolute difference if ``expected`` is 0)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return float("inf")
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    diff = float(np.abs(actual - expected).max()) if expected.size else 0.0
    return diff / scale if scale > 0 else diff


def textured_crops(batch, size, seed=0):
    """(batch, 3, size, size) float32 crops of a deterministic texture, values 0..255."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (batch, 3, size // 8 + 2, size // 8 + 2))
    smooth = np.repeat(np.repeat(coarse, 8, axis=2), 8, axis=3)[:, :, :size, :size]
    noisy = 0.75 * smooth + rng.uniform(0, 64, smooth.shape)
    return torch.from_numpy(np.clip(np.round(noisy), 0, 255).astype(np.float32))


def as_crops(value, size, what):
    """``value`` (array or tensor, (3,S,S) or (N,3,S,S)) as a float32 (N,3,S,S) tensor of side ``size``."""
    crops = torch.as_tensor(np.asarray(value, dtype=np.float32))
    if crops.dim() == 3:
        crops = crops[None]
    if crops.dim() != 4 or crops.shape[1] != 3 or tuple(crops.shape[2:]) != (size, size):
        raise ExportError(f"check {what} crops must be (N, 3, {size}, {size}), got {tuple(crops.shape)}")
    return crops.contiguous()


def check_graph_file(path):
    """Run the ONNX checker (with shape inference) on ``path``; :class:`ExportError` if it fails."""
    onnx = require("onnx", "onnx", "ONNX export")
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as exc:  # onnx.checker.ValidationError, shape inference errors
        raise ExportError(f"{path.name} fails the ONNX checker: {first_line(exc)}") from None


def compare(report, name, actual, expected, runtime):
    """Record ``name``'s relative difference in ``report``; :class:`ExportError` above the tolerance."""
    rel = relative_difference(actual, expected)
    report[name] = rel
    if not rel <= TOLERANCE:
        raise ExportError(f"{runtime} output {name} differs from PyTorch's by {rel:.3g} relative "
                          f"(tolerance {TOLERANCE:g}): the export is wrong, nothing was written")
    return rel


def ort_session(path, threads=None, providers=None):
    """An ONNX Runtime session for ``path`` (CPU unless ``providers`` says otherwise)."""
    ort = require("onnxruntime", "onnx", "running ONNX models")
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    try:
        return ort.InferenceSession(str(path), options, providers=providers or ["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail / InvalidGraph exceptions
        raise ExportError(f"ONNX Runtime cannot load {path}: {first_line(exc)}") from None


def run_session(session, outputs, feeds, path):
    """``session.run(outputs, feeds)`` with a one-line :class:`ExportError` if ONNX Runtime fails
    (e.g. a graph that only runs at the batch size it was traced with)."""
    try:
        return session.run(outputs, feeds)
    except Exception as exc:  # onnxruntime's Fail / InvalidArgument / RuntimeException
        shapes = ", ".join(f"{name} {list(value.shape)}" for name, value in feeds.items())
        raise ExportError(f"ONNX Runtime cannot run {path.name} on {shapes}: {first_line(exc)}") from None
