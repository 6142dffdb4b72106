"""VOT short-term (VOT2016/2018/2019) in the toolkit layout: ``<root>/list.txt``,
``<root>/<seq>/color/00000001.jpg`` (or ``<root>/<seq>/00000001.jpg``),
``groundtruth.txt`` (8-number polygons, or 4-number boxes converted to polygons as VOT does)
and per-frame tag files ``camera_motion.tag`` ... (``.label`` in older releases)."""
import os

from .base import BenchmarkError, Sequence, list_images, read_flags, read_numbers
from .pysot_json import VOT_TAGS, rect_to_vot_polygon

__all__ = ["load_vot_raw"]


def load_vot_raw(root):
    """Sequences of a VOT folder (those of ``list.txt``, else every folder with a
    ``groundtruth.txt``)."""
    list_file = os.path.join(root, "list.txt")
    if os.path.isfile(list_file):
        with open(list_file) as f:
            names = [line.strip() for line in f if line.strip()]
    else:
        names = [n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n, "groundtruth.txt"))]
    if not names:
        raise BenchmarkError(f"no VOT sequences in {root}: expected list.txt and "
                             "<seq>/groundtruth.txt (or pysot's VOT20xx.json)")
    sequences = []
    for name in sorted(names):
        seq_dir = os.path.join(root, name)
        gt = read_numbers(os.path.join(seq_dir, "groundtruth.txt"), (4, 8), "ground-truth")
        if gt.shape[1] == 4:
            gt = rect_to_vot_polygon(gt)
        frames = list_images(os.path.join(seq_dir, "color")) or list_images(seq_dir)
        tags = {}
        for tag in VOT_TAGS:
            path = os.path.join(seq_dir, tag + ".tag")
            if not os.path.isfile(path):
                path = os.path.join(seq_dir, tag + ".label")
            tags[tag] = read_flags(path, len(gt))
        sequences.append(Sequence(name=name, frames=frames, gt=gt, tags=tags))
    return sequences
