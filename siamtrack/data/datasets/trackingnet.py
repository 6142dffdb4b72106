"""TrackingNet (https://tracking-net.org) training chunks as video dicts.

Layout under the dataset root (``$DETECTRON2_DATASETS/TrackingNet``)::

    TRAIN_0/frames/<sequence>/0.jpg 1.jpg ...       # frames, 0-based, no padding
    TRAIN_0/anno/<sequence>.txt                     # x,y,w,h per frame
    TRAIN_1/ ... TRAIN_11/                          # every chunk present is used
"""
import os
import re

from .video import DatasetLayoutError, read_box_file, require_dir, track_from_xywh


def load_trackingnet(root, chunks=None):
    """Read the TrackingNet ``TRAIN_k`` chunks under ``root`` (default: all present) as video dicts."""
    require_dir(root, "TrackingNet root")
    if chunks is None:
        chunks = sorted(
            (d for d in os.listdir(root) if re.fullmatch(r"TRAIN_\d+", d)),
            key=lambda d: int(d.split("_")[1]),
        )
        if not chunks:
            raise DatasetLayoutError(f"TrackingNet root: folder {root} has no TRAIN_<k> chunk")
    videos = []
    for chunk in chunks:
        anno_dir = require_dir(os.path.join(root, chunk, "anno"), "TrackingNet chunk")
        frames_dir = require_dir(os.path.join(root, chunk, "frames"), "TrackingNet chunk")
        for anno in sorted(f for f in os.listdir(anno_dir) if f.endswith(".txt")):
            seq = anno[:-4]
            gt = read_box_file(os.path.join(anno_dir, anno))
            track = track_from_xywh(gt)
            if track is None:
                continue
            seq_dir = require_dir(os.path.join(frames_dir, seq), "TrackingNet frames of " + anno)
            videos.append(
                {"video": f"{chunk}/{seq}", "frame_format": os.path.join(seq_dir, "{frame:d}.jpg"),
                 "tracks": {0: track}}
            )
    return videos
