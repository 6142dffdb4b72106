"""SiamMask's training masks from YouTube-VOS folders (palette PNGs) and COCO segmentations,
warped with the search crop."""
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from siamtrack.config import load_config
from siamtrack.data.datasets.video import DatasetLayoutError
from siamtrack.data.datasets.youtube_vos import load_youtube_vos
from siamtrack.data.mask_mapper import SiamMaskPairMapper
from siamtrack.data.masks import has_masks, load_mask

SIZE = (96, 128)  # height, width


def write_youtube_vos(root):
    """One video, two objects (ids 1 and 2) over three frames; object 2 leaves in the last."""
    base = root / "train"
    meta = {"videos": {"v1": {"objects": {"1": {"frames": ["00000", "00005", "00010"]},
                                          "2": {"frames": ["00000", "00005", "00010"]}}}}}
    (base / "JPEGImages" / "v1").mkdir(parents=True)
    (base / "Annotations" / "v1").mkdir(parents=True)
    (base / "meta.json").write_text(json.dumps(meta))
    for i, frame in enumerate(["00000", "00005", "00010"]):
        ids = np.zeros(SIZE, np.uint8)
        ids[20 + i:50 + i, 30:70] = 1
        if i < 2:
            ids[60:80, 90:120] = 2
        png = Image.fromarray(ids, mode="P")
        png.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * (256 * 3 - 9))
        png.save(base / "Annotations" / "v1" / f"{frame}.png")
        cv2.imwrite(str(base / "JPEGImages" / "v1" / f"{frame}.jpg"), np.full((*SIZE, 3), 90 + 40 * i, np.uint8))


def test_youtube_vos_tracks_boxes_and_masks(tmp_path):
    write_youtube_vos(tmp_path)
    (video,) = load_youtube_vos(str(tmp_path))
    assert sorted(video["tracks"]) == [1, 2]
    assert video["tracks"][1]["frames"] == ["00000", "00005", "00010"]
    assert video["tracks"][2]["frames"] == ["00000", "00005"]
    assert video["tracks"][1]["boxes"][2].tolist() == [30, 22, 70, 52]
    mask = load_mask(video, 2, "00005", SIZE)
    assert mask.sum() == 20 * 30 and mask[60:80, 90:120].all()
    cfg = load_config("pysot/siammask_r50_l3", ["MODEL.DEVICE", "cpu"])
    sample = SiamMaskPairMapper(cfg, is_train=False)({"dataset_dict": video, "frame_range": 2,
                                                      "negative_dict": None, "seed": [0]})
    ys, xs = np.nonzero(sample["search_mask"].numpy())
    x1, y1, x2, y2 = sample["search_box"].tolist()
    assert abs(xs.min() - x1) <= 2 and abs(xs.max() + 1 - x2) <= 2 and abs(ys.min() - y1) <= 2


def test_youtube_vos_missing_folder(tmp_path):
    with pytest.raises(DatasetLayoutError, match="YouTube-VOS"):
        load_youtube_vos(str(tmp_path))


def test_coco_polygons_and_rle():
    from pycocotools import mask as mask_util

    square = np.zeros(SIZE, np.uint8, order="F")
    square[10:30, 40:60] = 1
    rle = mask_util.encode(square)
    rle["counts"] = rle["counts"].decode()
    d = {"file_name": "x.jpg", "height": SIZE[0], "width": SIZE[1],
         "annotations": [{"bbox": [40, 10, 20, 20], "bbox_mode": 1, "segmentation": [[40, 10, 60, 10, 60, 30, 40, 30]]},
                         {"bbox": [40, 10, 20, 20], "bbox_mode": 1, "segmentation": rle}]}
    assert has_masks(d) and not has_masks({**d, "precropped": True})
    polygon = load_mask(d, 0, "x.jpg", SIZE)
    assert abs(int(polygon.sum()) - 400) <= 45 and polygon[15, 45] == 1 and polygon[50, 50] == 0
    assert np.array_equal(load_mask(d, 1, "x.jpg", SIZE), square)
