"""COCO-style detection datasets as pair data, and pysot's pre-cropped ("crop511") datasets.

``coco_2017_train`` itself is registered by detectron2 (``detectron2.data.datasets``) from
``$DETECTRON2_DATASETS/coco/{train2017/, annotations/instances_train2017.json}``; its dicts are
used as they are: an image is a one-frame video whose tracks are its annotations, and a
positive pair is the same object twice (FRAME_RANGE 1, pysot's COCO). Crowd annotations and
boxes of zero width or height are skipped (:func:`siamtrack.data.datasets.video.video_tracks`).
"""
from detectron2.data import DatasetCatalog, MetadataCatalog

from .ytbb import load_pysot_crop511


def register_pysot_crop511(name, crop_root, anno_file, metadata=None):
    """Register pysot pre-cropped data (``crop511/`` images + json) as video dataset ``name``.

    Works for any dataset pysot's ``par_crop.py`` + ``gen_json.py`` produced (COCO, DET, VID,
    YouTube-BB); lazy, read on first use.
    """
    DatasetCatalog.register(name, lambda: load_pysot_crop511(crop_root, anno_file))
    MetadataCatalog.get(name).set(dataset_type="video", root=crop_root, **(metadata or {}))
