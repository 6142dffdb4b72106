"""Need for Speed (NFS30 / NFS240) in its download layout::

    <root>/<seq>/<fps>/<seq>/00001.jpg ...           # frames
    <root>/<seq>/<fps>/<seq>.txt                     # one line per frame, see below

NFS lines are ``track_id xmin ymin xmax ymax frame lost occluded generated "label"``. The
30 fps annotation files of some videos are the 240 fps ones (8 times as many rows): they are
sub-sampled every 8th row, and a one-row length mismatch is cut to the shorter.
"""
import os

import numpy as np

from ...utils.frames import list_images
from .base import DatasetLayoutError, VideoSequence

__all__ = ["read_nfs_annotation", "read_nfs"]


def read_nfs_annotation(path) -> np.ndarray:
    """``x, y, w, h`` rows of an NFS annotation file (its own line format: a quoted label ends
    each line, so it is not a plain number file)."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetLayoutError(f"cannot read NFS annotation {path}: "
                                 f"{getattr(exc, 'strerror', None) or 'not a text file'}") from None
    rows = []  # parsed outside the try: DatasetLayoutError is an OSError too
    for lineno, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        try:
            x1, y1, x2, y2 = (float(v) for v in fields[1:5])
        except ValueError:
            raise DatasetLayoutError(f"{path}:{lineno}: not an NFS annotation line") from None
        rows.append([x1, y1, x2 - x1, y2 - y1])
    if not rows:
        raise DatasetLayoutError(f"NFS annotation {path} is empty")
    return np.asarray(rows, dtype=np.float64)


def read_nfs(root, fps=30):
    """The sequences of an NFS folder at ``fps`` 30 or 240, sorted."""
    sequences = []
    for name in sorted(os.listdir(root)):
        anno = os.path.join(root, name, str(fps), name + ".txt")
        if not os.path.isfile(anno):
            continue
        gt = read_nfs_annotation(anno)
        frames = list_images(os.path.join(root, name, str(fps), name))
        if frames and len(gt) != len(frames):
            if abs(len(gt) / len(frames) - 8) < 1:
                gt = gt[0::8]
            if abs(len(gt) - len(frames)) <= 1:
                n = min(len(gt), len(frames))
                gt, frames = gt[:n], frames[:n]
        sequences.append(VideoSequence(name=name, frames=frames, gt=gt,
                                       folder=os.path.join(root, name, str(fps))))
    if not sequences:
        raise DatasetLayoutError(f"no NFS sequences in {root}: expected <seq>/{fps}/<seq>.txt "
                                 f"(or pysot's NFS{fps}.json)")
    return sequences
