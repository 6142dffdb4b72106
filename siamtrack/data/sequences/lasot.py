"""LaSOT (http://vision.cs.stonybrook.edu/~lasot/) in its download layout::

    <root>/<class>/<class>-<N>/img/00000001.jpg ...  # frames, 1-based, 8 digits
    <root>/<class>/<class>-<N>/groundtruth.txt       # x,y,w,h per frame
    <root>/<class>/<class>-<N>/full_occlusion.txt    # 0/1 per frame, comma separated
    <root>/<class>/<class>-<N>/out_of_view.txt       # 0/1 per frame, comma separated
    <root>/training_set.txt, testing_set.txt         # the protocol-II splits (optional)

A frame fully occluded or out of view is ``absent``.
"""
import os

from ...utils.frames import list_images
from ...utils.textio import read_names
from .base import (DatasetLayoutError, VideoSequence, read_boxes_file, read_flag_file,
                   require_dir, require_file, subfolders_with)

__all__ = ["LASOT_FRAME_NAME", "LASOT_SPLIT_FILES", "lasot_sequence_names", "read_lasot"]

LASOT_FRAME_NAME = os.path.join("img", "{frame:08d}.jpg")  # frame k (1-based) of a sequence
LASOT_SPLIT_FILES = {"train": "training_set.txt", "test": "testing_set.txt"}


def lasot_sequence_names(root, split="all"):
    """Sequence names: those of the split's list file (``train`` / ``test``; it must exist), or
    with ``"all"`` every ``<class>/<class>-<N>/`` holding a ``groundtruth.txt``."""
    require_dir(root, "LaSOT root")
    if split != "all":
        list_file = require_file(os.path.join(root, LASOT_SPLIT_FILES[split]), f"LaSOT {split} split list")
        return read_names(list_file, DatasetLayoutError, "LaSOT split list")
    names = []
    for cls in sorted(os.listdir(root)):
        if os.path.isdir(os.path.join(root, cls)):
            names += subfolders_with(os.path.join(root, cls), "groundtruth.txt")
    if not names:
        raise DatasetLayoutError(f"LaSOT: folder {root} has no <class>/<class>-<N>/groundtruth.txt")
    return names


def read_lasot(root, split="all"):
    """The LaSOT sequences of ``split`` (see :func:`lasot_sequence_names`), in list order."""
    sequences = []
    for name in lasot_sequence_names(root, split):
        category = name.rsplit("-", 1)[0]  # LaSOT names its sequences <category>-<n> ("airplane-1")
        seq_dir = os.path.join(root, category, name)
        gt = read_boxes_file(require_file(os.path.join(seq_dir, "groundtruth.txt"), "LaSOT sequence"))
        absent = read_flag_file(os.path.join(seq_dir, "full_occlusion.txt"), len(gt))
        absent |= read_flag_file(os.path.join(seq_dir, "out_of_view.txt"), len(gt))
        sequences.append(VideoSequence(name=name, frames=list_images(os.path.join(seq_dir, "img")),
                                       gt=gt, absent=absent, folder=seq_dir, category=category))
    return sequences
