"""Need for Speed (NFS30 / NFS240) in its download layout: frames
``<root>/<seq>/<fps>/<seq>/00001.jpg`` and boxes ``<root>/<seq>/<fps>/<seq>.txt``.

NFS boxes are lines ``track_id xmin ymin xmax ymax frame lost occluded generated "label"``;
the 30 fps annotation files of some videos are the 240 fps ones (8 times as many rows), which
are then sub-sampled every 8th row, and a one-row length mismatch is cut to the shorter.
"""
import os

import numpy as np

from .base import BenchmarkError, Sequence, list_images

__all__ = ["load_nfs_raw", "read_nfs_annotation"]


def read_nfs_annotation(path) -> np.ndarray:
    """``x, y, w, h`` rows of an NFS annotation file."""
    rows = []
    try:
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                fields = line.split()
                if not fields:
                    continue
                try:
                    x1, y1, x2, y2 = (float(v) for v in fields[1:5])
                except ValueError:
                    raise BenchmarkError(f"{path}:{lineno}: not an NFS annotation line")
                rows.append([x1, y1, x2 - x1, y2 - y1])
    except OSError as exc:
        raise BenchmarkError(f"cannot read NFS annotation {path}: {exc.strerror}")
    if not rows:
        raise BenchmarkError(f"NFS annotation {path} is empty")
    return np.asarray(rows, dtype=np.float64)


def load_nfs_raw(root, fps=30):
    """Sequences of an NFS folder at ``fps`` 30 or 240."""
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
        sequences.append(Sequence(name=name, frames=frames, gt=gt))
    if not sequences:
        raise BenchmarkError(f"no NFS sequences in {root}: expected <seq>/{fps}/<seq>.txt "
                             f"(or pysot's NFS{fps}.json)")
    return sequences
