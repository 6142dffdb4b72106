"""siamtrack-track (tools/track_video.py): bad input (exit 2, one line, no traceback), odd frames,
outputs, partial files; siamtrack-benchmark's bad input."""
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from detectron2.config import get_cfg
from detectron2.modeling import build_model

from siamtrack import add_siamtrack_config
from siamtrack_cli import benchmark, track
from siamtrack_cli.common import INTERRUPTED

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOL = REPO_ROOT / "tools" / "track_video.py"
ALEX = str(REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml")
BOX = "40,30,50,40"


@pytest.fixture(scope="module")
def tool():
    return track


def synthetic_frames(count, size=(120, 160), seed=0):
    """A bright square drifting over noise, BGR uint8."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(count):
        frame = rng.integers(0, 60, (*size, 3), dtype=np.uint8)
        frame[30 + i:70 + i, 40 + 2 * i:90 + 2 * i] = (40, 200, 230)
        frames.append(frame)
    return frames


def write_folder(folder, frames):
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):  # natural sort: frame2 before frame10
        cv2.imwrite(str(folder / f"frame{i}.png"), frame)
    return folder


def run_tool(tool, capsys, *args, opts=()):
    status = tool.main(["--no-progress", *map(str, args), "MODEL.DEVICE", "cpu", *map(str, opts)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(status, err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("clip") / "frames", synthetic_frames(4))


@pytest.mark.parametrize("case", ["missing", "unreadable", "empty_folder", "empty_video", "outside", "zero",
                                  "negative", "malformed", "malformed_words", "device", "gt_malformed"])
def test_bad_input_exits_2_with_one_line(tool, capsys, tmp_path, folder, case):
    video, box, extra = folder, BOX, []
    if case == "missing":
        video = tmp_path / "nope.mp4"
    elif case == "unreadable":
        video = tmp_path / "text.mp4"
        video.write_text("not a video\n")
    elif case == "empty_folder":
        video = tmp_path / "empty"
        video.mkdir()
    elif case == "empty_video":
        video = tmp_path / "empty.avi"
        writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
        writer.release()
        if not video.exists():
            video.write_bytes(b"")
    box = {"outside": "500,20,30,30", "zero": "10,10,0,20", "negative": "10,10,20,-5",
           "malformed": "10,10,20", "malformed_words": "a,b,c,d"}.get(case, box)
    if case == "device":
        extra = ["MODEL.DEVICE", "tpu:7"]
    args = ["--config-file", ALEX, "--video", video, "--init-box", box]
    if case == "gt_malformed":
        gt = tmp_path / "gt.txt"
        gt.write_text("1,2,3\n")
        args = ["--config-file", ALEX, "--video", video, "--gt-file", gt]
    status = tool.main([*map(str, args), "--no-progress", *extra])
    assert_one_line_error(status, capsys.readouterr().err)


def test_weights_of_another_architecture(tool, capsys, tmp_path, folder):
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    cfg.merge_from_file(ALEX)
    cfg.MODEL.DEVICE = "cpu"
    weights = tmp_path / "alex.pth"
    torch.save({"model": build_model(cfg).state_dict()}, weights)
    r50 = REPO_ROOT / "configs" / "siamrpnpp_r50.yaml"
    status, _, err = run_tool(tool, capsys, "--config-file", r50, "--video", folder, "--init-box", BOX,
                              opts=["MODEL.WEIGHTS", weights])
    assert_one_line_error(status, err)
    assert "architecture" in err


def test_odd_frames_and_json_csv_outputs(tool, capsys, tmp_path, caplog):
    """Grey, BGRA and differently sized frames are tracked; json/csv carry ids and scores; without
    MODEL.WEIGHTS the user is warned that the model is untrained."""
    build_logger = logging.getLogger("siamtrack.tracking.build")
    build_logger.addHandler(caplog.handler)  # independent of the logger's propagation setting
    frames = synthetic_frames(4)
    frames[1] = cv2.cvtColor(frames[1], cv2.COLOR_BGR2GRAY)
    frames[2] = cv2.cvtColor(frames[2], cv2.COLOR_BGR2BGRA)
    frames[3] = cv2.resize(frames[3], (200, 150))
    video = write_folder(tmp_path / "odd", frames)
    out_json, out_csv, out_mp4 = tmp_path / "b.json", tmp_path / "b.csv", tmp_path / "v.mp4"
    status, _, err = run_tool(tool, capsys, "--config-file", ALEX, "--video", video, "--init-box", BOX,
                              "--init-box", "100,60,30,30", "--output-boxes", out_json, "--output", out_mp4)
    build_logger.removeHandler(caplog.handler)
    assert status == 0, err
    assert any("untrained" in r.getMessage() and "README" in r.getMessage() for r in caplog.records)
    doc = json.loads(out_json.read_text())
    assert doc["targets"] == [0, 1] and [f["frame"] for f in doc["frames"]] == [0, 1, 2, 3]
    assert doc["frames"][0]["targets"][0] == {"id": 0, "bbox": [40.0, 30.0, 50.0, 40.0], "score": None}
    assert all(0 <= t["score"] <= 1 for f in doc["frames"][1:] for t in f["targets"])
    capture = cv2.VideoCapture(str(out_mp4))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    capture.release()
    status, _, err = run_tool(tool, capsys, "--config-file", ALEX, "--video", video, "--init-box", BOX,
                              "--output-boxes", out_csv)
    assert status == 0, err
    rows = out_csv.read_text().splitlines()
    assert rows[0] == "frame,target_id,x,y,w,h,score" and len(rows) == 5
    assert rows[1] == "0,0,40.0,30.0,50.0,40.0," and rows[4].startswith("3,0,")


def test_bad_frame_keeps_partial_output(tool, capsys, tmp_path):
    video = write_folder(tmp_path / "broken", synthetic_frames(5))
    (video / "frame3.png").write_bytes(b"garbage")
    out = tmp_path / "boxes.txt"
    out.write_text("stale result of an earlier run\n")
    status, _, err = run_tool(tool, capsys, "--config-file", ALEX, "--video", video, "--init-box", BOX,
                              "--output-boxes", out)
    assert_one_line_error(status, err)
    assert "frame 3" in err and "boxes.txt.partial" in err
    assert not out.exists()  # never mistaken for a finished file
    lines = (tmp_path / "boxes.txt.partial").read_text().splitlines()
    assert len(lines) == 3 and lines[0] == "40.0,30.0,50.0,40.0"


def test_interrupt_keeps_partial_output(tool, capsys, tmp_path, folder, monkeypatch):
    from siamtrack.tracking import SiamTracker

    calls = {"n": 0}
    original = SiamTracker.track_targets

    def interrupted(self, frame):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, frame)

    monkeypatch.setattr(SiamTracker, "track_targets", interrupted)
    out = tmp_path / "boxes.json"
    status, _, err = run_tool(tool, capsys, "--config-file", ALEX, "--video", folder, "--init-box", BOX,
                              "--output-boxes", out)
    assert status == INTERRUPTED and "interrupted after 3 frames" in err
    assert not out.exists()
    lines = (tmp_path / "boxes.json.partial").read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[3].lstrip(","))["frame"] == 2


def test_subprocess_exit_status(tmp_path):
    """The real process: exit status 2 and a single stderr line, no traceback."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    bad = subprocess.run([sys.executable, str(TOOL), "--config-file", ALEX, "--video", str(tmp_path / "x.avi"),
                          "--init-box", BOX], capture_output=True, text=True, env=env, cwd=REPO_ROOT)
    assert_one_line_error(bad.returncode, bad.stderr)
    assert "video not found" in bad.stderr


def test_benchmark_tool_bad_input_exits_2_with_one_line(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["--targets", "0"], ["--config-file", str(tmp_path / "none.yaml")],
                 ["--video", str(tmp_path / "absent.mp4")], ["--video", str(empty)],  # an empty video looped forever
                 ["MODEL.NO_SUCH_KEY", "1"]):
        status = benchmark.main(["--config-file", ALEX, "--device", "cpu", "--frames", "1", "--warmup", "0", *args])
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 2, args
        assert len(err) == 1 and err[0].startswith("siamtrack-benchmark: error: "), (args, err)


@pytest.mark.parametrize("case", ["directory", "parent_is_a_file"])
def test_unwritable_output_boxes_exit_2_with_one_line(tool, capsys, tmp_path, folder, case):
    if case == "directory":
        out = tmp_path / "boxes.txt"
        out.mkdir()
    else:
        (tmp_path / "plain").write_text("a file\n")
        out = tmp_path / "plain" / "boxes.txt"
    status, _, err = run_tool(tool, capsys, "--config-file", ALEX, "--video", folder, "--init-box", BOX,
                              "--output-boxes", out)
    assert_one_line_error(status, err)
    assert "cannot write" in err and "boxes.txt" in err
