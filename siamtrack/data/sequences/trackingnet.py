"""TrackingNet (https://tracking-net.org) in its download layout, frames extracted::

    <root>/<split>/frames/<seq>/0.jpg 1.jpg ...      # frames, 0-based, no padding
    <root>/<split>/anno/<seq>.txt                    # x,y,w,h per frame (TEST: first box only)

``<split>`` is ``TEST`` or a training chunk ``TRAIN_0`` ... ``TRAIN_11``.
"""
import os
import re

from ...utils.frames import list_images
from .base import DatasetLayoutError, VideoSequence, read_boxes_file, require_dir

__all__ = ["TRACKINGNET_FRAME_NAME", "trackingnet_chunks", "trackingnet_split_dir",
           "read_trackingnet"]

TRACKINGNET_FRAME_NAME = "{frame:d}.jpg"  # frame k (0-based) of frames/<seq>/


def trackingnet_chunks(root):
    """The ``TRAIN_<k>`` chunk folders present under ``root``, by chunk number."""
    require_dir(root, "TrackingNet root")
    chunks = sorted((d for d in os.listdir(root) if re.fullmatch(r"TRAIN_\d+", d)),
                    key=lambda d: int(d.split("_")[1]))
    if not chunks:
        raise DatasetLayoutError(f"TrackingNet root: folder {root} has no TRAIN_<k> chunk")
    return chunks


def trackingnet_split_dir(root, split):
    """``<root>/<split>``, or ``root`` itself when it is a split folder (holds ``anno/``)."""
    split_dir = os.path.join(root, split)
    if not os.path.isdir(split_dir) and os.path.isdir(os.path.join(root, "anno")):
        return root
    require_dir(os.path.join(split_dir, "anno"), f"TrackingNet {split} split")
    return split_dir


def read_trackingnet(root, split="TEST"):
    """The sequences of one TrackingNet split (every ``anno/<seq>.txt``, sorted by name)."""
    split_dir = trackingnet_split_dir(root, split)
    anno_dir = os.path.join(split_dir, "anno")
    names = sorted(n[:-4] for n in os.listdir(anno_dir) if n.endswith(".txt"))
    if not names:
        raise DatasetLayoutError(f"TrackingNet {split} split: folder {anno_dir} has no annotation file")
    return [VideoSequence(name=n, frames=list_images(os.path.join(split_dir, "frames", n)),
                          gt=read_boxes_file(os.path.join(anno_dir, n + ".txt")),
                          folder=os.path.join(split_dir, "frames", n))
            for n in names]
