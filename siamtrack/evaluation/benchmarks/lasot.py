"""LaSOT in its download layout: ``<root>/<class>/<class>-<N>/img/00000001.jpg``,
``groundtruth.txt``, ``full_occlusion.txt`` and ``out_of_view.txt`` (comma-separated 0/1).
Frames with full occlusion or out of view are not scored (pysot's ``absent``)."""
import os

from .base import BenchmarkError, Sequence, list_images, read_flags, read_numbers

__all__ = ["load_lasot_raw"]


def _sequence_dirs(root):
    listed = os.path.join(root, "testing_set.txt")
    if os.path.isfile(listed):
        with open(listed) as f:
            names = [line.strip() for line in f if line.strip()]
        return [(n, os.path.join(root, n.rsplit("-", 1)[0], n)) for n in names]
    found = []
    for cls in sorted(os.listdir(root)):
        cls_dir = os.path.join(root, cls)
        if not os.path.isdir(cls_dir):
            continue
        for name in os.listdir(cls_dir):
            if os.path.isfile(os.path.join(cls_dir, name, "groundtruth.txt")):
                found.append((name, os.path.join(cls_dir, name)))
    return found


def load_lasot_raw(root):
    """Sequences of a LaSOT folder (the 280 of ``testing_set.txt`` when that file exists,
    otherwise every ``<class>/<class>-<N>/`` with a ``groundtruth.txt``)."""
    sequences = []
    for name, seq_dir in sorted(_sequence_dirs(root)):
        gt = read_numbers(os.path.join(seq_dir, "groundtruth.txt"), 4, "ground-truth")
        n = len(gt)
        occluded = read_flags(os.path.join(seq_dir, "full_occlusion.txt"), n)
        out_of_view = read_flags(os.path.join(seq_dir, "out_of_view.txt"), n)
        frames = list_images(os.path.join(seq_dir, "img"))
        sequences.append(Sequence(name=name, frames=frames, gt=gt,
                                  visible=~(occluded | out_of_view)))
    if not sequences:
        raise BenchmarkError(f"no LaSOT sequences in {root}: expected <class>/<class>-<N>/"
                             "groundtruth.txt (or pysot's LaSOT.json)")
    return sequences

