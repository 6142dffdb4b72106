"""Reading text files of numbers, shared by the benchmark loaders and the result readers."""
import re
from typing import List

SEPARATORS = re.compile(r"[,\s]+")


def read_number_rows(path, error_cls, description) -> List[List[float]]:
    """Rows of floats of a comma/tab/space separated text file, empty lines skipped.

    Unreadable files and non-numeric lines raise ``error_cls`` with a one-line message naming
    the file (``description`` says what it is, e.g. "result") and, for a bad line, its number.
    """
    rows = []
    try:
        with open(path, "r") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    rows.append([float(v) for v in SEPARATORS.split(line) if v])
                except ValueError:
                    raise error_cls(f"{path}:{lineno}: not a list of numbers: {line[:60]!r}")
    except OSError as exc:
        raise error_cls(f"cannot read {description} file {path}: {exc.strerror}")
    return rows
