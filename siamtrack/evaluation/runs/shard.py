"""How one benchmark is shared among processes (docs/evaluation.md, "Several processes, GPUs
and machines"): which sequences each process tracks, how many threads each gets, and the
frame counts the first process shows as one progress bar.

The split depends only on the sequences' frame counts and names, never on timing, so every
process computes the same split by itself and the result files do not depend on it.
"""
import os
import threading
import time
from typing import List, Sequence

from tqdm import tqdm

__all__ = ["assign_sequences", "available_cpus", "default_threads", "ProgressFiles"]


def assign_sequences(sequences: Sequence, world_size: int) -> List[List[str]]:
    """Names of the sequences of each of ``world_size`` processes: taken longest first (ties by
    name), each to the process with the fewest frames so far (ties: the lowest rank). Every
    sequence goes to exactly one process; each list is in the order of ``sequences`` (the
    benchmark's), the order it is tracked in (one process tracks the benchmark in its order)."""
    shares: List[List[str]] = [[] for _ in range(world_size)]
    load = [0] * world_size
    for seq in sorted(sequences, key=lambda s: (-s.n_frames, s.name)):
        rank = min(range(world_size), key=lambda r: (load[r], r))
        shares[rank].append(seq.name)
        load[rank] += seq.n_frames
    position = {seq.name: i for i, seq in enumerate(sequences)}
    return [sorted(share, key=position.__getitem__) for share in shares]


def available_cpus() -> int:
    """The cores this process may run on (its CPU affinity), else ``os.cpu_count()``."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_threads(processes_per_machine: int) -> int:
    """Threads of each process by default: an equal share of :func:`available_cpus`, at least 1."""
    return max(1, available_cpus() // max(1, processes_per_machine))


class ProgressFiles:
    """Frames done by each process, one small file per rank in ``<folder>/.progress/``
    (rewritten at most every ``interval`` seconds and at the end of each sequence), and the
    first process's one bar summing them (:meth:`show`). Works across machines that share the
    results folder."""

    def __init__(self, folder: str, rank: int = 0, interval: float = 0.5):
        self.folder = os.path.join(folder, ".progress")
        self.rank, self.interval = rank, interval
        self.done = 0
        self._written = None

    def _path(self, rank: int) -> str:
        return os.path.join(self.folder, f"rank{rank}")

    def clear(self, ranks):
        """Forget the counts of ``ranks`` (a new run)."""
        for rank in ranks:
            try:
                os.remove(self._path(rank))
            except OSError:
                pass

    def add(self, frames: int, force: bool = False):
        """Count ``frames`` more frames done by this process."""
        self.done += frames
        now = time.monotonic()
        if force or self._written is None or now - self._written >= self.interval:
            os.makedirs(self.folder, exist_ok=True)
            tmp = f"{self._path(self.rank)}.tmp-{os.getpid()}"  # two commands may share a rank
            with open(tmp, "w") as f:
                f.write(str(self.done))
            os.replace(tmp, self._path(self.rank))
            self._written = now

    def total(self, world_size: int) -> int:
        """Frames done by all ``world_size`` processes, as last written."""
        done = 0
        for rank in range(world_size):
            try:
                with open(self._path(rank)) as f:
                    done += int(f.read().strip() or 0)
            except (OSError, ValueError):
                pass
        return done

    def show(self, world_size: int, total_frames: int, desc: str, enabled: bool = True):
        """Start a thread drawing one bar of the frames of all processes; returns a function
        that stops it (after a last update)."""
        stop = threading.Event()
        bar = tqdm(total=total_frames, desc=desc, unit="frame", disable=not enabled, dynamic_ncols=True)

        def update():
            bar.n = min(self.total(world_size), total_frames)
            bar.refresh()

        def loop():
            while not stop.wait(self.interval):
                update()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()

        def finish():
            stop.set()
            thread.join()
            update()
            bar.close()

        return finish

