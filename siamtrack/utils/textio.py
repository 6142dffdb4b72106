"""The one reader of text files of numbers, flags and names (box files, flag files, list.txt).

Rules shared by every reader here (``docs/data.md`` states them for users):

* Values are separated by commas, tabs or spaces, in any mix; ``NaN`` is a number.
* Line *i* is frame *i*: a blank line **inside** a file is a row without numbers (an absent box
  for :func:`read_numbers`, an unset flag for :func:`read_flags`); blank lines at the end of a
  file are ignored.
* A value that is not a number raises ``error_cls`` (an :class:`InputError` by default) with a
  one-line message ``<file>:<line>: ...``; an unreadable file names the file.
"""
import os
import re
from typing import List

import numpy as np

from .errors import InputError

__all__ = ["SEPARATORS", "read_number_rows", "read_numbers", "read_flags", "read_names"]

SEPARATORS = re.compile(r"[,\s]+")


def read_number_rows(path, error_cls=InputError, description="number") -> List[List[float]]:
    """The numbers of each line of ``path`` as a list of float lists, one per line.

    A blank line inside the file gives an empty list (so line *i* stays row *i*); blank lines
    at the end are dropped. ``description`` names the file in messages (e.g. "ground-truth").
    """
    try:
        with open(path, "r") as f:
            lines = f.read().splitlines()
    except UnicodeDecodeError:
        raise error_cls(f"cannot read {description} file {path}: not a text file") from None
    except OSError as exc:
        raise error_cls(f"cannot read {description} file {path}: {exc.strerror}") from None
    rows = []  # parsed outside the try: error_cls may itself be an OSError
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        try:
            rows.append([float(v) for v in SEPARATORS.split(text) if v])
        except ValueError:
            raise error_cls(f"{path}:{lineno}: not a list of numbers: {text[:60]!r}") from None
    while rows and not rows[-1]:
        rows.pop()
    return rows


def read_numbers(path, columns=None, description="annotation", error_cls=InputError) -> np.ndarray:
    """A float64 array with one row per line of ``path``; blank inner lines become NaN rows.

    ``columns`` (an int or a tuple of ints) is the allowed number of values per line; every
    non-blank line must have the same count. An empty file, or a line with another count,
    raises ``error_cls`` naming the file and the line.
    """
    rows = read_number_rows(path, error_cls, description)
    if not rows:
        raise error_cls(f"{description} file {path} is empty")
    allowed = (columns,) if isinstance(columns, int) else tuple(columns or ())
    width = next(len(r) for r in rows if r)
    for lineno, row in enumerate(rows, 1):
        if row and allowed and len(row) not in allowed:
            expected = " or ".join(map(str, allowed)) + " numbers per line"
        elif row and len(row) != width:
            expected = f"{width} numbers per line (as on the first line)"
        else:
            continue
        raise error_cls(f"{description} file {path}:{lineno}: expected {expected}, found {len(row)}")
    return np.asarray([r if r else [np.nan] * width for r in rows], dtype=np.float64)


def read_flags(path, count, error_cls=InputError) -> np.ndarray:
    """Per-frame flags of ``path`` as a bool array of length ``count``.

    The values are read in file order (one per line, or several on a line, as in LaSOT's
    ``0,0,1,...``). A flag is **set when its value is > 0**: ``1`` and ``0.5`` are set; ``0``,
    negative values, ``NaN`` and blank inner lines are not. A missing file, or missing trailing
    values, mean not set; values beyond ``count`` are ignored.
    """
    out = np.zeros(int(count), dtype=bool)
    if not os.path.isfile(path):
        return out
    values = np.asarray([v for row in read_number_rows(path, error_cls, "flag") for v in (row or [np.nan])],
                        dtype=np.float64)[: len(out)]
    out[: len(values)] = values > 0
    return out


def read_names(path, error_cls=InputError, description="list") -> List[str]:
    """The names listed in ``path`` (``list.txt``, ``training_set.txt``): one per line,
    surrounding spaces stripped, blank lines skipped, order kept."""
    try:
        with open(path, "r") as f:
            return [line.strip() for line in f if line.strip()]
    except UnicodeDecodeError:
        raise error_cls(f"cannot read {description} file {path}: not a text file") from None
    except OSError as exc:
        raise error_cls(f"cannot read {description} file {path}: {exc.strerror}") from None
