"""Synthetic data: determinism, boxes inside frames, pairs through the mapper, the loader."""
import pickle
import time

import cv2
import numpy as np
import torch
from detectron2.config import get_cfg
from detectron2.data import DatasetCatalog

from siamtrack import add_siamtrack_config
from siamtrack.data.build import build_pair_train_loader
from siamtrack.data.datasets.synthetic import (
    SyntheticVideo,
    load_synthetic_pairs,
    synthetic_sequence,
    write_synthetic_otb,
)
from siamtrack.data.mapper import SiamPairMapper


def test_frames_are_deterministic_and_boxes_inside():
    frames, boxes = synthetic_sequence(1, seed=5, num_frames=20)
    again, boxes2 = synthetic_sequence(1, seed=5, num_frames=20)
    assert all(np.array_equal(a, b) for a, b in zip(frames, again))
    np.testing.assert_array_equal(boxes, boxes2)
    other, other_boxes = synthetic_sequence(2, seed=5, num_frames=20)
    assert not np.array_equal(frames[0], other[0]) and not np.array_equal(boxes, other_boxes)
    assert frames[0].shape == (240, 320, 3) and frames[0].dtype == np.uint8
    x, y, w, h = boxes.T
    assert np.all(w >= 8) and np.all(h >= 8) and np.all(x >= 0) and np.all(y >= 0)
    assert np.all(x + w <= 320) and np.all(y + h <= 240)
    # the target moves and changes scale and aspect over the sequence
    assert np.ptp(x) > 5 and np.ptp(w * h) > 0 and np.ptp(w / h) > 0
    # a pickled copy (as sent to loader workers) renders the same frame
    video = pickle.loads(pickle.dumps(SyntheticVideo(5, 1, 20)))
    assert np.array_equal(video(7), frames[7])


def test_target_is_visible_at_its_box():
    frames, boxes = synthetic_sequence(0, seed=9, num_frames=10)
    for frame, (x, y, w, h) in zip(frames, boxes.astype(int)):
        inside = frame[y : y + h, x : x + w].reshape(-1, 3).astype(float).mean(0)
        ring = np.concatenate([frame[max(0, y - 6) : y, x : x + w].reshape(-1, 3),
                               frame[y + h : y + h + 6, x : x + w].reshape(-1, 3)]).astype(float)
        if len(ring):
            assert np.abs(inside - ring.mean(0)).max() > 5  # object differs from surroundings


def test_generation_is_fast():
    video = SyntheticVideo(0, 3, 30)
    video(0)  # textures
    start = time.perf_counter()
    for i in range(30):
        video(i)
    assert (time.perf_counter() - start) / 30 < 0.02  # a few ms per frame, generous bound


def test_pairs_through_mapper_and_registered_datasets():
    assert len(DatasetCatalog.get("synthetic_videos_test")) == 8
    videos = load_synthetic_pairs(num_videos=3, num_frames=10)
    cfg = add_siamtrack_config(get_cfg())
    mapper = SiamPairMapper(cfg, is_train=True)
    request = {"dataset_dict": videos[0], "frame_range": 5, "negative_dict": videos[1],
               "seed": [1, 2]}
    out = mapper(request)
    assert out["template"].shape == (3, 127, 127) and out["search"].shape == (3, 255, 255)
    assert torch.isfinite(out["search"]).all()
    box = out["search_box"].numpy()
    assert np.all(box[2:] > box[:2]) and np.all(box >= -64) and np.all(box <= 255 + 64)


def test_loader_yields_batches():
    cfg = add_siamtrack_config(get_cfg())
    cfg.DATASETS.TRAIN = ("synthetic_pairs_train", "synthetic_videos_test")
    cfg.DATASETS.SIAM.SYNTHETIC_NUM_TRAIN = 20
    cfg.DATASETS.SIAM.FRAME_RANGE = [10, 5]
    cfg.DATASETS.SIAM.NUM_USE = [20, 4]
    cfg.SOLVER.IMS_PER_BATCH = 4
    cfg.DATALOADER.NUM_WORKERS = 0
    it = iter(build_pair_train_loader(cfg))
    batches = [next(it) for _ in range(3)]
    assert all(len(b) == 4 for b in batches)
    again = next(iter(build_pair_train_loader(cfg)))
    assert all(torch.equal(a["search"], b["search"]) for a, b in zip(batches[0], again))
    cfg.DATALOADER.NUM_WORKERS = 1
    batch = next(iter(build_pair_train_loader(cfg)))
    assert len(batch) == 4 and batch[0]["template"].shape == (3, 127, 127)


def test_write_otb_layout(tmp_path):
    names = write_synthetic_otb(str(tmp_path), num_videos=2, num_frames=5)
    assert names == ["synthetic_00", "synthetic_01"]
    _, boxes = synthetic_sequence(1, num_frames=5)
    lines = (tmp_path / "synthetic_01" / "groundtruth_rect.txt").read_text().split()
    np.testing.assert_array_equal([[int(v) for v in l.split(",")] for l in lines], boxes)
    img = cv2.imread(str(tmp_path / "synthetic_01" / "img" / "0005.jpg"))
    assert img.shape == (240, 320, 3)
    assert not (tmp_path / "synthetic_01" / "img" / "0006.jpg").exists()
