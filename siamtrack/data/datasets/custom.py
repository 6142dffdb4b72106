"""Users' own data: a folder of sequences, or images with a COCO-format json.

Video folder layout (``register_video_folder(name, root)``)::

    <root>/<sequence>/groundtruth.txt       # one x,y,w,h line per frame (comma, tab or space)
    <root>/<sequence>/img/0001.jpg ...      # frames sorted by file name; the img/ level is
                                            # optional (frames may sit beside groundtruth.txt)

Line i of groundtruth.txt is the box of the i-th frame in name order; a line "0,0,0,0",
"NaN,NaN,NaN,NaN" or an empty line marks the object absent. Image datasets use detectron2's
``register_coco_instances`` (one pair = the same object twice, like COCO).
"""
import os

from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.datasets import register_coco_instances

from .video import DatasetLayoutError, read_box_file, require_dir, track_from_xywh

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
BOX_FILES = ("groundtruth.txt", "groundtruth_rect.txt")


def _frame_files(seq_dir):
    """Image files of a sequence (in ``img/`` if present, else beside the box file), sorted."""
    img_dir = os.path.join(seq_dir, "img")
    folder = img_dir if os.path.isdir(img_dir) else seq_dir
    return [os.path.join(folder, f) for f in sorted(os.listdir(folder))
            if f.lower().endswith(IMAGE_EXTENSIONS)]


def load_video_folder(root):
    """Read every ``<root>/<sequence>/`` with frames and a ``groundtruth.txt`` as video dicts."""
    require_dir(root, "video folder dataset")
    videos = []
    names = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    for name in names:
        seq = os.path.join(root, name)
        box_file = next((os.path.join(seq, b) for b in BOX_FILES
                         if os.path.isfile(os.path.join(seq, b))), None)
        if box_file is None:
            raise DatasetLayoutError(f"video folder dataset: folder {seq} has no groundtruth.txt")
        frames = _frame_files(seq)
        if not frames:
            raise DatasetLayoutError(f"video folder dataset: folder {seq} has no image frames")
        gt = read_box_file(box_file)
        if len(gt) > len(frames):
            raise DatasetLayoutError(
                f"video folder dataset: folder {seq} has {len(gt)} boxes but {len(frames)} frames")
        track = track_from_xywh(gt, frame_ids=frames[: len(gt)])
        if track is not None:
            track["frames"] = list(track["frames"])
            videos.append({"video": name, "tracks": {0: track}})
    if not videos:
        raise DatasetLayoutError(f"video folder dataset: folder {root} has no annotated sequence")
    return videos


def register_video_folder(name, root, metadata=None):
    """Register ``name`` as the sequences under ``root`` (layout in this module's docstring).

    Lazy: the folder is read when the dataset is first used.
    """
    root = os.path.abspath(os.path.expanduser(root))
    DatasetCatalog.register(name, lambda: load_video_folder(root))
    MetadataCatalog.get(name).set(dataset_type="video", root=root, **(metadata or {}))


def register_image_coco(name, json_file, image_root, metadata=None):
    """Register images with a COCO-format json (boxes of objects) as a pair dataset ``name``."""
    register_coco_instances(name, metadata or {}, json_file, image_root)
