"""GOT-10k (http://got-10k.aitestunion.com) train / val splits as video dicts.

Layout under the dataset root (``$DETECTRON2_DATASETS/GOT-10k``)::

    train/list.txt                                  # sequence names, one per line
    train/GOT-10k_Train_000001/00000001.jpg ...     # frames, 1-based, 8 digits
    train/GOT-10k_Train_000001/groundtruth.txt      # x,y,w,h per frame
    train/GOT-10k_Train_000001/absence.label        # 1 = object absent (optional)
    val/list.txt, val/GOT-10k_Val_000001/...        # same for the validation split
"""
import os

from .video import read_box_file, read_flags, require_dir, require_file, track_from_xywh


def load_got10k(root, split="train"):
    """Read the GOT-10k ``split`` ("train" or "val") under ``root`` as a list of video dicts.

    Absent frames (absence.label) and empty boxes are dropped; one track (id 0) per video.
    """
    split_dir = require_dir(os.path.join(root, split), f"GOT-10k {split} split")
    list_file = os.path.join(split_dir, "list.txt")
    if os.path.isfile(list_file):
        with open(list_file) as f:
            names = [line.strip() for line in f if line.strip()]
    else:
        names = sorted(d for d in os.listdir(split_dir) if os.path.isdir(os.path.join(split_dir, d)))
        if not names:
            require_file(list_file, f"GOT-10k {split} split (no list.txt and no sequence folders)")
    videos = []
    for name in names:
        seq = require_dir(os.path.join(split_dir, name), f"GOT-10k {split} sequence in list.txt")
        gt = read_box_file(require_file(os.path.join(seq, "groundtruth.txt"), "GOT-10k sequence"))
        absent = read_flags(os.path.join(seq, "absence.label"), len(gt))
        track = track_from_xywh(gt, frame_ids=range(1, len(gt) + 1), absent=absent)
        if track is None:
            continue
        videos.append(
            {"video": name, "frame_format": os.path.join(seq, "{frame:08d}.jpg"),
             "tracks": {0: track}}
        )
    return videos
