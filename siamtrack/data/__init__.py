"""Crops, training pairs and datasets.

* :mod:`.crop` — the tracker's template / search window (bit-exact to pysot);
* :mod:`.pair_crop`, :mod:`.augment` — training crops in one affine warp and their augmentation;
* :mod:`.pairs`, :mod:`.mapper`, :mod:`.build` — pair sampling, ``SiamPairMapper`` and
  ``build_pair_train_loader``;
* :mod:`.sequences` — one reader per dataset layout, returning sequences (training and
  evaluation both read folders through them; rules in docs/data.md);
* :mod:`.datasets` — tracking datasets, registered lazily on import (see datasets/README.md).
"""
from . import datasets  # noqa: F401  (registers the built-in datasets)
from .build import build_pair_train_loader, get_pair_dataset_dicts
from .mapper import SiamPairMapper

__all__ = ["SiamPairMapper", "build_pair_train_loader", "get_pair_dataset_dicts"]
