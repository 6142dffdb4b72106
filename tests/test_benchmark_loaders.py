"""Each benchmark loader on a small generated folder in its layout, plus error cases."""
import json

import numpy as np
import pytest

from siamtrack.evaluation.benchmarks import BenchmarkError, canonical_name, load_benchmark


def touch_frames(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(b"")


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


BOXES = "1,2,3,4\n5,6,7,8\n9,10,11,12\n"


def test_aliases():
    assert canonical_name("otb") == "OTB100"
    assert canonical_name("vot18") == "VOT2018"
    assert canonical_name("got10k_val") == "GOT-10k-val"
    with pytest.raises(BenchmarkError, match="unknown benchmark"):
        canonical_name("nope")


def test_otb_layout_and_two_target_videos(tmp_path):
    touch_frames(tmp_path / "Basketball" / "img", ["0001.jpg", "0002.jpg", "0003.jpg"])
    write(tmp_path / "Basketball" / "groundtruth_rect.txt", "1\t2\t3\t4\n5 6 7 8\n9,10,11,12\n")
    touch_frames(tmp_path / "Jogging" / "img", ["0001.jpg", "0002.jpg", "0003.jpg"])
    write(tmp_path / "Jogging" / "groundtruth_rect.1.txt", BOXES)
    write(tmp_path / "Jogging" / "groundtruth_rect.2.txt", BOXES)
    bench = load_benchmark("OTB100", str(tmp_path), need_frames=True)
    assert bench.names == ["Basketball", "Jogging-1", "Jogging-2"]
    seq = bench["Basketball"]
    assert seq.frames[-1].endswith("0003.jpg") and seq.gt[1].tolist() == [5, 6, 7, 8]


def test_pysot_json_preferred(tmp_path):
    meta = {"Car": {"video_dir": "Car", "init_rect": [1, 2, 3, 4], "img_names": ["Car/img/0001.jpg"],
                    "gt_rect": [[1, 2, 3, 4]], "attr": ["IV", "OCC"]}}
    write(tmp_path / "OTB100.json", json.dumps(meta))
    bench = load_benchmark("otb", str(tmp_path))
    assert bench.names == ["Car"] and bench["Car"].attributes == ("IV", "OCC")
    assert bench["Car"].frames == [str(tmp_path / "Car/img/0001.jpg")]


def test_uav123_split_sequence_and_attributes(tmp_path):
    touch_frames(tmp_path / "data_seq/UAV123/bird1", [f"{i:06d}.jpg" for i in range(1, 780)])
    write(tmp_path / "anno/UAV123/bird1_2.txt", "1,2,3,4\nNaN,NaN,NaN,NaN\n5,6,7,8\n")
    write(tmp_path / "anno/UAV123/att/bird1_2.txt", "1,0,0,0,0,0,0,0,0,0,0,1\n")
    seq = load_benchmark("uav", str(tmp_path), need_frames=True)["bird1_2"]
    assert [f[-10:] for f in seq.frames] == ["000775.jpg", "000776.jpg", "000777.jpg"]
    assert np.isnan(seq.gt[1]).all()
    assert seq.attributes == ("Scale Variation", "Similar Object")


def test_lasot_absent_frames(tmp_path):
    seq_dir = tmp_path / "airplane" / "airplane-1"
    touch_frames(seq_dir / "img", ["00000001.jpg", "00000002.jpg", "00000003.jpg"])
    write(seq_dir / "groundtruth.txt", BOXES)
    write(seq_dir / "full_occlusion.txt", "0,1,0")
    write(seq_dir / "out_of_view.txt", "0,0,1")
    seq = load_benchmark("lasot", str(tmp_path), need_frames=True)["airplane-1"]
    assert seq.visible.tolist() == [True, False, False]


def test_got10k_val_and_test_first_box_only(tmp_path):
    for split, gt in (("val", BOXES), ("test", "1,2,3,4\n")):
        seq_dir = tmp_path / split / f"GOT-10k_{split}_000001"
        touch_frames(seq_dir, ["00000001.jpg", "00000002.jpg", "00000003.jpg"])
        write(seq_dir / "groundtruth.txt", gt)
        write(tmp_path / split / "list.txt", f"GOT-10k_{split}_000001\n")
    write(tmp_path / "val" / "GOT-10k_val_000001" / "absence.label", "0\n1\n0\n")
    val = load_benchmark("GOT-10k-val", str(tmp_path), need_frames=True)
    assert val.sequences[0].tags["absence"].tolist() == [0, 1, 0]
    test = load_benchmark("got10k", str(tmp_path), need_frames=True)
    assert not test.has_full_gt and test.sequences[0].gt.shape == (1, 4)
    assert test.sequences[0].n_frames == 3 and test.results_layout == "got10k"


def test_nfs_240fps_annotation_subsampled(tmp_path):
    touch_frames(tmp_path / "bee" / "30" / "bee", [f"{i:05d}.jpg" for i in range(1, 4)])
    lines = "".join(f'1 {i} {i} {i + 10} {i + 20} {i} 0 0 0 "bee"\n' for i in range(24))
    write(tmp_path / "bee" / "30" / "bee.txt", lines)
    seq = load_benchmark("nfs", str(tmp_path), need_frames=True)["bee"]
    assert seq.gt.tolist() == [[0, 0, 10, 20], [8, 8, 10, 20], [16, 16, 10, 20]]


def test_trackingnet_numeric_frame_order(tmp_path):
    touch_frames(tmp_path / "TEST" / "frames" / "abc", [f"{i}.jpg" for i in range(12)])
    write(tmp_path / "TEST" / "anno" / "abc.txt", "1,2,3,4\n")
    seq = load_benchmark("TrackingNet", str(tmp_path), need_frames=True)["abc"]
    assert [f.rsplit("/", 1)[1] for f in seq.frames[:3]] == ["0.jpg", "1.jpg", "2.jpg"]
    assert seq.frames[-1].endswith("/11.jpg")


def test_vot_polygons_rectangles_and_tags(tmp_path):
    touch_frames(tmp_path / "ants" / "color", ["00000001.jpg", "00000002.jpg"])
    write(tmp_path / "ants" / "groundtruth.txt", "10,0,20,10,10,20,0,10\n1,1,2,1,2,2,1,2\n")
    write(tmp_path / "ants" / "occlusion.tag", "0\n1\n")
    touch_frames(tmp_path / "bag", ["00000001.jpg", "00000002.jpg"])
    write(tmp_path / "bag" / "groundtruth.txt", "10,10,20,20\n10,10,20,20\n")
    write(tmp_path / "list.txt", "ants\nbag\n")
    bench = load_benchmark("VOT2018", str(tmp_path), need_frames=True)
    assert bench.protocol == "vot"
    assert bench["ants"].tags["occlusion"].tolist() == [False, True]
    assert bench["bag"].gt[0].tolist() == [10, 10, 10, 29, 29, 29, 29, 10]


def test_errors_are_clear(tmp_path):
    with pytest.raises(BenchmarkError, match="does not exist"):
        load_benchmark("otb", str(tmp_path / "missing"))
    with pytest.raises(BenchmarkError, match="no OTB sequences"):
        load_benchmark("otb", str(tmp_path))
    write(tmp_path / "A" / "groundtruth_rect.txt", "1,2,3\n")
    with pytest.raises(BenchmarkError, match="expected 4 numbers"):
        load_benchmark("otb", str(tmp_path))
    write(tmp_path / "A" / "groundtruth_rect.txt", BOXES)
    load_benchmark("otb", str(tmp_path))  # scoring needs no frames
    with pytest.raises(BenchmarkError, match="no frames"):
        load_benchmark("otb", str(tmp_path), need_frames=True)
    touch_frames(tmp_path / "A" / "img", ["0001.jpg"])
    with pytest.raises(BenchmarkError, match="1 frames but 3 ground-truth rows"):
        load_benchmark("otb", str(tmp_path), need_frames=True)
    with pytest.raises(BenchmarkError, match="missing anno/UAV123"):
        load_benchmark("uav123", str(tmp_path))


def test_catalog_registration_is_lazy(tmp_path, monkeypatch):
    from detectron2.data import DatasetCatalog, MetadataCatalog

    import siamtrack.evaluation  # noqa: F401  (registers the benchmarks)

    assert MetadataCatalog.get("vot2018").benchmark == "VOT2018"
    monkeypatch.setenv("DETECTRON2_DATASETS", str(tmp_path))
    write(tmp_path / "OTB100" / "Car" / "groundtruth_rect.txt", BOXES)
    dicts = DatasetCatalog.get("otb100")
    assert dicts[0]["sequence"] == "Car" and dicts[0]["gt"].shape == (3, 4)
