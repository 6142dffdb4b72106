"""The video dataset-dict format shared by every tracking dataset, and its small helpers.

One dict per video::

    {
        "video": "GOT-10k_Train_000001",          # unique name within the dataset
        "tracks": {                                # one entry per tracked object
            0: {"frames": np.int32 array (N,) or list of file paths,
                "boxes": np.float32 array (N, 4), x1 y1 x2 y2 in frame pixels},
        },
        # how a frame id becomes an image (exactly one of the three):
        "frame_format": "/data/GOT-10k/train/GOT-10k_Train_000001/{frame:08d}.jpg",
        #   str.format(frame=<frame id>, track=<track id>) -> file path
        "frame_source": <callable frame_id -> HxWx3 uint8 BGR>,   # synthetic data
        #   (neither)   -> the frame ids are file paths themselves
        "precropped": False,   # True: images are pysot crop511 crops around the box
        "normalized_boxes": False,  # True: boxes are in [0, 1], scaled by the frame size
    }

Frames of a track are sorted by time and only hold frames where the object is visible with a
positive-size box. A COCO-style detection dict (``"annotations"``) is read as a video of one
frame whose tracks are its non-crowd, positive-size annotations (see :func:`video_tracks`).
"""
import os

import numpy as np
from detectron2.structures import BoxMode

from ..sequences.base import DatasetLayoutError, require_dir, require_file

__all__ = ["DatasetLayoutError", "require_dir", "require_file", "track_from_xywh",
           "sequence_video_dict", "video_tracks", "track_category", "frame_locator"]


def track_from_xywh(xywh, frame_ids=None, absent=None):
    """Build a track dict from x,y,w,h rows, dropping absent, NaN and non-positive boxes.

    ``frame_ids`` (default 0..N-1) names each row's frame; returns None when nothing is left.
    """
    xywh = np.asarray(xywh, dtype=np.float64).reshape(-1, 4)
    ids = np.arange(len(xywh)) if frame_ids is None else np.asarray(frame_ids)
    keep = np.isfinite(xywh).all(1) & (xywh[:, 2] > 0) & (xywh[:, 3] > 0)
    if absent is not None:
        keep &= ~np.asarray(absent, dtype=bool)
    if not keep.any():
        return None
    b = xywh[keep]
    boxes = np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], 1)
    frames = ids[keep]
    if frames.dtype.kind in "iu":
        frames = frames.astype(np.int32)
    return {"frames": frames, "boxes": boxes.astype(np.float32)}


def sequence_video_dict(sequence, name=None, frame_format=None, first_frame=0):
    """The video dict of a single-target :class:`~siamtrack.data.sequences.VideoSequence`, or
    None when no frame has a usable box (absent, NaN or non-positive boxes are dropped). The
    sequence's ``category``, when it has one, becomes the track's (:func:`track_category`).

    Box row *i* belongs to ``sequence.frames[i]``; more boxes than frames raise
    :class:`DatasetLayoutError`. When every frame path is ``frame_format`` formatted with
    ``frame=first_frame + i`` (the layout's own naming, e.g. GOT-10k's ``{frame:08d}.jpg``),
    the dict stores that format and integer frame ids (compact for millions of frames);
    otherwise the frame ids are the paths.
    """
    gt, frames = sequence.gt, sequence.frames
    if len(gt) > len(frames):
        raise DatasetLayoutError(f"sequence {sequence.name}: folder {sequence.folder} has "
                                 f"{len(gt)} boxes but {len(frames)} frames")
    ids = range(first_frame, first_frame + len(gt))
    pattern = os.path.join(sequence.folder, frame_format) if frame_format else None
    by_id = pattern is not None and all(f == pattern.format(frame=i) for f, i in zip(frames, ids))
    track = track_from_xywh(gt, frame_ids=ids if by_id else frames[: len(gt)], absent=sequence.absent)
    if track is None:
        return None
    if sequence.category is not None:
        track["category"] = sequence.category
    video = {"video": name or sequence.name, "tracks": {0: track}}
    if by_id:
        video["frame_format"] = pattern
    else:
        track["frames"] = list(track["frames"])
    return video


def video_tracks(dataset_dict):
    """The usable tracks of a video dict or of a detectron2 detection dict, as a list.

    Each item is ``(track_id, frames, boxes)``. For a detection dict (``"annotations"``) every
    annotation that is not crowd and has a positive-size box is a one-frame track whose frame
    is ``file_name`` (or the dict's ``frame_source`` frame 0).
    """
    if "tracks" in dataset_dict:
        out = []
        for tid, track in dataset_dict["tracks"].items():
            if len(track["frames"]):
                out.append((tid, track["frames"], np.asarray(track["boxes"], dtype=np.float64)))
        return out
    out = []
    for i, ann in enumerate(dataset_dict.get("annotations", ())):
        if ann.get("iscrowd", 0):
            continue
        box = BoxMode.convert(list(ann["bbox"]), ann.get("bbox_mode", BoxMode.XYWH_ABS),
                              BoxMode.XYXY_ABS)
        if not (box[2] - box[0] > 0 and box[3] - box[1] > 0):
            continue
        frame = dataset_dict.get("file_name", 0)
        out.append((i, [frame], np.array([box], dtype=np.float64)))
    return out


def track_category(dataset_dict, track_id):
    """The object category of a track of :func:`video_tracks`, or None when the data has none:
    a detection dict's annotation ``category_id``, a video dict track's ``category``."""
    if "tracks" in dataset_dict:
        return dataset_dict["tracks"][track_id].get("category")
    return dataset_dict["annotations"][track_id].get("category_id")


def frame_locator(dataset_dict, track_id, frame):
    """How to load one frame: ``("source", callable, frame)`` or ``("file", path, None)``."""
    if dataset_dict.get("frame_source") is not None:
        return ("source", dataset_dict["frame_source"], frame)
    fmt = dataset_dict.get("frame_format")
    if fmt:
        return ("file", fmt.format(frame=frame, track=track_id), None)
    return ("file", str(frame), None)
