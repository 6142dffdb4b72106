"""YouTube-BB: pysot's pre-cropped layout, or the official CSV with extracted frames.

pysot layout (``$DETECTRON2_DATASETS/yt_bb``; any pysot "crop511" dataset works the same)::

    crop511/<video>/<frame:06d>.<track>.x.jpg      # 511x511 crops around the object
    train.json                                     # {video: {track: {frame: [x1,y1,x2,y2]}}}

CSV layout (``$DETECTRON2_DATASETS/youtube-bb``)::

    yt_bb_detection_train.csv                      # the official annotation CSV
    frames/<youtube_id>/<timestamp_ms>.jpg         # frames you extracted at those timestamps

The CSV's coordinates are normalised to [0, 1]; they are scaled by the frame size when a frame
is loaded (``"normalized_boxes": True`` in the video dict). Rows with object_presence "absent"
are skipped; a track is ``<class_id>_<object_id>`` of one youtube_id.
"""
import csv
import json
import os

import numpy as np

from .video import DatasetLayoutError, require_dir, require_file


def load_pysot_crop511(crop_root, anno_file):
    """Read a pysot pre-cropped dataset (crop511 images + annotation json) as video dicts.

    The json maps ``video -> track -> frame -> [x1, y1, x2, y2]`` (or ``[w, h]``) of the box in
    the original image; only its size matters (see "Crops" in ``docs/data.md``). Non-digit
    frame keys and empty boxes are dropped, as pysot does.
    """
    require_dir(crop_root, "pysot crop511 images")
    with open(require_file(anno_file, "pysot annotation json")) as f:
        labels = json.load(f)
    videos = []
    for video, tracks in labels.items():
        out = {}
        for track, frames in tracks.items():
            items = []
            for key, box in frames.items():
                if not key.isdigit():
                    continue
                box = [0.0, 0.0] + list(box) if len(box) == 2 else list(box)
                if box[2] - box[0] > 0 and box[3] - box[1] > 0:
                    items.append((int(key), box))
            if items:
                items.sort()
                out[track] = {
                    "frames": np.array([k for k, _ in items], dtype=np.int32),
                    "boxes": np.array([b for _, b in items], dtype=np.float32),
                }
        if out:
            videos.append({
                "video": video,
                "frame_format": os.path.join(crop_root, video, "{frame:06d}.{track}.x.jpg"),
                "precropped": True,
                "tracks": out,
            })
    return videos


def load_youtube_bb_pysot(root):
    """YouTube-BB in pysot's layout: ``<root>/crop511`` and ``<root>/train.json``."""
    return load_pysot_crop511(os.path.join(root, "crop511"), os.path.join(root, "train.json"))


def load_youtube_bb_csv(root, csv_name="yt_bb_detection_train.csv"):
    """YouTube-BB from the official CSV and ``<root>/frames/<youtube_id>/<timestamp_ms>.jpg``.

    Only rows whose frame file exists are used (so a partial download works).
    """
    csv_file = require_file(os.path.join(root, csv_name), "YouTube-BB annotation CSV")
    frames_root = require_dir(os.path.join(root, "frames"), "YouTube-BB extracted frames")
    videos = {}
    with open(csv_file, newline="") as f:
        for row in csv.reader(f):
            if len(row) < 10 or row[5] != "present":
                continue
            yid, ts = row[0], int(row[1])
            xmin, xmax, ymin, ymax = (float(v) for v in row[6:10])
            if xmax <= xmin or ymax <= ymin:
                continue
            if not os.path.isfile(os.path.join(frames_root, yid, f"{ts}.jpg")):
                continue
            tracks = videos.setdefault(yid, {})
            tracks.setdefault(f"{row[2]}_{row[4]}", []).append((ts, [xmin, ymin, xmax, ymax]))
    if not videos:
        raise DatasetLayoutError(
            f"YouTube-BB: folder {frames_root} has no frame listed in {csv_file}")
    out = []
    for yid in sorted(videos):
        tracks = {}
        for tid, items in videos[yid].items():
            items.sort()
            tracks[tid] = {"frames": np.array([t for t, _ in items], dtype=np.int64),
                           "boxes": np.array([b for _, b in items], dtype=np.float32)}
        out.append({"video": yid, "frame_format": os.path.join(frames_root, yid, "{frame:d}.jpg"),
                    "normalized_boxes": True, "tracks": tracks})
    return out


def load_youtube_bb(root):
    """YouTube-BB under ``root``: pysot layout if ``train.json`` exists, else the CSV layout."""
    require_dir(root, "YouTube-BB root")
    if os.path.isfile(os.path.join(root, "train.json")):
        return load_youtube_bb_pysot(root)
    if os.path.isfile(os.path.join(root, "yt_bb_detection_train.csv")):
        return load_youtube_bb_csv(root)
    raise DatasetLayoutError(
        f"YouTube-BB: folder {root} has neither train.json (+ crop511/) nor "
        "yt_bb_detection_train.csv (+ frames/)")
