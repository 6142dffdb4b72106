"""GOT-10k (http://got-10k.aitestunion.com) in its download layout, any split::

    <root>/<split>/list.txt                          # sequence names (optional)
    <root>/<split>/<seq>/00000001.jpg ...            # frames, 1-based, 8 digits
    <root>/<split>/<seq>/groundtruth.txt             # x,y,w,h per frame (test: first box only)
    <root>/<split>/<seq>/absence.label               # 1 = target absent (optional)
    <root>/<split>/<seq>/cover.label                 # visible share 0..8 (optional)
    <root>/<split>/<seq>/meta_info.ini               # "resolution: (W, H)", "object_class: c" (optional)

The split folder may also be given itself (it holds ``list.txt``, or sequence folders with a
``groundtruth.txt``): any folder of GOT-layout sequences.
"""
import os
import re

import numpy as np

from ...utils.frames import list_images
from ...utils.textio import read_numbers
from .base import (DatasetLayoutError, VideoSequence, listed_sequences, read_boxes_file,
                   read_flag_file, require_dir, require_file, subfolders_with)

__all__ = ["GOT10K_FRAME_NAME", "got10k_split_dir", "read_got10k"]

GOT10K_FRAME_NAME = "{frame:08d}.jpg"  # frame k (1-based) of a sequence folder


def got10k_split_dir(root, split):
    """``<root>/<split>``, or ``root`` itself when it is a split folder (holds ``list.txt`` or
    sequence folders with a ``groundtruth.txt``); ``split=None`` means ``root`` itself."""
    if split is None:
        return root
    split_dir = os.path.join(root, split)
    if os.path.isdir(split_dir):
        return split_dir
    if os.path.isfile(os.path.join(root, "list.txt")) or (
            os.path.isdir(root) and subfolders_with(root, "groundtruth.txt")):
        return root
    raise DatasetLayoutError(f"GOT-10k {split} split: folder {split_dir} not found")


def _frame_values(path, count):
    """Per-frame numbers of a ``.label`` file (one per line, one per frame); None if absent. A
    file of another length is an error (a short ``cover.label`` would change AO silently)."""
    if not os.path.isfile(path):
        return None
    values = read_numbers(path, 1, "GOT-10k label", DatasetLayoutError)[:, 0]
    if len(values) != count:
        raise DatasetLayoutError(f"{path} has {len(values)} values for {count} frames")
    return np.asarray(values, dtype=np.float64)


_RESOLUTION = re.compile(r"^\s*resolution\s*[:=]\s*\(?\s*(\d+)\s*,\s*(\d+)\s*\)?\s*$", re.M)
_OBJECT_CLASS = re.compile(r"^\s*object_class\s*[:=]\s*(.*?)\s*$", re.M)


def _meta_text(path):
    """The text of a ``meta_info.ini``, or ``""`` when it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _resolution(meta):
    """The ``resolution: (W, H)`` of a ``meta_info.ini`` text (what the GOT-10k toolkit clips boxes
    to), or None."""
    match = _RESOLUTION.search(meta)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _object_class(meta):
    """The ``object_class: <name>`` of a ``meta_info.ini`` text (train and val splits), or None."""
    match = _OBJECT_CLASS.search(meta)
    return (match.group(1) or None) if match else None


def read_got10k(root, split="train"):
    """The sequences of GOT-10k ``split`` under ``root`` (``split=None``: ``root`` is the
    split folder), in ``list.txt`` order (without it: every sub-folder holding a
    ``groundtruth.txt``, sorted). ``width`` / ``height`` and ``category`` (``object_class``) come
    from ``meta_info.ini``."""
    what = f"GOT-10k {split} split" if split else "GOT-10k folder"
    split_dir = require_dir(got10k_split_dir(root, split), what)
    sequences = []
    for name in listed_sequences(split_dir, what):
        seq_dir = os.path.join(split_dir, name)
        gt = read_boxes_file(require_file(os.path.join(seq_dir, "groundtruth.txt"),
                                          f"GOT-10k {split or 'folder'} sequence"))
        frames = list_images(seq_dir)
        seq = VideoSequence(name=name, frames=frames, gt=gt, folder=seq_dir,
                            absent=read_flag_file(os.path.join(seq_dir, "absence.label"), len(gt)))
        meta = _meta_text(os.path.join(seq_dir, "meta_info.ini"))
        seq.category, resolution = _object_class(meta), _resolution(meta)
        if resolution:
            seq.width, seq.height = resolution
        for tag in ("absence", "cover"):
            values = _frame_values(os.path.join(seq_dir, tag + ".label"), len(frames) or len(gt))
            if values is not None:
                seq.tags[tag] = values
        sequences.append(seq)
    return sequences
