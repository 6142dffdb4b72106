"""Users' own data: a folder of sequences, or images with a COCO-format json.

The video folder layout (``register_video_folder(name, root)``) is read by
:func:`siamtrack.data.sequences.read_video_folder` (layout there and in ``datasets/README.md``);
line *i* of ``groundtruth.txt`` is the box of the *i*-th frame in natural order. Image datasets
use detectron2's ``register_coco_instances`` (one pair = the same object twice, like COCO).
"""
import os

from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.datasets import register_coco_instances

from ..sequences.folder import read_video_folder
from .video import DatasetLayoutError, sequence_video_dict


def load_video_folder(root):
    """Read every ``<root>/<sequence>/`` with frames and a ``groundtruth.txt`` as video dicts."""
    videos = [v for v in map(sequence_video_dict, read_video_folder(root)) if v is not None]
    if not videos:
        raise DatasetLayoutError(f"video folder dataset: folder {root} has no annotated sequence")
    return videos


def register_video_folder(name, root, metadata=None):
    """Register ``name`` as the sequences under ``root`` (layout in ``datasets/README.md``).

    Lazy: the folder is read when the dataset is first used.
    """
    root = os.path.abspath(os.path.expanduser(root))
    DatasetCatalog.register(name, lambda: load_video_folder(root))
    MetadataCatalog.get(name).set(dataset_type="video", root=root, **(metadata or {}))


def register_image_coco(name, json_file, image_root, metadata=None):
    """Register images with a COCO-format json (boxes of objects) as a pair dataset ``name``."""
    register_coco_instances(name, metadata or {}, json_file, image_root)
