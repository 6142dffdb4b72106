"""The common result of every dataset-layout reader: :class:`VideoSequence`, one annotated video.

Readers (one module per layout in this package) only read: training (``data/datasets``) turns
sequences into video dicts, evaluation (``evaluation/benchmarks``) into benchmarks, so both see
the same frames, boxes and flags. Text files are read by :mod:`siamtrack.utils.textio` and
frame folders listed by :func:`siamtrack.utils.frames.list_images` (``docs/data.md``).
"""
import os
from dataclasses import dataclass, field, fields
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from ...utils.errors import InputError
from ...utils.frames import read_image
from ...utils.textio import read_flags, read_names, read_numbers

__all__ = ["DatasetLayoutError", "VideoSequence", "require_dir", "require_file", "read_boxes_file",
           "read_flag_file", "subfolders_with", "listed_sequences"]


class DatasetLayoutError(InputError, FileNotFoundError):
    """A dataset folder is missing or incomplete; the message names the folder and what is missing."""


def require_dir(path, what):
    """Return ``path`` if it is a folder, else raise :class:`DatasetLayoutError` naming it."""
    if not os.path.isdir(path):
        raise DatasetLayoutError(f"{what}: folder {path} not found")
    return path


def require_file(path, what):
    """Return ``path`` if it is a file, else raise :class:`DatasetLayoutError` naming it."""
    if not os.path.isfile(path):
        raise DatasetLayoutError(f"{what}: file {path} not found")
    return path


def read_boxes_file(path, columns=4) -> np.ndarray:
    """Ground truth of one sequence: :func:`~siamtrack.utils.textio.read_numbers` with
    ``columns`` values per line (NaN rows where the target has no box), errors as
    :class:`DatasetLayoutError`."""
    return read_numbers(path, columns, "ground-truth", DatasetLayoutError)


def read_flag_file(path, count) -> np.ndarray:
    """Per-frame flags (:func:`~siamtrack.utils.textio.read_flags`: set when > 0; a missing file
    is all unset), errors as :class:`DatasetLayoutError`."""
    return read_flags(path, count, DatasetLayoutError)


def subfolders_with(folder, file_name) -> List[str]:
    """Names of the sub-folders of ``folder`` that hold ``file_name``, sorted."""
    return sorted(n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n, file_name)))


def listed_sequences(folder, what):
    """Sequence names of ``folder``: those of its ``list.txt`` in file order (GOT-10k, VOT), else
    every sub-folder holding a ``groundtruth.txt``, sorted; none raises :class:`DatasetLayoutError`
    (``what`` names the dataset)."""
    list_file = os.path.join(folder, "list.txt")
    if os.path.isfile(list_file):
        names = read_names(list_file, DatasetLayoutError, f"{what} list")
    else:
        names = subfolders_with(folder, "groundtruth.txt")
    if not names:
        raise DatasetLayoutError(f"{what}: folder {folder} has no list.txt and no "
                                 "<sequence>/groundtruth.txt")
    return names


@dataclass
class VideoSequence:
    """One annotated video as a dataset layout stores it.

    ``frames``: image paths in natural order (``[]`` when the frames are not on disk: the
    annotations can still be scored). ``gt``: float64, one row per annotated frame, ``x, y, w,
    h`` in 0-based pixels with NaN rows where there is no box, or 8 numbers (VOT polygons).
    ``absent``: per ``gt`` row, True where the dataset flags the target as not visible
    (GOT-10k ``absence.label``, LaSOT full occlusion or out of view); None when the layout has
    no such flags. ``tags``: per-frame arrays (VOT tags, GOT-10k ``absence`` / ``cover``).
    ``category``: the object's category when the layout states it (GOT-10k ``object_class``,
    LaSOT's name prefix), else None.
    ``attributes``: sequence-level tags (OTB, UAV). ``width`` / ``height`` when the layout
    states them; ``frame_reader`` (frame -> BGR image) for generated videos; ``folder`` the
    sequence's folder, for messages.
    """

    name: str
    frames: List[str]
    gt: np.ndarray
    absent: Optional[np.ndarray] = None
    tags: Dict[str, np.ndarray] = field(default_factory=dict)
    attributes: Tuple[str, ...] = ()
    width: Optional[int] = None
    height: Optional[int] = None
    frame_reader: Optional[Callable] = None
    folder: str = ""
    category: Optional[str] = None

    def fields_dict(self) -> dict:
        """The fields as a dict (no copies), e.g. to build a subclass from a sequence."""
        return {f.name: getattr(self, f.name) for f in fields(VideoSequence)}

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
                raise DatasetLayoutError(f"sequence {self.name}: no frames to read the image size from")
            self.height, self.width = (self.frame_reader or read_image)(self.frames[0]).shape[:2]
        return self.width, self.height
