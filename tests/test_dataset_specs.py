"""Own data without code: ``"<layout>:<path>"`` names in DATASETS.TRAIN / DATASETS.TEST and
``eval_tracker.py --dataset``, resolved in every process (two CPU training processes), and the
commands of datasets/README.md."""
import json
import os
import re
import shlex
import subprocess
import sys

import cv2
import numpy as np
import pytest

from _integrations_common import generated_sequences, write_jpegs
from conftest import REPO_ROOT

from siamtrack.data.build import dataset_dicts, get_pair_dataset_dicts
from siamtrack.data.datasets import (LAYOUTS, DatasetLayoutError, load_got10k, load_video_folder,
                                     parse_dataset_spec, register_dataset_spec)
from siamtrack.data.datasets.specs import layout_of

README = REPO_ROOT / "datasets" / "README.md"
LAYOUT_LIST = ", ".join(LAYOUTS)


def write_videos(root, count=2, frames=10):
    """A ``videos`` folder: <seq>/img/0001.jpg ... and groundtruth.txt."""
    for name, images, boxes in generated_sequences(count, frames):
        write_jpegs(os.path.join(root, name, "img"), images, "%04d.jpg")
        np.savetxt(os.path.join(root, name, "groundtruth.txt"), boxes, fmt="%d", delimiter=",")


def test_spec_names_and_one_line_errors(tmp_path):
    assert parse_dataset_spec("videos:/data/x") == ("videos", "/data/x")
    assert parse_dataset_spec("GOT10K:rel/dir") == ("got10k", "rel/dir")
    assert parse_dataset_spec("coco_2017_train") is None and parse_dataset_spec("otb100") is None
    assert register_dataset_spec("coco_2017_train") is False
    with pytest.raises(DatasetLayoutError, match=f"unknown dataset layout 'movies'.*layouts: {LAYOUT_LIST}$"):
        register_dataset_spec(f"movies:{tmp_path}")
    with pytest.raises(DatasetLayoutError, match=f"folder {tmp_path / 'nope'} does not exist.*layouts: {LAYOUT_LIST}"):
        register_dataset_spec(f"videos:{tmp_path / 'nope'}")
    assert set(LAYOUTS) >= {"videos", "coco", "got10k", "lasot", "vid", "ytbb", "trackingnet", "otb", "vot"}


def test_videos_and_got10k_folders_give_the_registered_loaders_dicts(tmp_path):
    write_videos(str(tmp_path / "mine"))
    name = f"videos:{tmp_path / 'mine'}"
    dicts = dataset_dicts(name)  # registers on first use
    expected = load_video_folder(str(tmp_path / "mine"))
    assert [d["video"] for d in dicts] == ["seq0", "seq1"] == [d["video"] for d in expected]
    for got, want in zip(dicts, expected):
        assert list(got["tracks"][0]["frames"]) == list(want["tracks"][0]["frames"])
        np.testing.assert_array_equal(got["tracks"][0]["boxes"], want["tracks"][0]["boxes"])
    assert register_dataset_spec(name) is True  # idempotent
    split = tmp_path / "GOT" / "val"
    for seq, images, boxes in generated_sequences(1, 4):
        write_jpegs(str(split / seq), images, "%08d.jpg")
        np.savetxt(str(split / seq / "groundtruth.txt"), boxes, fmt="%d", delimiter=",")
    (got,) = dataset_dicts(f"got10k:{split}")
    (want,) = load_got10k(str(tmp_path / "GOT"), "val")
    assert got["frame_format"] == want["frame_format"] and list(got["tracks"][0]["frames"]) == [1, 2, 3, 4]


def test_vot_polygons_train_as_their_bounding_boxes(tmp_path):
    (tmp_path / "vot" / "s" / "color").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "vot" / "s" / "color" / "00000001.jpg"), np.zeros((50, 60, 3), np.uint8))
    (tmp_path / "vot" / "s" / "groundtruth.txt").write_text("10,10,10,30,40,30,40,10\n")
    (video,) = dataset_dicts(f"vot:{tmp_path / 'vot'}")
    assert video["tracks"][0]["boxes"].tolist() == [[10, 10, 40, 30]]


def test_coco_folder(tmp_path):
    (tmp_path / "imgs" / "images").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "imgs" / "images" / "a.jpg"), np.zeros((40, 50, 3), np.uint8))
    (tmp_path / "imgs" / "annotations.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "height": 40, "width": 50}],
        "annotations": [{"id": 1, "image_id": 1, "bbox": [5, 5, 10, 12], "category_id": 1, "iscrowd": 0, "area": 120},
                        {"id": 2, "image_id": 1, "bbox": [1, 1, 4, 4], "category_id": 1, "iscrowd": 1, "area": 16}],
        "categories": [{"id": 1, "name": "thing"}]}))
    (dicts,) = get_pair_dataset_dicts([f"coco:{tmp_path / 'imgs'}"])
    assert len(dicts) == 1 and dicts[0]["file_name"] == str(tmp_path / "imgs" / "images" / "a.jpg")
    with pytest.raises(DatasetLayoutError, match="has no annotations.json"):
        dataset_dicts(f"coco:{tmp_path / 'imgs' / 'images'}")


def test_eval_tracker_videos_folder(tmp_path, capsys):
    from siamtrack_cli import eval as eval_cli

    write_videos(str(tmp_path / "mine"), frames=4)
    res = tmp_path / "res" / "trk"
    res.mkdir(parents=True)
    for name in ("seq0", "seq1"):
        (res / f"{name}.txt").write_text((tmp_path / "mine" / name / "groundtruth.txt").read_text())
    for dataset in (["--dataset", "videos", "--dataset-root", str(tmp_path / "mine")],
                    ["--dataset", f"videos:{tmp_path / 'mine'}"]):
        assert eval_cli.main(dataset + ["--results", str(res), "--output-json", str(tmp_path / "s.json")]) == 0
        assert json.loads((tmp_path / "s.json").read_text())["trk"]["success_auc"] > 0.9
    assert eval_cli.main(["--dataset", "videos", "--results", str(res)]) == 2
    assert "'videos:DIR' or with --dataset-root DIR" in capsys.readouterr().err


@pytest.mark.parametrize("entry, expected", [
    ("movies:/tmp", "unknown dataset layout 'movies'"),
    ("videos:/nonexistent_folder", "folder /nonexistent_folder does not exist")])
def test_train_net_bad_spec_is_one_line_listing_the_layouts(entry, expected):
    result = subprocess.run([sys.executable, "tools/train_net.py", "--config-file", "configs/quickstart_synthetic.yaml",
                             "DATASETS.TRAIN", f"('{entry}',)"], cwd=REPO_ROOT, capture_output=True, text=True)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert len(lines) == 1 and expected in lines[0] and LAYOUT_LIST in lines[0]


def readme_commands():
    """The ``python tools/...`` command lines of datasets/README.md's bash blocks, continuation
    lines joined, as argument lists."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("python tools/"):
                commands.append(shlex.split(line))
    return commands


def test_readme_commands_parse_and_name_every_layout():
    from siamtrack.config import load_config
    from siamtrack.evaluation.benchmarks.layouts import layout_benchmark_source
    from siamtrack_cli import eval as eval_cli
    from siamtrack_cli import train as train_cli

    named = set()
    for argv in readme_commands():
        tool, args = argv[1], argv[2:]
        if tool == "tools/train_net.py":
            parsed = train_cli.build_parser().parse_args(args)
            cfg = load_config(str(REPO_ROOT / parsed.config_file), parsed.opts)
            entries = list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST)
        elif tool == "tools/eval_tracker.py":
            parsed = eval_cli.build_parser().parse_args(args)
            assert (REPO_ROOT / parsed.config_file).is_file()
            layout, _, _ = layout_benchmark_source(parsed.dataset, parsed.dataset_root, is_benchmark=False)
            entries = [f"{layout}:x"]
        else:
            continue
        for entry in entries:
            if entry.startswith("synthetic"):
                continue
            spec = parse_dataset_spec(entry)
            assert spec is not None, (argv, entry)
            named.add(layout_of(spec[0]).name)
    assert named == set(LAYOUTS)  # every layout has a command


def test_readme_own_videos_commands_end_to_end_with_two_processes(tmp_path):
    """The README's two commands, run as written in a folder holding datasets/my_videos (and
    the checkout's configs/ and tools/), with overrides appended for a 2-iteration schedule.
    Training runs in two CPU processes (GLOO): each worker resolves 'videos:...' itself."""
    commands = readme_commands()
    train = next(c for c in commands if "--num-gpus" in c and '("videos:datasets/my_videos",)' in c)
    evaluate = next(c for c in commands if c[1] == "tools/eval_tracker.py" and "datasets/my_videos" in c)
    for name in ("configs", "tools"):
        os.symlink(REPO_ROOT / name, tmp_path / name)
    write_videos(str(tmp_path / "datasets" / "my_videos"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    short = ["SOLVER.IMS_PER_BATCH", "4", "SOLVER.SIAM.EPOCHS", "2", "SOLVER.SIAM.ITERS_PER_EPOCH", "1",
             "SOLVER.SIAM.WARMUP_EPOCHS", "1", "DATALOADER.NUM_WORKERS", "0",
             "DATASETS.TEST", "('videos:datasets/my_videos',)"]
    result = subprocess.run([sys.executable] + train[1:] + short, cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    log = (tmp_path / "output" / "my_videos" / "log.txt").read_text()
    assert "process 0 of 2" in log and (tmp_path / "output" / "my_videos" / "log.txt.rank1").is_file()
    assert "Pair dataset videos:datasets/my_videos: 2 of 2 videos/images usable" in log
    assert "Evaluation results for videos:datasets/my_videos" in log  # DATASETS.TEST, in training
    assert (tmp_path / "output" / "my_videos" / "model_final.pth").is_file()
    result = subprocess.run([sys.executable] + evaluate[1:], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| my_videos_model_final |" in result.stdout
    assert (tmp_path / "output" / "results" / "videos-my_videos" / "my_videos_model_final" / "fingerprint.json").is_file()
