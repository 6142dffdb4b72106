"""Optional dependencies: import one or say, in one line, which siamtrack extra installs it."""
import importlib

from .errors import InputError

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(InputError, ImportError):
    """An optional package is not installed; the message names the extra that installs it."""


def require(module, extra):
    """Import ``module`` or raise :class:`MissingExtraError` naming siamtrack's ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"needs the {extra!r} extra ({exc}): pip install 'siamtrack[{extra}]'") from None
