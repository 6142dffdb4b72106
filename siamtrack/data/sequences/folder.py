"""Users' own videos, a folder per sequence::

    <root>/<sequence>/groundtruth.txt       # one x,y,w,h line per frame (comma, tab or space)
    <root>/<sequence>/img/0001.jpg ...      # frames in natural order; the img/ level is
                                            # optional (frames may sit beside groundtruth.txt)

Line *i* of ``groundtruth.txt`` (or OTB's ``groundtruth_rect.txt``) is the box of frame *i*;
``0,0,0,0``, ``NaN,NaN,NaN,NaN`` or a blank line mark the target absent; there may be fewer
lines than frames, not more.
"""
import os

from ...utils.frames import list_images
from .base import DatasetLayoutError, VideoSequence, read_boxes_file, require_dir

__all__ = ["BOX_FILES", "read_video_folder"]

BOX_FILES = ("groundtruth.txt", "groundtruth_rect.txt")


def read_video_folder(root):
    """Every ``<root>/<sequence>/`` as a sequence, sorted by name; a folder without a box file
    or without frames, or with more boxes than frames, raises :class:`DatasetLayoutError`."""
    require_dir(root, "video folder dataset")
    sequences = []
    for name in sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))):
        seq_dir = os.path.join(root, name)
        box_file = next((os.path.join(seq_dir, b) for b in BOX_FILES
                         if os.path.isfile(os.path.join(seq_dir, b))), None)
        if box_file is None:
            raise DatasetLayoutError(f"video folder dataset: folder {seq_dir} has no groundtruth.txt")
        img_dir = os.path.join(seq_dir, "img")
        frames = list_images(img_dir if os.path.isdir(img_dir) else seq_dir)
        if not frames:
            raise DatasetLayoutError(f"video folder dataset: folder {seq_dir} has no image frames")
        gt = read_boxes_file(box_file)
        if len(gt) > len(frames):
            raise DatasetLayoutError(
                f"video folder dataset: folder {seq_dir} has {len(gt)} boxes but {len(frames)} frames")
        sequences.append(VideoSequence(name=name, frames=frames, gt=gt, folder=seq_dir))
    return sequences
