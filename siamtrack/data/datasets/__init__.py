"""Tracking datasets for pair training, registered lazily in detectron2's ``DatasetCatalog``.

Importing this package registers (no disk access; data is read on first ``DatasetCatalog.get``):

=========================  ===============================================================
name                       folder under ``$DETECTRON2_DATASETS`` (default ``datasets``)
=========================  ===============================================================
got10k_train               ``GOT-10k/train``
got10k_val_pairs           ``GOT-10k/val`` (``got10k_val`` is the evaluation benchmark)
lasot_train                ``LaSOT``
imagenet_vid_train         ``ILSVRC2015``
youtube_bb_train           ``yt_bb`` (pysot crop511 + train.json) or ``youtube-bb`` (CSV)
trackingnet_train          ``TrackingNet``
synthetic_pairs_train      generated (no folder)
synthetic_videos_test      generated (no folder)
=========================  ===============================================================

``coco_2017_train`` and the other COCO sets come from detectron2's own registration. Any folder
can also be named as ``"<layout>:<path>"`` (``"videos:/data/my_videos"``; :mod:`.specs`), which
registers itself where it is used, in every process. See
``datasets/README.md`` for every layout and :mod:`.video` for the dataset-dict format.
"""
import os

from detectron2.data import DatasetCatalog, MetadataCatalog

from .coco import register_pysot_crop511
from .custom import load_video_folder, register_image_coco, register_video_folder
from .got10k import load_got10k
from .lasot import load_lasot
from .specs import LAYOUTS, parse_dataset_spec, register_dataset_spec, register_dataset_specs
from .synthetic import (
    SyntheticVideo,
    load_synthetic_pairs,
    load_synthetic_videos_test,
    synthetic_sequence,
    write_synthetic_otb,
)
from .trackingnet import load_trackingnet
from .vid import load_imagenet_vid
from .video import DatasetLayoutError, video_tracks
from .ytbb import load_pysot_crop511, load_youtube_bb

SYNTHETIC_DATASETS = {
    "synthetic_pairs_train": load_synthetic_pairs,
    "synthetic_videos_test": load_synthetic_videos_test,
}


def _youtube_bb_root(root):
    """``yt_bb`` (pysot layout) if it exists, else ``youtube-bb`` (CSV layout)."""
    pysot_root = os.path.join(root, "yt_bb")
    return pysot_root if os.path.isdir(pysot_root) else os.path.join(root, "youtube-bb")


def _builtin_video_datasets(root):
    """``{name: (loader taking no argument, dataset folder)}`` of the built-in video datasets."""
    got, lasot = os.path.join(root, "GOT-10k"), os.path.join(root, "LaSOT")
    vid, tnet = os.path.join(root, "ILSVRC2015"), os.path.join(root, "TrackingNet")
    return {
        "got10k_train": (lambda: load_got10k(got, "train"), got),
        "got10k_val_pairs": (lambda: load_got10k(got, "val"), got),
        "lasot_train": (lambda: load_lasot(lasot, "train"), lasot),
        "imagenet_vid_train": (lambda: load_imagenet_vid(vid, "train"), vid),
        "youtube_bb_train": (lambda: load_youtube_bb(_youtube_bb_root(root)), "yt_bb|youtube-bb"),
        "trackingnet_train": (lambda: load_trackingnet(tnet), tnet),
    }


def register_all_siam_datasets(root):
    """Register the built-in tracking datasets under ``root`` (skips names already registered)."""
    registered = set(DatasetCatalog.list())
    for name, (loader, folder) in _builtin_video_datasets(root).items():
        if name not in registered:
            DatasetCatalog.register(name, loader)
            MetadataCatalog.get(name).set(dataset_type="video", root=folder)
    for name, loader in SYNTHETIC_DATASETS.items():
        if name not in registered:
            DatasetCatalog.register(name, loader)
            MetadataCatalog.get(name).set(dataset_type="video", root="")


register_all_siam_datasets(os.path.expanduser(os.getenv("DETECTRON2_DATASETS", "datasets")))

__all__ = [
    "DatasetLayoutError",
    "LAYOUTS",
    "SYNTHETIC_DATASETS",
    "SyntheticVideo",
    "load_got10k",
    "load_imagenet_vid",
    "load_lasot",
    "load_pysot_crop511",
    "load_synthetic_pairs",
    "load_synthetic_videos_test",
    "load_trackingnet",
    "load_video_folder",
    "load_youtube_bb",
    "parse_dataset_spec",
    "register_all_siam_datasets",
    "register_dataset_spec",
    "register_dataset_specs",
    "register_image_coco",
    "register_pysot_crop511",
    "register_video_folder",
    "synthetic_sequence",
    "video_tracks",
    "write_synthetic_otb",
]
