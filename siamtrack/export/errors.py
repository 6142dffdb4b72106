"""The error of ONNX export and of running exported models; each message is one line for users.

A missing ``onnx`` extra is :class:`siamtrack.utils.extras.MissingExtraError`
(:func:`~siamtrack.utils.extras.require`).
"""
from ..utils.errors import InputError

__all__ = ["ExportError"]


class ExportError(InputError):
    """An export that cannot be written or checked, or an exported folder that cannot be used."""
