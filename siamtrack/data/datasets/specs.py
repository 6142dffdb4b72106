"""Datasets named by their folder: ``"<layout>:<path>"`` entries of ``DATASETS.TRAIN`` /
``DATASETS.TEST`` (``"videos:/data/my_videos"``, ``"got10k:/data/GOT-10k/train"``, ...).

Such a name needs no registration code: :func:`register_dataset_spec` registers it in
detectron2's ``DatasetCatalog`` under the name itself, lazily, when the name is first used.
The pair loader (``data/build.py``) and the benchmark loader call it, so every process that
builds a loader or a benchmark finds the name — the workers started by detectron2's
``launch`` included, which import siamtrack but do not run the launching process's code.
Layouts: :data:`LAYOUTS`; the folders they expect: ``datasets/README.md``.
"""
import os
import re
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from detectron2.data import DatasetCatalog, MetadataCatalog

from ..sequences import (read_got10k, read_lasot, read_nfs, read_otb, read_trackingnet, read_uav,
                         read_video_folder, read_vot)
from ..sequences.got10k import GOT10K_FRAME_NAME
from ..sequences.lasot import LASOT_SPLIT_FILES
from .lasot import load_lasot
from .trackingnet import load_trackingnet
from .vid import load_imagenet_vid
from .video import DatasetLayoutError, sequence_video_dict
from .ytbb import load_youtube_bb

__all__ = ["DatasetLayout", "LAYOUTS", "COCO_JSON", "parse_dataset_spec", "dataset_spec_folder",
           "layout_of", "register_dataset_spec", "register_dataset_specs", "lasot_evaluation_split"]

COCO_JSON = "annotations.json"
_SPEC = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(.+)$")


def _as_boxes(sequence):
    """The sequence with ``x, y, w, h`` ground truth (VOT polygons -> their bounding box)."""
    gt = np.asarray(sequence.gt, dtype=np.float64)
    if gt.shape[1] == 8:
        xs, ys = gt[:, 0::2], gt[:, 1::2]
        x1, y1 = xs.min(axis=1), ys.min(axis=1)
        sequence.gt = np.stack([x1, y1, xs.max(axis=1) - x1, ys.max(axis=1) - y1], axis=1)
    return sequence


def _videos(sequences, frame_format=None, first_frame=0):
    """Video dicts of single-target sequences (those without a usable box are left out)."""
    videos = (sequence_video_dict(_as_boxes(s), frame_format=frame_format, first_frame=first_frame)
              for s in sequences)
    return [v for v in videos if v is not None]


def lasot_evaluation_split(root):
    """LaSOT's 280 test sequences when ``testing_set.txt`` exists, else every sequence."""
    return "test" if os.path.isfile(os.path.join(root, LASOT_SPLIT_FILES["test"])) else "all"


def _coco_files(path):
    """``(json file, image root)`` of a ``coco:`` path: a json file (images beside it) or a
    folder holding ``annotations.json`` (images in its ``images/`` folder, or beside it)."""
    if os.path.isfile(path):
        return path, os.path.dirname(path)
    json_file = os.path.join(path, COCO_JSON)
    if not os.path.isfile(json_file):
        raise DatasetLayoutError(f"coco dataset: folder {path} has no {COCO_JSON}")
    images = os.path.join(path, "images")
    return json_file, images if os.path.isdir(images) else path


def _load_coco(path, name):
    from detectron2.data.datasets import load_coco_json

    json_file, image_root = _coco_files(path)
    try:
        return load_coco_json(json_file, image_root, name)
    except (ValueError, KeyError, TypeError, AssertionError) as exc:
        raise DatasetLayoutError(f"coco dataset: {json_file} is not COCO detection json ({exc})") from None


@dataclass(frozen=True)
class DatasetLayout:
    """One folder layout: ``train(path, name)`` -> video / detection dicts, and
    ``sequences(path)`` -> :class:`~siamtrack.data.sequences.VideoSequence` list for
    evaluation (None: the layout cannot be a benchmark)."""

    name: str
    description: str
    train: Callable
    sequences: Optional[Callable] = None


LAYOUTS = {layout.name: layout for layout in (
    DatasetLayout("videos", "a folder per sequence: <seq>/groundtruth.txt and frames",
                  lambda p, n: _videos(read_video_folder(p)), read_video_folder),
    DatasetLayout("coco", f"{COCO_JSON} (COCO detection json) and images",
                  lambda p, n: _load_coco(p, n)),
    DatasetLayout("got10k", "a GOT-10k split folder: list.txt, <seq>/00000001.jpg, groundtruth.txt",
                  lambda p, n: _videos(read_got10k(p, None), GOT10K_FRAME_NAME, 1),
                  lambda p: read_got10k(p, None)),
    DatasetLayout("lasot", "LaSOT: <class>/<class>-<N>/img/, groundtruth.txt",
                  lambda p, n: load_lasot(p, "train"),
                  lambda p: read_lasot(p, lasot_evaluation_split(p))),
    DatasetLayout("vid", "ImageNet VID: Data/VID/train/..., Annotations/VID/train/...",
                  lambda p, n: load_imagenet_vid(p, "train")),
    DatasetLayout("ytbb", "YouTube-BB: crop511/ + train.json, or the CSV + frames/",
                  lambda p, n: load_youtube_bb(p)),
    DatasetLayout("trackingnet", "TrackingNet: TRAIN_<k>/ chunks (training), TEST/ (evaluation)",
                  lambda p, n: load_trackingnet(p), lambda p: read_trackingnet(p, "TEST")),
    DatasetLayout("otb", "OTB: <Seq>/img/, <Seq>/groundtruth_rect.txt",
                  lambda p, n: _videos(read_otb(p)), read_otb),
    DatasetLayout("vot", "VOT short-term: list.txt, <seq>/color/, groundtruth.txt",
                  lambda p, n: _videos(read_vot(p)), read_vot),
    DatasetLayout("vot-lt", "VOT long-term: as vot, NaN ground-truth rows where the target is absent",
                  lambda p, n: _videos(read_vot(p)), read_vot),
    DatasetLayout("uav", "UAV123: data_seq/UAV123/<video>/, anno/UAV123/<seq>.txt",
                  lambda p, n: _videos(read_uav(p)), read_uav),
    DatasetLayout("nfs", "NFS (30 fps): <seq>/30/<seq>/, <seq>/30/<seq>.txt",
                  lambda p, n: _videos(read_nfs(p)), read_nfs),
)}


def _layout_list():
    return ", ".join(LAYOUTS)


def parse_dataset_spec(name):
    """``(layout, path)`` of a ``"<layout>:<path>"`` name, or None for any other name (a
    registered dataset or a benchmark). The layout is not checked here (see :func:`layout_of`)."""
    match = _SPEC.match(str(name))
    if not match:
        return None
    return match.group(1).lower(), match.group(2)


def layout_of(layout_name) -> DatasetLayout:
    """The :class:`DatasetLayout` of ``layout_name``; an unknown one raises
    :class:`DatasetLayoutError` listing the layouts."""
    try:
        return LAYOUTS[layout_name.lower()]
    except KeyError:
        raise DatasetLayoutError(f"unknown dataset layout {layout_name!r} in "
                                 f"'{layout_name}:<path>'; layouts: {_layout_list()}") from None


def dataset_spec_folder(layout_name, path):
    """The checked ``(DatasetLayout, absolute path)`` of a spec; a missing folder (or, for
    ``coco``, json file) raises :class:`DatasetLayoutError` naming it and listing the layouts."""
    layout = layout_of(layout_name)
    full = os.path.abspath(os.path.expanduser(path))
    if not (os.path.isdir(full) or (layout.name == "coco" and os.path.isfile(full))):
        raise DatasetLayoutError(f"dataset '{layout.name}:{path}': folder {full} does not exist "
                                 f"(a '<layout>:<folder>' entry; layouts: {_layout_list()})")
    return layout, full


def register_dataset_spec(name):
    """Register ``name`` in ``DatasetCatalog`` when it is a ``"<layout>:<path>"`` spec not yet
    registered (the folder is checked now and read on first use). Returns True for a spec.
    Idempotent; any other name is left alone."""
    spec = parse_dataset_spec(name)
    if spec is None:
        return False
    if name in DatasetCatalog.list():
        return True
    layout, path = dataset_spec_folder(*spec)
    DatasetCatalog.register(name, lambda: layout.train(path, name))
    MetadataCatalog.get(name).set(dataset_type="image" if layout.name == "coco" else "video",
                                  root=path, layout=layout.name)
    return True


def register_dataset_specs(names):
    """:func:`register_dataset_spec` for each name; returns the names that were specs."""
    return [name for name in names if register_dataset_spec(name)]
