"""Reader of pysot's benchmark annotation files ``<root>/<NAME>.json`` (spec §9.2)."""
import json
import os

import numpy as np

from .base import BenchmarkError, Sequence

__all__ = ["VOT_TAGS", "load_pysot_json", "rect_to_vot_polygon"]

VOT_TAGS = ("camera_motion", "illum_change", "motion_change", "size_change", "occlusion")


def rect_to_vot_polygon(gt: np.ndarray) -> np.ndarray:
    """VOT's conversion of 4-number ground truth to polygons (spec §9.1):
    (x, y), (x, y+h-1), (x+w-1, y+h-1), (x+w-1, y)."""
    x, y, w, h = gt[:, 0], gt[:, 1], gt[:, 2], gt[:, 3]
    x2, y2 = x + w - 1, y + h - 1
    return np.stack([x, y, x, y2, x2, y2, x2, y], axis=1)


def load_pysot_json(path, root, vot=False):
    """Sequences of a pysot ``<NAME>.json``; image paths are joined with ``root``.

    ``vot``: ground truth becomes 8-number polygons and the per-frame tag lists are kept.
    """
    try:
        with open(path, "r") as f:
            meta = json.load(f)
    except (OSError, ValueError) as exc:
        raise BenchmarkError(f"cannot read pysot annotation file {path}: {exc}")
    if not isinstance(meta, dict) or not meta:
        raise BenchmarkError(f"{path}: expected a non-empty {{video: {{...}}}} mapping")
    sequences = []
    for name in sorted(meta):
        video = meta[name]
        try:
            frames = [os.path.join(root, p) for p in video["img_names"]]
            gt = np.asarray(video["gt_rect"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise BenchmarkError(f"{path}: video {name!r} lacks img_names/gt_rect ({exc})")
        if gt.ndim != 2 or gt.shape[1] not in (4, 8):
            raise BenchmarkError(f"{path}: video {name!r}: gt_rect must be rows of 4 or 8 numbers")
        if vot and gt.shape[1] == 4:
            gt = rect_to_vot_polygon(gt)
        seq = Sequence(name=name, frames=frames, gt=gt,
                       attributes=tuple(video.get("attr", ()) or ()),
                       width=video.get("width"), height=video.get("height"))
        if "absent" in video:
            seq.visible = np.asarray(video["absent"], dtype=np.float64) == 1
        if vot:
            seq.tags = {t: np.asarray(video.get(t, np.zeros(len(gt))), dtype=bool) for t in VOT_TAGS}
        sequences.append(seq)
    return sequences
