"""Common data model of the tracking benchmarks: :class:`Sequence` and :class:`Benchmark`.

Sequences come from the dataset-layout readers of :mod:`siamtrack.data.sequences` (the ones
training uses), turned into benchmark sequences by :func:`benchmark_sequence`.
"""
import os
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from ...data.sequences import VOT_TAGS, VideoSequence
from ...utils.errors import InputError

__all__ = ["BenchmarkError", "Sequence", "Benchmark", "rect_to_vot_polygon", "benchmark_sequence"]


class BenchmarkError(InputError):
    """A benchmark folder is missing, incomplete or not in the expected layout."""


@dataclass
class Sequence(VideoSequence):
    """One video of a benchmark: a :class:`~siamtrack.data.sequences.VideoSequence` (frames,
    ``gt``, tags, attributes) plus ``visible``, the frames that are scored (LaSOT: not fully
    occluded, not out of view); ``None`` means all of them.

    ``gt`` holds 4 numbers ``x, y, w, h`` per annotated frame or, for VOT, 8 (polygon x1, y1,
    ..., x4, y4). Test splits without public ground truth (GOT-10k test, TrackingNet test)
    have only the first row.
    """

    visible: Optional[np.ndarray] = None


def rect_to_vot_polygon(gt: np.ndarray) -> np.ndarray:
    """VOT's conversion of 4-number ground truth to polygons (``docs/evaluation.md``):
    (x, y), (x, y+h-1), (x+w-1, y+h-1), (x+w-1, y)."""
    x, y, w, h = gt[:, 0], gt[:, 1], gt[:, 2], gt[:, 3]
    x2, y2 = x + w - 1, y + h - 1
    return np.stack([x, y, x, y2, x2, y2, x2, y], axis=1)


def benchmark_sequence(record: VideoSequence, protocol="ope", score_visible_only=False) -> Sequence:
    """The benchmark :class:`Sequence` of a dataset sequence.

    ``protocol="vot"``: ground truth as 8-number polygons and every VOT tag present (unset
    where the dataset has none). Other protocols keep the ground truth as stored (long-term:
    NaN rows where the target is absent). ``score_visible_only``: frames flagged ``absent`` are not
    scored (LaSOT, as pysot).
    """
    seq = Sequence(**record.fields_dict())
    if score_visible_only and record.absent is not None:
        seq.visible = ~np.asarray(record.absent, dtype=bool)
    if protocol == "vot":
        if seq.gt.shape[1] == 4:
            seq.gt = rect_to_vot_polygon(seq.gt)
        seq.tags = {t: np.asarray(record.tags.get(t, np.zeros(len(seq.gt))), dtype=bool)
                    for t in VOT_TAGS}
    return seq


@dataclass
class Benchmark:
    """A list of sequences plus how the benchmark is run and scored.

    ``protocol`` is ``"ope"`` (one-pass evaluation, pysot's OPE metrics), ``"got10k"`` (one
    pass, GOT-10k's AO / SR), ``"vot"`` (restart protocol) or ``"longterm"`` (one pass with
    confidences, VOT-LT precision / recall / F1). ``results_layout`` is ``"ope"``
    (``<seq>.txt``), ``"got10k"`` (``<seq>/<seq>_001.txt``), ``"vot"``
    (``baseline/<seq>/<seq>_001.txt``) or ``"longterm"`` (``longterm/<seq>/<seq>_001.txt`` and
    ``<seq>_001_confidence.value``). ``has_full_gt`` is False for test splits
    whose ground truth is withheld (only the first box is known: results can be written, not
    scored). ``results_name`` is the folder name under the results root (pysot's dataset name).
    ``label`` is what progress bars and plot titles call it (default: ``name``; a folder that
    does not hold the whole benchmark says so).
    """

    name: str
    root: str
    sequences: List[Sequence]
    protocol: str = "ope"
    results_layout: str = "ope"
    has_full_gt: bool = True
    results_name: str = ""
    attribute_names: Tuple[str, ...] = ()
    label: str = ""

    def __post_init__(self):
        if not self.results_name:
            self.results_name = self.name
        if not self.label:
            self.label = self.name

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
