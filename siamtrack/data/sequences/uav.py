"""UAV123 / UAV20L in their download layout::

    <root>/data_seq/UAV123/<video>/000001.jpg ...    # frames (UAV20L uses the same folders)
    <root>/anno/<UAV123|UAV20L>/<seq>.txt            # x,y,w,h; NaN rows where the target is absent
    <root>/anno/<UAV123|UAV20L>/att/<seq>.txt        # 12 attribute flags
"""
import os
import re

from ...utils.frames import list_images
from .base import DatasetLayoutError, VideoSequence, read_boxes_file, read_flag_file

__all__ = ["UAV_ATTRIBUTES", "read_uav"]

UAV_ATTRIBUTES = ("Scale Variation", "Aspect Ratio Change", "Low Resolution", "Fast Motion",
                  "Full Occlusion", "Partial Occlusion", "Out-of-View", "Background Clutter",
                  "Illumination Variation", "Viewpoint Change", "Camera Motion", "Similar Object")

# UAV123 cuts some long videos into several sequences (<video>_<k>) sharing one frame folder.
# First frame (1-based) of every such part that does not start at frame 1, from the UAV123
# benchmark's sequence table; each part then spans as many frames as its annotation has rows.
_UAV_START_FRAME = {
    "bird1_2": 775, "bird1_3": 1573, "car1_2": 751, "car1_3": 1627, "car16_2": 415,
    "car6_2": 487, "car6_3": 1807, "car6_4": 2953, "car6_5": 3925, "car8_2": 1357,
    "group1_2": 1333, "group1_3": 2515, "group1_4": 3925, "group2_2": 907, "group2_3": 1771,
    "group3_2": 1567, "group3_3": 2827, "group3_4": 4369, "person12_2": 601,
    "person14_2": 847, "person14_3": 1813, "person17_2": 1501, "person19_2": 1243,
    "person19_3": 2791, "person2_2": 1189, "person4_2": 1501, "person5_2": 877,
    "person7_2": 1249, "person8_2": 1075, "truck4_2": 577, "uav1_2": 1555, "uav1_3": 2473,
}
_PART = re.compile(r"^(.+)_(\d+)$")


def read_uav(root, subset="UAV123"):
    """The sequences of a UAV123 (``subset="UAV123"``) or UAV20L download folder, sorted."""
    anno_dir = os.path.join(root, "anno", subset)
    frames_dir = os.path.join(root, "data_seq", "UAV123")
    if not os.path.isdir(anno_dir):
        raise DatasetLayoutError(f"{root} is not a {subset} folder: missing anno/{subset}/ "
                                 f"(or pysot's {subset}.json)")
    names = sorted(n[:-4] for n in os.listdir(anno_dir) if n.endswith(".txt"))
    if not names:
        raise DatasetLayoutError(f"no annotation files in {anno_dir}")
    sequences = []
    for name in names:
        gt = read_boxes_file(os.path.join(anno_dir, name + ".txt"))
        folder, start = name, 1
        part = _PART.match(name)
        if not os.path.isdir(os.path.join(frames_dir, name)) and part:
            folder, start = part.group(1), _UAV_START_FRAME.get(name, 1)
        images = list_images(os.path.join(frames_dir, folder))
        flags = read_flag_file(os.path.join(anno_dir, "att", name + ".txt"), len(UAV_ATTRIBUTES))
        sequences.append(VideoSequence(
            name=name, frames=images[start - 1:start - 1 + len(gt)], gt=gt,
            attributes=tuple(a for a, on in zip(UAV_ATTRIBUTES, flags) if on),
            folder=os.path.join(frames_dir, folder)))
    return sequences
