"""Optional dependencies: import one or say, in one line, which siamtrack extra installs it."""
import importlib

from .errors import InputError

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(InputError, ImportError):
    """An optional package is not installed; the message names the extra that installs it."""


def require(module, extra, purpose=""):
    """Import and return ``module``, or raise :class:`MissingExtraError` saying (in one line) that
    ``purpose`` (e.g. ``"ONNX export"``) needs siamtrack's ``extra`` and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs the {extra!r} extra ({exc}): pip install 'siamtrack[{extra}]'".strip()) from None
