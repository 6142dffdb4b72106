"""YouTube-VOS (video object segmentation) as SiamMask training data (docs/data.md, "Masks").

Layout (the dataset's own)::

    <root>/<split>/meta.json                      {"videos": {video: {"objects": {id: {"frames": [...]}}}}}
    <root>/<split>/JPEGImages/<video>/<frame>.jpg
    <root>/<split>/Annotations/<video>/<frame>.png   palette PNG, pixel value = object id

Each object is a track; its boxes are the bounding boxes of its pixels (frames where it has
none are dropped), its masks are read from the PNGs when a pair is made (``mask_format``).
"""
import json
import os

import numpy as np
from detectron2.data import DatasetCatalog, MetadataCatalog

from ..masks import object_ids
from .video import DatasetLayoutError, require_dir, require_file

__all__ = ["load_youtube_vos", "register_youtube_vos"]


def _object_boxes(png):
    """``{object id: [x1, y1, x2, y2]}`` of the objects of an annotation PNG."""
    ids = object_ids(png)
    boxes = {}
    for value in np.unique(ids):
        if value == 0:
            continue
        ys, xs = np.nonzero(ids == value)
        boxes[int(value)] = [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
    return boxes


def load_youtube_vos(root, split="train"):
    """Video dicts of ``<root>/<split>`` (see the module doc), one track per object."""
    base = require_dir(os.path.join(root, split), "YouTube-VOS")
    with open(require_file(os.path.join(base, "meta.json"), "YouTube-VOS"), encoding="utf-8") as f:
        meta = json.load(f)
    videos = []
    for name, info in sorted(meta.get("videos", {}).items()):
        annotations = os.path.join(base, "Annotations", name)
        frames = sorted({frame for obj in info.get("objects", {}).values() for frame in obj.get("frames", ())})
        per_frame = {frame: _object_boxes(os.path.join(annotations, f"{frame}.png")) for frame in frames}
        tracks = {}
        for obj_id in sorted(info.get("objects", {}), key=int):
            seen = [f for f in info["objects"][obj_id]["frames"] if int(obj_id) in per_frame[f]]
            if seen:
                tracks[int(obj_id)] = {"frames": seen,
                                       "boxes": np.array([per_frame[f][int(obj_id)] for f in seen], np.float32)}
        if tracks:
            videos.append({"video": name, "tracks": tracks,
                           "frame_format": os.path.join(base, "JPEGImages", name, "{frame}.jpg"),
                           "mask_format": os.path.join(annotations, "{frame}.png")})
    if not videos:
        raise DatasetLayoutError(f"YouTube-VOS: {base} has no annotated object")
    return videos


def register_youtube_vos(name, root, split="train"):
    """Register ``name`` as the YouTube-VOS videos of ``<root>/<split>`` (read on first use)."""
    root = os.path.abspath(os.path.expanduser(root))
    DatasetCatalog.register(name, lambda: load_youtube_vos(root, split))
    MetadataCatalog.get(name).set(dataset_type="video", root=root, split=split)
