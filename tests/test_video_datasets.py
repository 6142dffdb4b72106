"""Video dataset layouts on tiny generated folders, frame-range pairing, mixing, clear errors."""
import json
import os

import cv2
import numpy as np
import pytest
from detectron2.config import get_cfg
from detectron2.data import DatasetCatalog, MetadataCatalog

from siamtrack import add_siamtrack_config
from siamtrack.data.build import build_pair_train_loader
from siamtrack.data.datasets import (
    DatasetLayoutError,
    load_got10k,
    load_imagenet_vid,
    load_lasot,
    load_trackingnet,
    load_video_folder,
    load_youtube_bb,
    register_all_siam_datasets,
    register_image_coco,
    register_video_folder,
)
from siamtrack.data.mapper import load_frame
from siamtrack.data.pairs import VideoIndexPool, positive_frames

IMG = np.full((48, 64, 3), 120, np.uint8)
XYWH = [[10, 8, 20, 16], [12, 9, 20, 16], [14, 10, 20, 16], [16, 11, 22, 18]]


def write_frames(folder, names):
    os.makedirs(folder, exist_ok=True)
    for name in names:
        cv2.imwrite(os.path.join(folder, name), IMG)


def write_lines(path, rows, sep=","):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.writelines(sep.join(str(v) for v in row) + "\n" for row in rows)


def check_video(video, n_frames, first_box=(10, 8, 30, 24)):
    """One track, ``n_frames`` frames, xyxy boxes, and the first frame is loadable."""
    ((tid, track),) = video["tracks"].items()
    assert len(track["frames"]) == n_frames and np.asarray(track["boxes"]).shape == (n_frames, 4)
    np.testing.assert_allclose(track["boxes"][0], first_box)
    assert load_frame(video, tid, track["frames"][0]).shape == (48, 64, 3)


def test_got10k(tmp_path):
    seq = tmp_path / "train" / "GOT-10k_Train_000001"
    write_frames(seq, [f"{i:08d}.jpg" for i in range(1, 5)])
    write_lines(seq / "groundtruth.txt", XYWH)
    write_lines(seq / "absence.label", [[0], [1], [0], [0]])
    write_lines(tmp_path / "train" / "list.txt", [["GOT-10k_Train_000001"]])
    (video,) = load_got10k(str(tmp_path), "train")
    check_video(video, 3)
    assert list(video["tracks"][0]["frames"]) == [1, 3, 4]  # absent frame 2 dropped
    assert "category" not in video["tracks"][0]  # no meta_info.ini: no category
    (seq / "meta_info.ini").write_text("[METAINFO]\nurl: https://example.org/v\nbegin: 00:00:00\n"
                                       "end: 00:00:10\nanno_fps: 10Hz\nobject_class: ferret\n"
                                       "motion_class: walking\nresolution: (1280, 720)\n")
    (video,) = load_got10k(str(tmp_path), "train")
    assert video["tracks"][0]["category"] == "ferret"  # same-category negatives (docs/data.md)
    with pytest.raises(DatasetLayoutError, match=r"val"):
        load_got10k(str(tmp_path), "val")


def test_lasot(tmp_path):
    seq = tmp_path / "cat" / "cat-1"
    write_frames(seq / "img", [f"{i:08d}.jpg" for i in range(1, 5)])
    write_lines(seq / "groundtruth.txt", XYWH)
    write_lines(seq / "full_occlusion.txt", [[0, 0, 1, 0]])
    write_lines(seq / "out_of_view.txt", [[0, 0, 0, 1]])
    write_frames(tmp_path / "cat" / "cat-2" / "img", ["00000001.jpg"])
    write_lines(tmp_path / "cat" / "cat-2" / "groundtruth.txt", XYWH[:1])
    (tmp_path / "training_set.txt").write_text("cat-1\n")
    (video,) = load_lasot(str(tmp_path), "train")
    check_video(video, 2)
    assert video["video"] == "cat-1"
    assert video["tracks"][0]["category"] == "cat"  # from the name: same-category negatives
    assert len(load_lasot(str(tmp_path), "all")) == 2


def test_imagenet_vid(tmp_path):
    snippet = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"
    write_frames(tmp_path / "Data/VID/train" / snippet, [f"{i:06d}.JPEG" for i in range(5)])
    anno = tmp_path / "Annotations/VID/train" / snippet
    os.makedirs(anno)
    for i in range(5):
        objs = ""
        if i != 2:  # track 0 absent in frame 2 -> two runs: [0, 1] and [3, 4]
            objs += ("<object><trackid>0</trackid><name>n1</name><bndbox><xmax>30</xmax>"
                     "<xmin>10</xmin><ymax>24</ymax><ymin>8</ymin></bndbox></object>")
        if i == 4:  # track 1 seen once -> a run of length 1, dropped
            objs += ("<object><trackid>1</trackid><name>n2</name><bndbox><xmax>5</xmax>"
                     "<xmin>1</xmin><ymax>5</ymax><ymin>1</ymin></bndbox></object>")
        (anno / f"{i:06d}.xml").write_text(f"<annotation>{objs}</annotation>")
    (video,) = load_imagenet_vid(str(tmp_path), "train")
    assert video["video"] == snippet and set(video["tracks"]) == {"0_0", "0_1"}
    assert list(video["tracks"]["0_1"]["frames"]) == [3, 4]
    assert load_frame(video, "0_0", 0).shape == (48, 64, 3)
    assert os.path.isfile(tmp_path / "Annotations/VID/train.siamtrack.json")  # cache written
    assert not [n for n in os.listdir(tmp_path / "Annotations/VID") if n.startswith(".tmp")]
    assert load_imagenet_vid(str(tmp_path), "train")[0]["video"] == snippet  # read from cache


def test_trackingnet(tmp_path):
    write_frames(tmp_path / "TRAIN_0/frames/seqA", [f"{i}.jpg" for i in range(4)])
    write_lines(tmp_path / "TRAIN_0/anno/seqA.txt", XYWH)
    (video,) = load_trackingnet(str(tmp_path))
    check_video(video, 4)
    assert video["video"] == "TRAIN_0/seqA"


def test_youtube_bb_pysot_and_csv(tmp_path):
    pysot = tmp_path / "yt_bb"
    write_frames(pysot / "crop511/train/0/abc", ["000000.00.x.jpg", "000001.00.x.jpg"])
    labels = {"train/0/abc": {"00": {"000000": [10, 8, 30, 24], "000001": [11, 8, 31, 24],
                                     "meta": [0, 0]}}}
    (pysot / "train.json").write_text(json.dumps(labels))
    (video,) = load_youtube_bb(str(pysot))
    assert video["precropped"] and list(video["tracks"]["00"]["frames"]) == [0, 1]
    assert load_frame(video, "00", 1).shape == (48, 64, 3)

    csv_root = tmp_path / "youtube-bb"
    write_frames(csv_root / "frames/vid1", ["1000.jpg", "2000.jpg"])
    rows = [["vid1", 1000, 0, "person", 0, "present", 0.1, 0.5, 0.2, 0.6],
            ["vid1", 2000, 0, "person", 0, "present", 0.2, 0.6, 0.2, 0.6],
            ["vid1", 3000, 0, "person", 0, "absent", -1, -1, -1, -1],
            ["vid2", 1000, 0, "person", 0, "present", 0.1, 0.5, 0.2, 0.6]]  # no frames
    write_lines(csv_root / "yt_bb_detection_train.csv", rows)
    (video,) = load_youtube_bb(str(csv_root))
    assert video["normalized_boxes"] and list(video["tracks"]["0_0"]["frames"]) == [1000, 2000]
    np.testing.assert_allclose(video["tracks"]["0_0"]["boxes"][0], [0.1, 0.2, 0.5, 0.6])
    with pytest.raises(DatasetLayoutError, match="train.json"):
        load_youtube_bb(str(tmp_path))


def test_video_folder_and_coco_images(tmp_path):
    write_frames(tmp_path / "vids/walk/img", [f"{i:04d}.jpg" for i in range(1, 5)])
    write_lines(tmp_path / "vids/walk/groundtruth.txt", XYWH[:2] + [[0, 0, 0, 0]] + XYWH[3:], "\t")
    write_frames(tmp_path / "vids/run", ["a.png", "b.png"])  # frames beside the box file
    write_lines(tmp_path / "vids/run/groundtruth.txt", XYWH[:2], " ")
    videos = load_video_folder(str(tmp_path / "vids"))
    assert [v["video"] for v in videos] == ["run", "walk"]
    check_video(videos[1], 3)
    check_video(videos[0], 2)
    register_video_folder("_test_video_folder", str(tmp_path / "vids"))
    assert len(DatasetCatalog.get("_test_video_folder")) == 2

    write_frames(tmp_path / "imgs", ["x.jpg"])
    coco = {"images": [{"id": 1, "file_name": "x.jpg", "height": 48, "width": 64}],
            "annotations": [{"id": 1, "image_id": 1, "bbox": [10, 8, 20, 16], "area": 320,
                             "iscrowd": 0, "category_id": 1}],
            "categories": [{"id": 1, "name": "thing"}]}
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    register_image_coco("_test_image_coco", str(tmp_path / "coco.json"), str(tmp_path / "imgs"))
    cfg = add_siamtrack_config(get_cfg())
    cfg.DATASETS.TRAIN = ("_test_video_folder", "_test_image_coco")
    cfg.DATASETS.SIAM.FRAME_RANGE = [2, 1]
    cfg.SOLVER.IMS_PER_BATCH = 4
    cfg.DATALOADER.NUM_WORKERS = 0
    batch = next(iter(build_pair_train_loader(cfg)))
    assert len(batch) == 4 and all(b["search"].shape == (3, 255, 255) for b in batch)


def test_layout_errors_name_the_folder(tmp_path):
    with pytest.raises(DatasetLayoutError, match=str(tmp_path / "nope")):
        load_trackingnet(str(tmp_path / "nope"))
    (tmp_path / "empty_tn").mkdir()
    with pytest.raises(DatasetLayoutError, match="TRAIN_<k>"):
        load_trackingnet(str(tmp_path / "empty_tn"))
    seq = tmp_path / "seqs" / "s1"
    write_frames(seq, ["1.jpg"])
    with pytest.raises(DatasetLayoutError, match=r"s1 has no groundtruth.txt"):
        load_video_folder(str(tmp_path / "seqs"))
    with pytest.raises(DatasetLayoutError, match=r"Annotations"):
        write_frames(tmp_path / "vid/Data/VID/train/a", ["000000.JPEG"])
        load_imagenet_vid(str(tmp_path / "vid"))


def _unregister(names):
    for name in names:
        if name in DatasetCatalog.list():
            DatasetCatalog.remove(name)
            MetadataCatalog.remove(name)


def test_registration_is_lazy(tmp_path):
    root = tmp_path / "not_there"
    builtin = ["got10k_train", "got10k_val_pairs", "lasot_train", "imagenet_vid_train",
               "youtube_bb_train", "trackingnet_train"]
    _unregister(builtin)
    try:
        register_all_siam_datasets(str(root))  # must not touch the disk
        assert not root.exists()
        with pytest.raises(DatasetLayoutError, match=str(root / "GOT-10k" / "train")):
            DatasetCatalog.get("got10k_train")
        with pytest.raises(DatasetLayoutError, match=str(root / "LaSOT")):
            DatasetCatalog.get("lasot_train")
        assert set(builtin + ["synthetic_pairs_train", "synthetic_videos_test",
                              "coco_2017_train"]) <= set(DatasetCatalog.list())
    finally:
        _unregister(builtin)
        register_all_siam_datasets(os.getenv("DETECTRON2_DATASETS", "datasets"))


def test_frame_range_pairs():
    tracks = [(0, np.arange(100, 120), np.zeros((20, 4)))]
    rng = np.random.default_rng(0)
    gaps = []
    for _ in range(2000):
        (_, ft, _), (_, fs, _) = positive_frames(tracks, 3, rng)
        gaps.append(fs - ft)
    assert set(gaps) == {-3, -2, -1, 0, 1, 2, 3}


def test_index_pool_mixing_and_num_use():
    pool = VideoIndexPool([10, 5, 4], [100, 20, -1], seed=3)
    assert len(pool) == 124
    first = [pool[p] for p in range(len(pool))]
    counts = np.bincount([k for k, _ in first], minlength=3)
    np.testing.assert_array_equal(counts, [100, 20, 4])  # one block = the pick lists
    per_video = np.bincount([i for k, i in first if k == 0], minlength=10)
    assert per_video.min() >= 10 and per_video.max() <= 11  # repeated evenly until NUM_USE
    later = [pool[p][0] for p in range(124, 124 * 21)]
    np.testing.assert_allclose(np.bincount(later) / len(later), [100 / 124, 20 / 124, 4 / 124])
    assert [pool[p] for p in range(124, 248)] != first  # each block reshuffled
    assert [VideoIndexPool([10, 5, 4], [100, 20, -1], seed=3)[p] for p in range(50)] == first[:50]
    with pytest.raises(ValueError, match="NUM_USE"):
        VideoIndexPool([10], [1, 2], seed=0)


def test_negative_candidates_pick_datasets_uniformly():
    from siamtrack.data.pairs import PairRequestDataset

    a, b, c = ({"video": n, "tracks": {}} for n in "abc")
    ds = PairRequestDataset([[a], [b, c]], [1, 1], [-1, -1], seed=0, mapper=None)
    rng = np.random.default_rng(0)
    assert all(ds.negative_candidate(0, 0, rng) is not a for _ in range(200))
    picks = [ds.negative_candidate(1, 0, rng)["video"] for _ in range(4000)]
    assert "b" not in picks and abs(picks.count("a") / 4000 - 0.5) < 0.04  # not size-weighted
