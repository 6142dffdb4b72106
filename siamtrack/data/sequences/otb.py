"""OTB (OTB100 / OTB50 / CVPR13) in its download layout::

    <root>/<Seq>/img/0001.jpg ...                    # frames
    <root>/<Seq>/groundtruth_rect.txt                # x,y,w,h per annotated frame

The two-target videos Jogging and Skating2 have ``groundtruth_rect.1.txt`` / ``.2.txt`` and
become ``Jogging-1`` / ``Jogging-2``; a few videos are annotated from a later frame on.
"""
import os
import re

from ...utils.frames import list_images
from .base import DatasetLayoutError, VideoSequence, read_boxes_file

__all__ = ["read_otb"]

# Videos whose img/ folder holds more frames than the ground truth: first annotated frame
# (1-based), from the OTB benchmark's sequence table. Others start at frame 1.
_OTB_START_FRAME = {"David": 300, "BlurCar1": 247, "BlurCar3": 3, "BlurCar4": 18}
_GT_FILE = re.compile(r"^groundtruth_rect(?:\.(\d+))?\.txt$")


def read_otb(root):
    """The sequences of an OTB folder, sorted; frames are optional (a folder of
    ``<seq>/groundtruth_rect.txt`` alone can be scored but not run)."""
    sequences = []
    for folder in sorted(os.listdir(root)):
        seq_dir = os.path.join(root, folder)
        if not os.path.isdir(seq_dir):
            continue
        gt_files = sorted((m.group(1) or "", n) for n in os.listdir(seq_dir)
                          for m in [_GT_FILE.match(n)] if m)
        images = list_images(os.path.join(seq_dir, "img")) if gt_files else []
        for index, gt_name in gt_files:
            name = f"{folder}-{index}" if len(gt_files) > 1 and index else folder
            gt = read_boxes_file(os.path.join(seq_dir, gt_name))
            frames = images
            if len(images) > len(gt):
                start = _OTB_START_FRAME.get(folder, 1) - 1
                frames = images[start:start + len(gt)]
            sequences.append(VideoSequence(name=name, frames=list(frames), gt=gt, folder=seq_dir))
    if not sequences:
        raise DatasetLayoutError(f"no OTB sequences in {root}: expected <sequence>/groundtruth_rect.txt "
                                 "(with <sequence>/img/*.jpg) or pysot's OTB100.json")
    return sequences
