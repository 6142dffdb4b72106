"""Common data model of the tracking benchmarks: :class:`Sequence`, :class:`Benchmark` and
the small text readers every loader shares."""
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ...utils import textio
from ...utils.errors import InputError
from ...utils.frames import list_images, read_image

__all__ = ["BenchmarkError", "Sequence", "Benchmark", "read_numbers", "read_flags",
           "list_images"]

class BenchmarkError(InputError):
    """A benchmark folder is missing, incomplete or not in the expected layout."""


@dataclass
class Sequence:
    """One video of a benchmark.

    ``gt`` is a float64 array, one row per annotated frame: 4 numbers ``x, y, w, h`` (0-based
    pixels) or, for VOT, 8 numbers (polygon x1, y1, ..., x4, y4). Test splits without public
    ground truth (GOT-10k test, TrackingNet test) have only the first row. ``attributes`` are
    sequence-level tags (OTB, UAV, LaSOT); ``tags`` are per-frame 0/1 arrays (VOT).
    ``visible`` (LaSOT) marks the frames that are scored; ``None`` means all of them.
    """

    name: str
    frames: List[str]
    gt: np.ndarray
    attributes: Tuple[str, ...] = ()
    tags: Dict[str, np.ndarray] = field(default_factory=dict)
    visible: Optional[np.ndarray] = None
    width: Optional[int] = None
    height: Optional[int] = None
    frame_reader: Optional[Callable] = None  # frame id -> BGR image, for generated videos

    @property
    def n_frames(self) -> int:
        """Number of frames (the frame list, or the ground truth when frames are unknown)."""
        return len(self.frames) if self.frames else len(self.gt)

    @property
    def init_region(self) -> np.ndarray:
        """Ground truth of the first frame (4 or 8 numbers)."""
        return self.gt[0]

    def image_size(self) -> Tuple[int, int]:
        """``(width, height)`` of the frames; reads the first frame when not annotated."""
        if self.width is None or self.height is None:
            if not self.frames:
                raise BenchmarkError(f"sequence {self.name}: no frames to read the image size from")
            self.height, self.width = (self.frame_reader or read_image)(self.frames[0]).shape[:2]
        return self.width, self.height


@dataclass
class Benchmark:
    """A list of sequences plus how the benchmark is run and scored.

    ``protocol`` is ``"ope"`` (one-pass evaluation) or ``"vot"`` (restart protocol).
    ``results_layout`` is ``"ope"`` (``<seq>.txt``), ``"got10k"`` (``<seq>/<seq>_001.txt``) or
    ``"vot"`` (``baseline/<seq>/<seq>_001.txt``). ``has_full_gt`` is False for test splits
    whose ground truth is withheld (only the first box is known: results can be written, not
    scored). ``results_name`` is the folder name under the results root (pysot's dataset name).
    """

    name: str
    root: str
    sequences: List[Sequence]
    protocol: str = "ope"
    results_layout: str = "ope"
    has_full_gt: bool = True
    results_name: str = ""
    attribute_names: Tuple[str, ...] = ()

    def __post_init__(self):
        if not self.results_name:
            self.results_name = self.name

    def __len__(self):
        return len(self.sequences)

    def __iter__(self):
        return iter(self.sequences)

    def __getitem__(self, name: str) -> Sequence:
        for seq in self.sequences:
            if seq.name == name:
                return seq
        raise KeyError(name)

    @property
    def names(self) -> List[str]:
        """Sequence names in evaluation (sorted) order."""
        return [s.name for s in self.sequences]

    def check_frames(self):
        """Raise :class:`BenchmarkError` unless every sequence has frames on disk matching its
        ground truth (needed to run a tracker; scoring result files does not need frames)."""
        for seq in self.sequences:
            if not seq.frames:
                raise BenchmarkError(f"{self.name}: sequence {seq.name} has no frames under {self.root}")
            if seq.frame_reader is None and not os.path.isfile(seq.frames[0]):
                raise BenchmarkError(f"{self.name}: frame not found: {seq.frames[0]}")
            if self.has_full_gt and len(seq.gt) != len(seq.frames):
                raise BenchmarkError(
                    f"{self.name}: sequence {seq.name} has {len(seq.frames)} frames but "
                    f"{len(seq.gt)} ground-truth rows")


def read_numbers(path, columns=None, name="annotation") -> np.ndarray:
    """:func:`siamtrack.utils.textio.read_numbers` with :class:`BenchmarkError`."""
    return textio.read_numbers(path, columns, name, BenchmarkError)


def read_flags(path, n: int) -> np.ndarray:
    """:func:`siamtrack.utils.textio.read_flags` (set when > 0) with :class:`BenchmarkError`."""
    return textio.read_flags(path, n, BenchmarkError)
