"""LaSOT (http://vision.cs.stonybrook.edu/~lasot/) as video dicts.

The layout is read by :func:`siamtrack.data.sequences.read_lasot` (the reader evaluation uses
too; layout in ``datasets/README.md``). Frames fully occluded or out of view are dropped.
"""
import logging
import os

from ..sequences.lasot import LASOT_FRAME_NAME, LASOT_SPLIT_FILES, read_lasot
from .video import sequence_video_dict

logger = logging.getLogger(__name__)


def load_lasot(root, split="train"):
    """Read LaSOT under ``root`` as video dicts.

    ``split`` "train" uses the names in ``<root>/training_set.txt`` (the toolkit's protocol-II
    training list) when it exists, else every sequence found (with a warning); "all" uses every
    sequence; "test" needs ``<root>/testing_set.txt``.
    """
    if split == "train" and not os.path.isfile(os.path.join(root, LASOT_SPLIT_FILES["train"])):
        sequences = read_lasot(root, "all")
        logger.warning("LaSOT: %s not found; using all %d sequences for training",
                       os.path.join(root, LASOT_SPLIT_FILES["train"]), len(sequences))
    else:
        sequences = read_lasot(root, split)
    videos = (sequence_video_dict(seq, frame_format=LASOT_FRAME_NAME, first_frame=1)
              for seq in sequences)
    return [v for v in videos if v is not None]
