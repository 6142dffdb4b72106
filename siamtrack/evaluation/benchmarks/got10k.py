"""GOT-10k in its download layout: ``<root>/<val|test>/list.txt`` and
``<root>/<split>/<seq>/00000001.jpg``, ``groundtruth.txt`` (test: first box only), optional
``absence.label`` / ``cover.label`` (kept as per-frame tags ``absence`` / ``cover``)."""
import os

import numpy as np

from .base import BenchmarkError, Sequence, list_images, read_numbers

__all__ = ["load_got10k_raw"]


def _split_dir(root, split):
    if os.path.isdir(os.path.join(root, split)):
        return os.path.join(root, split)
    if os.path.isfile(os.path.join(root, "list.txt")):
        return root  # the split folder itself was given
    raise BenchmarkError(f"{root} is not a GOT-10k folder: missing {split}/list.txt")


def _read_label(path, n):
    if not os.path.isfile(path):
        return None
    values = np.loadtxt(path, dtype=np.float64, ndmin=1)
    out = np.zeros(n)
    out[: min(n, len(values))] = values[:n]
    return out


def load_got10k_raw(root, split="val"):
    """Sequences of the GOT-10k ``val`` or ``test`` split (listed in ``list.txt``)."""
    split_dir = _split_dir(root, split)
    list_file = os.path.join(split_dir, "list.txt")
    if os.path.isfile(list_file):
        with open(list_file) as f:
            names = [line.strip() for line in f if line.strip()]
    else:
        names = [n for n in os.listdir(split_dir)
                 if os.path.isfile(os.path.join(split_dir, n, "groundtruth.txt"))]
    if not names:
        raise BenchmarkError(f"no GOT-10k sequences in {split_dir}")
    sequences = []
    for name in sorted(names):
        seq_dir = os.path.join(split_dir, name)
        gt = read_numbers(os.path.join(seq_dir, "groundtruth.txt"), 4, "ground-truth")
        frames = list_images(seq_dir)
        seq = Sequence(name=name, frames=frames, gt=gt)
        n = len(frames) or len(gt)
        for tag in ("absence", "cover"):
            values = _read_label(os.path.join(seq_dir, tag + ".label"), n)
            if values is not None:
                seq.tags[tag] = values
        sequences.append(seq)
    return sequences
