"""What the GPU check runs and where: sizes (full or ``--tiny``), the shared test data, the
device, float32 precision and the time budget."""
import contextlib
import datetime
import faulthandler
import os
import subprocess
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from siamtrack.utils.errors import InputError

__all__ = ["SECTIONS", "CheckPlan", "full_plan", "tiny_plan", "SharedData", "find_shared", "Deadline",
           "BudgetSpent", "watchdog", "strict_float32", "synchronize", "library_versions", "device_meta"]

SECTIONS = ("pytest", "exactness", "training", "speed")
REFERENCE_MODEL = "pysot_siamrpn_alex_dwxcorr"


@dataclass(frozen=True)
class CheckPlan:
    """Sizes of every section; :func:`full_plan` for a GPU, :func:`tiny_plan` for a CPU dry run."""

    tiny: bool
    tracked_frames: int  # frames of bag.avi tracked after the init frame (exactness)
    crop_frames: int  # frames whose crops are compared with OpenCV's
    train_iterations: int  # timed training iterations per mode (after the warm-up)
    train_warmup: int
    train_batch: int  # pairs per iteration
    train_batches: int  # distinct batches made once and replayed (no data loading in the timing)
    speed_warmup: int  # frames tracked before timing
    speed_frames: int  # frames timed for fps
    split_frames: int  # frames timed again with per-stage accounting (network vs the rest)
    target_counts: tuple
    budget_s: float  # the whole check's time budget; later steps are skipped when it is spent


def full_plan(budget_s=360.0):
    """The full check (about 6 minutes on one H100 or H200)."""
    return CheckPlan(tiny=False, tracked_frames=100, crop_frames=20, train_iterations=50, train_warmup=5,
                     train_batch=28, train_batches=8, speed_warmup=10, speed_frames=50, split_frames=20,
                     target_counts=(1, 8, 32), budget_s=budget_s)


def tiny_plan(budget_s=300.0):
    """The same code paths on tiny sizes (a CPU dry run in CI)."""
    return CheckPlan(tiny=True, tracked_frames=2, crop_frames=1, train_iterations=4, train_warmup=1,
                     train_batch=4, train_batches=2, speed_warmup=1, speed_frames=1, split_frames=1,
                     target_counts=(1, 2), budget_s=budget_s)


@dataclass(frozen=True)
class SharedData:
    """The shared test data: the reference AlexNet folder and ``bag.avi``."""

    root: Path

    @property
    def reference(self):
        """``reference/pysot_siamrpn_alex_dwxcorr`` (weights.pth, io.npz, track.json)."""
        return self.root / "reference" / REFERENCE_MODEL

    @property
    def video(self):
        """``data/bag.avi``, the real 480x360 test video."""
        return self.root / "data" / "bag.avi"


def shared_problem(root):
    """Why ``root`` is not the shared test data folder (one line), or None."""
    root = Path(root)
    needed = [root / "reference" / REFERENCE_MODEL / name for name in ("weights.pth", "track.json")]
    needed.append(root / "data" / "bag.avi")
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        return (f"shared test data not found: {missing[0]} is missing (pass --shared DIR, the folder holding "
                "reference/ and data/, or set SIAMTRACK_SHARED)")
    return None


def find_shared(explicit=None, repo_root=None):
    """The shared data folder: ``explicit``, else ``$SIAMTRACK_SHARED``, else ``../shared`` beside
    the repository, else ``shared/`` inside it; raises :class:`InputError` naming what is missing."""
    if explicit:
        candidates = [Path(explicit)]
    elif os.environ.get("SIAMTRACK_SHARED"):
        candidates = [Path(os.environ["SIAMTRACK_SHARED"])]
    else:
        repo_root = Path(repo_root) if repo_root else Path(__file__).resolve().parents[3]
        candidates = [repo_root.parent / "shared", repo_root / "shared"]
    for candidate in candidates:
        if shared_problem(candidate) is None:
            return SharedData(candidate.resolve())
    raise InputError(shared_problem(candidates[0]))


class BudgetSpent(Exception):
    """A step ran past its share of the time budget (the report says SKIP with this message)."""


class Deadline:
    """The check's time budget: ``left()`` seconds remain of ``budget_s`` from creation."""

    def __init__(self, budget_s, end=None):
        self.budget_s = budget_s
        self.end = time.perf_counter() + budget_s if end is None else end

    def left(self):
        """Seconds left (negative once spent)."""
        return self.end - time.perf_counter()

    def step(self, seconds):
        """A step's own deadline: ``seconds`` from now, or this deadline's end if that is sooner."""
        return Deadline(seconds, min(self.end, time.perf_counter() + seconds))

    def check(self, what):
        """Raise :class:`BudgetSpent` (naming ``what``) once the time is spent."""
        if self.left() <= 0:
            raise BudgetSpent(f"{what}: over its time budget ({self.budget_s:.0f} s)")


@contextlib.contextmanager
def watchdog(seconds):
    """End the process (with every thread's traceback on stderr, exit status 1) if the block runs
    longer than ``seconds``: a hung step (a CUDA call, a compilation) cannot be interrupted from
    Python, and the report written so far is kept (its files are rewritten after every line)."""
    faulthandler.dump_traceback_later(max(1.0, seconds), exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def _set_precision(conv, matmul):
    """Set cuDNN's and CUDA matmul's float32 precision (``"ieee"`` or ``"tf32"``); returns the
    previous pair.

    Only the long-standing flags (``allow_tf32``) are set: PyTorch >= 2.9 also has per-operator
    ``fp32_precision`` flags, and once the two APIs are mixed, reading a flag of the other one
    raises (``torch.backends.cudnn.allow_tf32`` after ``cudnn.conv.fp32_precision`` was set).
    Set through the old API, both read consistently.
    """
    cudnn, matmul_flags = torch.backends.cudnn, torch.backends.cuda.matmul
    previous = ("tf32" if cudnn.allow_tf32 else "ieee", "tf32" if matmul_flags.allow_tf32 else "ieee")
    cudnn.allow_tf32 = conv == "tf32"
    matmul_flags.allow_tf32 = matmul == "tf32"
    return previous


@contextlib.contextmanager
def strict_float32(enabled=True):
    """Within the block float32 convolutions and matmuls on CUDA are IEEE float32, not TF32.

    PyTorch lets cuDNN use TF32 (10-bit mantissa) for float32 convolutions on Ampere and later by
    default; that is not float32 exactness. ``enabled=False`` selects TF32 for both instead.
    """
    mode = "ieee" if enabled else "tf32"
    previous = _set_precision(mode, mode)
    try:
        yield
    finally:
        _set_precision(*previous)


def synchronize(device):
    """Wait for ``device``'s queued work (CUDA; nothing to wait for on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _driver_version():
    """The NVIDIA driver's version (``nvidia-smi``), or None."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.strip().splitlines()
    return lines[0].strip() if out.returncode == 0 and lines else None


def library_versions():
    """Versions of what the check's figures depend on: torch, NumPy and OpenCV (the crop twin
    reproduces this OpenCV build's fixed-point resize), and Python."""
    import cv2
    import numpy

    return {"torch": torch.__version__, "numpy": numpy.__version__, "opencv": cv2.__version__,
            "python": platform.python_version()}


def device_meta(device):
    """Facts about the machine and ``device`` for the report's header: the date, the library
    versions, and on CUDA the GPU's name and memory, CUDA, cuDNN and the driver."""
    meta = {"device": str(device), "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            **library_versions(), "cpu_threads": torch.get_num_threads()}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        meta.update(device_name=props.name, cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                    driver=_driver_version(), gpu_memory_gib=round(props.total_memory / 2 ** 30, 1))
    else:
        meta["device_name"] = platform.processor() or platform.machine()
    return meta
