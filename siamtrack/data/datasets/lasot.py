"""LaSOT (http://vision.cs.stonybrook.edu/~lasot/) as video dicts.

Layout under the dataset root (``$DETECTRON2_DATASETS/LaSOT``)::

    airplane/airplane-1/img/00000001.jpg ...        # frames, 1-based, 8 digits
    airplane/airplane-1/groundtruth.txt             # x,y,w,h per frame
    airplane/airplane-1/full_occlusion.txt          # 0/1 per frame, comma separated
    airplane/airplane-1/out_of_view.txt             # 0/1 per frame, comma separated
    training_set.txt                                # optional: names of the training split
"""
import logging
import os

from .video import read_box_file, read_flags, require_dir, require_file, track_from_xywh

logger = logging.getLogger(__name__)


def lasot_sequences(root):
    """All ``<class>-<n>`` sequence names under ``root`` (class folders of sequence folders)."""
    names = []
    for cls in sorted(os.listdir(root)):
        cls_dir = os.path.join(root, cls)
        if not os.path.isdir(cls_dir):
            continue
        names += [s for s in sorted(os.listdir(cls_dir)) if os.path.isdir(os.path.join(cls_dir, s))]
    return names


def load_lasot(root, split="train"):
    """Read LaSOT under ``root`` as video dicts; frames fully occluded or out of view are dropped.

    ``split`` "train" uses the names in ``<root>/training_set.txt`` (the toolkit's protocol-II
    training list) when it exists, else every sequence found (with a warning); "all" uses every
    sequence; "test" needs ``<root>/testing_set.txt``.
    """
    require_dir(root, "LaSOT root")
    list_name = {"train": "training_set.txt", "test": "testing_set.txt"}.get(split)
    list_file = os.path.join(root, list_name) if list_name else None
    if list_file and os.path.isfile(list_file):
        with open(list_file) as f:
            names = [line.strip() for line in f if line.strip()]
    elif split == "test":
        require_file(list_file, "LaSOT test split list")
    else:
        names = lasot_sequences(root)
        if split == "train":
            logger.warning("LaSOT: %s not found; using all %d sequences for training",
                           list_file, len(names))
        if not names:
            require_dir(os.path.join(root, "<class>", "<class>-1"), "LaSOT sequences")
    videos = []
    for name in names:
        cls = name.rsplit("-", 1)[0]
        seq = require_dir(os.path.join(root, cls, name), "LaSOT sequence")
        gt = read_box_file(require_file(os.path.join(seq, "groundtruth.txt"), "LaSOT sequence"))
        absent = read_flags(os.path.join(seq, "full_occlusion.txt"), len(gt))
        absent |= read_flags(os.path.join(seq, "out_of_view.txt"), len(gt))
        track = track_from_xywh(gt, frame_ids=range(1, len(gt) + 1), absent=absent)
        if track is None:
            continue
        videos.append(
            {"video": name, "frame_format": os.path.join(seq, "img", "{frame:08d}.jpg"),
             "tracks": {0: track}}
        )
    return videos
