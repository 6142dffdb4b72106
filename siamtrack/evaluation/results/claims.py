"""Per-sequence claims in a results folder, so that several processes or commands writing into
the same folder never track the same sequence at once (docs/evaluation.md).

A claim is an exclusive ``flock`` on ``<tracker folder>/.claims/<sequence>``: the operating
system releases it when its process ends, however it ends, so a killed process leaves no stale
claim. Result files are written atomically besides, so a reader never sees half a file.
"""
import contextlib
import os
from typing import Optional

try:
    import fcntl
except ImportError:  # Windows: no claims (one command per results folder there)
    fcntl = None

__all__ = ["SequenceClaim", "update_lock"]


def _lock_file(path: str):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return open(path, "a")


class SequenceClaim:
    """The claim of one sequence: :meth:`try_take` (without waiting), :meth:`wait` (until the
    process holding it ends or releases it), :meth:`release`. A context manager releases."""

    def __init__(self, tracker_dir: str, sequence: str):
        name = sequence.replace(os.sep, "__").replace("/", "__")
        self.path = os.path.join(tracker_dir, ".claims", name)
        self._file: Optional[object] = None

    def try_take(self) -> bool:
        """Take the claim if no other process holds it; True when this process holds it now."""
        return self._take("nowait")

    def wait(self) -> bool:
        """Take the claim, waiting for the process holding it."""
        return self._take("wait")

    def _take(self, how) -> bool:
        if self._file is not None or fcntl is None:
            return True
        f = _lock_file(self.path)
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | (fcntl.LOCK_NB if how == "nowait" else 0))
        except BlockingIOError:
            f.close()
            return False
        self._file = f
        return True

    def release(self):
        """Let other processes take the sequence (closing the file releases the lock)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


@contextlib.contextmanager
def update_lock(tracker_dir: str, name: str = ".lock"):
    """Hold an exclusive ``flock`` on ``<tracker_dir>/<name>`` for the block, waiting for it
    (read-modify-write of a file several processes update, e.g. the fingerprint's list of
    finished sequences); unlike :func:`siamtrack.utils.fileio.folder_lock`, which refuses a
    second writer at once."""
    f = _lock_file(os.path.join(tracker_dir, name))
    try:
        if fcntl is not None:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        f.close()
