"""Bottom layer: helpers every other siamtrack package may use, and that import none of them.

See ``docs/architecture.md`` for the layer order.
"""
from .errors import InputError, first_line

__all__ = ["InputError", "first_line"]
