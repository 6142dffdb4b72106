"""VOT short-term (VOT2016/2018/2019) in the toolkit layout::

    <root>/list.txt                                  # sequence names (optional)
    <root>/<seq>/color/00000001.jpg ...              # or <root>/<seq>/00000001.jpg
    <root>/<seq>/groundtruth.txt                     # 8-number polygons or 4-number boxes
    <root>/<seq>/camera_motion.tag ...               # per-frame 0/1 (``.label`` in older releases)
"""
import os

from ...utils.frames import list_images
from .base import VideoSequence, listed_sequences, read_boxes_file, read_flag_file

__all__ = ["VOT_TAGS", "read_vot"]

VOT_TAGS = ("camera_motion", "illum_change", "motion_change", "size_change", "occlusion")


def read_vot(root):
    """The sequences of a VOT folder (those of ``list.txt``, else every sub-folder holding a
    ``groundtruth.txt``), ground truth as stored (4 or 8 numbers per line), every tag of
    :data:`VOT_TAGS` (unset where its file is missing)."""
    sequences = []
    for name in listed_sequences(root, "VOT"):
        seq_dir = os.path.join(root, name)
        gt = read_boxes_file(os.path.join(seq_dir, "groundtruth.txt"), (4, 8))
        tags = {}
        for tag in VOT_TAGS:
            path = os.path.join(seq_dir, tag + ".tag")
            if not os.path.isfile(path):
                path = os.path.join(seq_dir, tag + ".label")
            tags[tag] = read_flag_file(path, len(gt))
        frames = list_images(os.path.join(seq_dir, "color")) or list_images(seq_dir)
        sequences.append(VideoSequence(name=name, frames=frames, gt=gt, tags=tags, folder=seq_dir))
    return sequences
