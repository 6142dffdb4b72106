"""Per-stage wall-clock accounting for the tracker (network vs everything else)."""
import time
from collections import defaultdict
from contextlib import contextmanager

import torch


class StageTimer:
    """Accumulates seconds per named stage; ``with timer.stage("network"): ...``.

    With ``cuda_sync`` the CUDA stream is synchronised on entry and exit so asynchronous GPU
    work is charged to the stage that launched it.
    """

    def __init__(self, cuda_sync=False):
        self.cuda_sync = cuda_sync and torch.cuda.is_available()
        self.seconds = defaultdict(float)

    @contextmanager
    def stage(self, name):
        """Time the body of the ``with`` block under ``name``."""
        if self.cuda_sync:
            torch.cuda.synchronize()
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.cuda_sync:
                torch.cuda.synchronize()
            self.seconds[name] += time.perf_counter() - start

    def reset(self):
        """Forget all accumulated times."""
        self.seconds.clear()
