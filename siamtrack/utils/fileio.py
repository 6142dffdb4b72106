"""Atomic file writing: a file under its final name is always complete."""
import os
import tempfile
from typing import Iterable

__all__ = ["current_umask", "atomic_write"]


def current_umask() -> int:
    """The process's file-creation mask: from ``/proc/self/status`` on Linux, else by setting
    and restoring it (which another thread creating a file at that instant could notice)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path, lines: Iterable[str]):
    """Write ``lines`` (each followed by a newline) to ``path`` through a temporary file in the
    same folder and a rename, so that readers never see a partial file and an interrupted write
    leaves the old file (or none). Missing folders are created.

    The file gets the mode a plain ``open(path, "w")`` would give (``0o666`` less the umask);
    ``tempfile.mkstemp`` alone would leave it readable by its owner only.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp_", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
