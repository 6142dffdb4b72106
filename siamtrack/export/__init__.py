"""ONNX export of SiamRPN models and an ONNX Runtime model with the PyTorch model's interface.

Needs the ``onnx`` extra (``pip install 'siamtrack[onnx]'``); without it the functions raise
:class:`MissingExtraError` saying so. See docs/deploy.md.
"""
from .errors import EXTRA_HINT, ExportError, MissingExtraError
from .exporter import DEFAULT_OPSET, LAYOUTS, export_onnx, model_from_config
from .manifest import MANIFEST_NAME, read_manifest
from .runtime import OnnxSiamModel
from .verify import TOLERANCE, relative_difference

__all__ = ["export_onnx", "model_from_config", "OnnxSiamModel", "read_manifest", "relative_difference",
           "ExportError", "MissingExtraError", "EXTRA_HINT", "LAYOUTS", "DEFAULT_OPSET", "MANIFEST_NAME",
           "TOLERANCE"]
