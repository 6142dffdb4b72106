"""ONNX export of SiamRPN models and an ONNX Runtime model with the PyTorch model's interface.

Needs the ``onnx`` extra (``pip install 'siamtrack[onnx]'``); without it the functions raise
:class:`siamtrack.utils.extras.MissingExtraError` saying so. See docs/deploy.md.
"""
from .errors import ExportError
from .exporter import DEFAULT_OPSET, LAYOUTS, export_onnx, model_from_config
from .manifest import MANIFEST_NAME, read_manifest
from .runtime import OnnxSiamModel
from .verify import TOLERANCE, relative_difference

__all__ = ["export_onnx", "model_from_config", "OnnxSiamModel", "read_manifest", "relative_difference",
           "ExportError", "LAYOUTS", "DEFAULT_OPSET", "MANIFEST_NAME",
           "TOLERANCE"]
