"""ImageNet VID (ILSVRC2015) as video dicts, read from the official XML annotations.

Layout under the dataset root (``$DETECTRON2_DATASETS/ILSVRC2015``)::

    Data/VID/train/ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/000000.JPEG ...
    Annotations/VID/train/ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/000000.xml ...
    Data/VID/val/ILSVRC2015_val_00000000/000000.JPEG, Annotations/VID/val/... (split "val")

Parsing the ~1.1M XML files of the train split takes minutes, so the result is cached as
``<root>/Annotations/VID/<split>.siamtrack.json`` when that folder is writable (delete it to
re-parse).
"""
import json
import logging
import os
import xml.etree.ElementTree as ET

import numpy as np

from ...utils.fileio import atomic_write
from .video import DatasetLayoutError, require_dir

logger = logging.getLogger(__name__)


def parse_vid_xml(path):
    """Objects of one VID XML file as ``{trackid: [x1, y1, x2, y2]}`` (integer pixel corners)."""
    objects = {}
    for obj in ET.parse(path).getroot().iter("object"):
        bb = obj.find("bndbox")
        box = [int(float(bb.find(k).text)) for k in ("xmin", "ymin", "xmax", "ymax")]
        objects[int(obj.find("trackid").text)] = box
    return objects


def _snippets(anno_root):
    """Relative snippet folders (``<chunk>/<snippet>`` or ``<snippet>``) holding XML files."""
    out = []
    for dirpath, _dirs, files in os.walk(anno_root):
        if any(f.endswith(".xml") for f in files):
            out.append(os.path.relpath(dirpath, anno_root))
    return sorted(out)


def _parse_split(anno_root):
    """``{snippet: {trackid: {frame: box}}}`` for every snippet under ``anno_root``."""
    result = {}
    for snippet in _snippets(anno_root):
        folder = os.path.join(anno_root, snippet)
        tracks = {}
        for name in sorted(f for f in os.listdir(folder) if f.endswith(".xml")):
            frame = int(name[:-4])
            for tid, box in parse_vid_xml(os.path.join(folder, name)).items():
                tracks.setdefault(str(tid), {})[str(frame)] = box
        if tracks:
            result[snippet] = tracks
    return result


def _runs(frames):
    """Split sorted frame numbers into runs of consecutive numbers."""
    runs, current = [], [frames[0]]
    for f in frames[1:]:
        if f == current[-1] + 1:
            current.append(f)
        else:
            runs.append(current)
            current = [f]
    runs.append(current)
    return runs


def _write_cache(path, parsed):
    """Write the parsed annotations to ``path`` atomically (a temporary file and a rename).

    Every training process parses and writes the cache on first use; the rename means none of
    them can read another's half-written file, and an interrupted write leaves no cache.
    """
    try:
        atomic_write(path, [json.dumps(parsed)])
    except OSError:
        logger.info("ImageNet VID: cannot write cache %s", path)


def load_imagenet_vid(root, split="train"):
    """Read ImageNet VID ``split`` under ``root`` as video dicts.

    Each track is split into runs of consecutive annotated frames; every run of two or more
    frames becomes a track ``"<trackid>_<run>"`` (pysot keeps only the last run of a track by a
    key collision; siamtrack keeps them all). Boxes with non-positive size are dropped.
    """
    data_root = require_dir(os.path.join(root, "Data", "VID", split), "ImageNet VID frames")
    anno_root = require_dir(os.path.join(root, "Annotations", "VID", split),
                            "ImageNet VID annotations")
    cache = os.path.join(root, "Annotations", "VID", f"{split}.siamtrack.json")
    if os.path.isfile(cache):
        with open(cache) as f:
            parsed = json.load(f)
    else:
        logger.info("Parsing ImageNet VID %s XML files under %s (cached afterwards)", split,
                    anno_root)
        parsed = _parse_split(anno_root)
        _write_cache(cache, parsed)
    if not parsed:
        raise DatasetLayoutError(f"ImageNet VID annotations: folder {anno_root} has no XML file")
    videos = []
    for snippet, tracks in parsed.items():
        out = {}
        for tid, frames in tracks.items():
            items = sorted((int(k), v) for k, v in frames.items() if v[2] > v[0] and v[3] > v[1])
            if not items:
                continue
            boxes = dict(items)
            for k, run in enumerate(_runs([f for f, _ in items])):
                if len(run) < 2:
                    continue
                out[f"{tid}_{k}"] = {
                    "frames": np.array(run, dtype=np.int32),
                    "boxes": np.array([boxes[f] for f in run], dtype=np.float32),
                }
        if out:
            videos.append({
                "video": snippet,
                "frame_format": os.path.join(data_root, snippet, "{frame:06d}.JPEG"),
                "tracks": out,
            })
    return videos
