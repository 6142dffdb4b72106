"""TrackingNet in its download layout: ``<root>/<TEST|TRAIN_k>/frames/<seq>/<N>.jpg``
(N from 0) and ``<root>/<split>/anno/<seq>.txt`` (TEST: first box only)."""
import os

from .base import BenchmarkError, Sequence, list_images, read_numbers

__all__ = ["load_trackingnet_raw"]


def load_trackingnet_raw(root, split="TEST"):
    """Sequences of one TrackingNet split (``TEST`` or ``TRAIN_0`` ... ``TRAIN_11``)."""
    split_dir = os.path.join(root, split)
    if not os.path.isdir(split_dir) and os.path.isdir(os.path.join(root, "anno")):
        split_dir = root  # the split folder itself was given
    anno_dir = os.path.join(split_dir, "anno")
    if not os.path.isdir(anno_dir):
        raise BenchmarkError(f"{root} is not a TrackingNet folder: missing {split}/anno/ "
                             "(or pysot's TrackingNet.json)")
    names = sorted(n[:-4] for n in os.listdir(anno_dir) if n.endswith(".txt"))
    if not names:
        raise BenchmarkError(f"no annotation files in {anno_dir}")
    return [Sequence(name=n, frames=list_images(os.path.join(split_dir, "frames", n)),
                     gt=read_numbers(os.path.join(anno_dir, n + ".txt"), 4, "ground-truth"))
            for n in names]
