"""Errors of ONNX export and of running exported models; each message is one line for users."""
from ..utils.errors import InputError

EXTRA_HINT = "needs the 'onnx' extra: pip install 'siamtrack[onnx]'"


class ExportError(InputError):
    """An export that cannot be written or checked, or an exported folder that cannot be used."""


class MissingExtraError(ExportError):
    """onnx / onnxruntime are not installed (they come with the ``onnx`` extra)."""


def require(module_name, purpose):
    """Import and return ``module_name`` (``"onnx"`` or ``"onnxruntime"``), or raise
    :class:`MissingExtraError` saying that ``purpose`` needs the ``onnx`` extra."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ImportError:
        raise MissingExtraError(f"{purpose} {EXTRA_HINT} (cannot import {module_name})") from None
