"""pysot's benchmark annotation files ``<root>/<NAME>.json`` (``docs/evaluation.md``)::

    {"<video>": {"img_names": ["<video>/img/0001.jpg", ...],   # relative to <root>
                 "gt_rect": [[x, y, w, h] or [x1, y1, ..., x4, y4], ...],
                 "attr": [...], "width": W, "height": H,       # optional
                 "absent": [1, 1, 0, ...],                      # LaSOT: 1 = target visible
                 "camera_motion": [0, 1, ...], ...}}            # VOT per-frame tags

Long-term files (VOT2018-LT / VOT2019-LT) mark absent targets with NaN (or ``[0]``) rows.
"""
import json
import os

import numpy as np

from .base import DatasetLayoutError, VideoSequence
from .vot import VOT_TAGS

__all__ = ["read_pysot_json"]


def _gt_rows(rows):
    """The ground truth as an array; in long-term files (VOT-LT) a row that is not a region
    (``[0]``, ``[]``: target absent) becomes a NaN row."""
    rows = list(rows)
    widths = {len(r) for r in rows if isinstance(r, (list, tuple)) and len(r) in (4, 8)}
    if len(widths) == 1 and any(not isinstance(r, (list, tuple)) or len(r) not in (4, 8) for r in rows):
        width = widths.pop()
        rows = [r if isinstance(r, (list, tuple)) and len(r) == width else [np.nan] * width for r in rows]
    return np.asarray(rows, dtype=np.float64)


def read_pysot_json(path, root):
    """The sequences of a pysot ``<NAME>.json``, sorted by name; image paths joined with ``root``."""
    try:
        with open(path, "r") as f:
            meta = json.load(f)
    except (OSError, ValueError) as exc:
        raise DatasetLayoutError(f"cannot read pysot annotation file {path}: {exc}") from None
    if not isinstance(meta, dict) or not meta:
        raise DatasetLayoutError(f"{path}: expected a non-empty {{video: {{...}}}} mapping")
    sequences = []
    for name in sorted(meta):
        video = meta[name]
        try:
            frames = [os.path.join(root, p) for p in video["img_names"]]
            gt = _gt_rows(video["gt_rect"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetLayoutError(f"{path}: video {name!r} lacks img_names/gt_rect ({exc})") from None
        if gt.ndim != 2 or gt.shape[1] not in (4, 8):
            raise DatasetLayoutError(f"{path}: video {name!r}: gt_rect must be rows of 4 or 8 numbers")
        seq = VideoSequence(name=name, frames=frames, gt=gt, attributes=tuple(video.get("attr", ()) or ()),
                            width=video.get("width"), height=video.get("height"), folder=root)
        if "absent" in video:  # pysot's name; 1 marks the frames where the target is visible
            seq.absent = np.asarray(video["absent"], dtype=np.float64) != 1
        seq.tags = {t: np.asarray(video[t], dtype=bool) for t in VOT_TAGS if t in video}
        sequences.append(seq)
    return sequences
