"""One reader per dataset layout (siamtrack.data.sequences): training and evaluation read a
GOT-10k / LaSOT / TrackingNet folder through it and see the same frames, boxes and flags."""
import cv2
import numpy as np
import pytest

from siamtrack.data.datasets import DatasetLayoutError, load_got10k, load_lasot, load_trackingnet
from siamtrack.data.datasets.video import frame_locator, sequence_video_dict
from siamtrack.data.sequences import VideoSequence, read_got10k, read_lasot, read_vot
from siamtrack.evaluation.benchmarks import BenchmarkError, load_benchmark

IMG = np.full((24, 32, 3), 90, np.uint8)
# x,y,w,h rows: a NaN row (no box) and a zero-size box, neither usable for training
GT = "1,2,10,12\n2,3,10,12\nNaN,NaN,NaN,NaN\n4,5,10,12\n0,0,0,0\n6,7,10,12\n"
N = 6


def frames(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        cv2.imwrite(str(folder / name), IMG)


def training_view(video):
    """``[(frame path, x, y, w, h)]`` of a training video dict's single track."""
    ((tid, track),) = video["tracks"].items()
    out = []
    for frame, (x1, y1, x2, y2) in zip(track["frames"], track["boxes"]):
        kind, path, _ = frame_locator(video, tid, frame)
        assert kind == "file"
        out.append((path, float(x1), float(y1), float(x2 - x1), float(y2 - y1)))
    return out


def evaluation_view(seq, skip):
    """The same list from a benchmark sequence, leaving out the frames in ``skip``."""
    return [(f, *map(float, box)) for i, (f, box) in enumerate(zip(seq.frames, seq.gt)) if i not in skip]


def test_got10k_same_frames_and_boxes_for_training_and_evaluation(tmp_path):
    seq_dir = tmp_path / "val" / "GOT-10k_Val_000001"
    frames(seq_dir, [f"{i:08d}.jpg" for i in range(1, N + 1)])
    (seq_dir / "groundtruth.txt").write_text(GT)
    (seq_dir / "absence.label").write_text("0\n0.5\n0\n0\n0\n0\n")  # 0.5: absent (flag > 0)
    (tmp_path / "val" / "list.txt").write_text("GOT-10k_Val_000001\n")

    (video,) = load_got10k(str(tmp_path), "val")
    bench = load_benchmark("GOT-10k-val", str(tmp_path), need_frames=True)
    (record,) = read_got10k(str(tmp_path), "val")
    seq = bench["GOT-10k_Val_000001"]
    assert seq.frames == record.frames and np.array_equal(seq.gt, record.gt, equal_nan=True)
    assert record.absent.tolist() == [False, True, False, False, False, False]
    # training keeps the frames that are present with a usable box: 1 (absent), 2 (NaN),
    # 4 (zero size) are dropped; the rest are the benchmark's frames and boxes exactly
    assert training_view(video) == evaluation_view(seq, skip={1, 2, 4})
    assert video["frame_format"].endswith("{frame:08d}.jpg")  # compact: ids, not paths
    assert list(video["tracks"][0]["frames"]) == [1, 4, 6]
    assert seq.tags["absence"].tolist() == [0, 0.5, 0, 0, 0, 0] and seq.visible is None


def test_lasot_same_frames_and_boxes_for_training_and_evaluation(tmp_path):
    seq_dir = tmp_path / "cat" / "cat-3"
    frames(seq_dir / "img", [f"{i:08d}.jpg" for i in range(1, N + 1)])
    (seq_dir / "groundtruth.txt").write_text(GT)
    (seq_dir / "full_occlusion.txt").write_text("0,0,0,0,0,1")
    (seq_dir / "out_of_view.txt").write_text("0,0.5,0,0,0,0")
    (tmp_path / "training_set.txt").write_text("cat-3\n")
    (tmp_path / "testing_set.txt").write_text("cat-3\n")

    (video,) = load_lasot(str(tmp_path), "train")
    seq = load_benchmark("lasot", str(tmp_path), need_frames=True)["cat-3"]
    assert seq.visible.tolist() == [True, False, True, True, True, False]
    assert training_view(video) == evaluation_view(seq, skip={1, 2, 4, 5})


def test_trackingnet_same_frames_for_training_and_evaluation(tmp_path):
    for split in ("TRAIN_0", "TEST"):
        frames(tmp_path / split / "frames" / "abc", [f"{i}.jpg" for i in range(12)])
        (tmp_path / split / "anno").mkdir(parents=True)
        (tmp_path / split / "anno" / "abc.txt").write_text("1,2,10,12\n" * 12)
    (video,) = load_trackingnet(str(tmp_path))
    seq = load_benchmark("trackingnet", str(tmp_path), need_frames=True)["abc"]
    train_frames = [p.replace("TRAIN_0", "TEST") for p, *_ in training_view(video)]
    assert train_frames == seq.frames and seq.frames[2].endswith("/2.jpg")


def test_frames_not_named_by_the_layout_are_kept_as_paths(tmp_path):
    seq_dir = tmp_path / "train" / "s"
    frames(seq_dir, ["f1.jpg", "f2.jpg", "f10.jpg"])  # natural order: f1, f2, f10
    (seq_dir / "groundtruth.txt").write_text("1,2,3,4\n5,6,7,8\n9,10,11,12\n")
    (video,) = load_got10k(str(tmp_path), "train")
    assert "frame_format" not in video
    assert [p for p, *_ in training_view(video)] == [str(seq_dir / n) for n in ["f1.jpg", "f2.jpg", "f10.jpg"]]


def test_more_boxes_than_frames_is_a_layout_error(tmp_path):
    seq_dir = tmp_path / "train" / "s"
    frames(seq_dir, ["00000001.jpg"])
    (seq_dir / "groundtruth.txt").write_text("1,2,3,4\n5,6,7,8\n")
    with pytest.raises(DatasetLayoutError, match=r"s has 2 boxes but 1 frames"):
        load_got10k(str(tmp_path), "train")
    seq = VideoSequence(name="x", frames=[], gt=np.zeros((1, 4)))
    with pytest.raises(DatasetLayoutError):
        sequence_video_dict(seq)


def test_malformed_ground_truth_is_one_line_error_in_both(tmp_path):
    seq_dir = tmp_path / "val" / "s"
    frames(seq_dir, ["00000001.jpg", "00000002.jpg"])
    (seq_dir / "groundtruth.txt").write_text("1,2,3,4\n5,6,seven,8\n")
    with pytest.raises(DatasetLayoutError, match=r"groundtruth.txt:2: not a list of numbers"):
        load_got10k(str(tmp_path), "val")
    with pytest.raises(BenchmarkError, match=r"groundtruth.txt:2: not a list of numbers"):
        load_benchmark("GOT-10k-val", str(tmp_path))


def test_vot_reader_keeps_regions_and_tags_as_stored(tmp_path):
    frames(tmp_path / "bag" / "color", ["00000001.jpg", "00000002.jpg", "00000003.jpg"])
    (tmp_path / "bag" / "groundtruth.txt").write_text("1,2,3,4\n1,2,3,4\n1,2,3,4\n")
    (tmp_path / "bag" / "occlusion.label").write_text("1\n\n1\n")
    (record,) = read_vot(str(tmp_path))
    assert record.gt.shape == (3, 4) and record.tags["occlusion"].tolist() == [True, False, True]
    assert load_benchmark("vot2018", str(tmp_path))["bag"].gt.shape == (3, 8)  # polygons for VOT


def test_lasot_reader_splits(tmp_path):
    for name in ("cat-1", "cat-2"):
        (tmp_path / "cat" / name).mkdir(parents=True)
        (tmp_path / "cat" / name / "groundtruth.txt").write_text("1,2,3,4\n")
    (tmp_path / "cat" / "not-a-sequence").mkdir()
    assert [s.name for s in read_lasot(str(tmp_path))] == ["cat-1", "cat-2"]
    with pytest.raises(DatasetLayoutError, match="testing_set.txt"):
        read_lasot(str(tmp_path), "test")
