"""The one natural sort: how every image folder (tracking, evaluation, training) is ordered."""
import re
from typing import Iterable, List

__all__ = ["natural_key", "natural_sorted"]

_DIGITS = re.compile(r"(\d+)")


def natural_key(name):
    """Sort key comparing **every** run of digits as a number and the text between them
    case-insensitively: ``img2 < img10``, ``a2_b10 < a10_b2``, ``seq1_10 < seq2_1``.

    Names equal under that rule (``01.jpg`` and ``1.jpg``, ``A.jpg`` and ``a.jpg``) are
    ordered by the plain string, so the order never depends on the listing order.
    """
    name = str(name)
    parts = _DIGITS.split(name)  # text, digits, text, ...: same types at the same positions
    return [int(p) if i % 2 else p.lower() for i, p in enumerate(parts)], name


def natural_sorted(names: Iterable) -> List:
    """``names`` in :func:`natural_key` order (a new list)."""
    return sorted(names, key=natural_key)
