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
from siamtrack.utils.video_io import VideoSourceError
from siamtrack_cli import benchmark, track
from siamtrack_cli.common import INTERRUPTED

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOL = REPO_ROOT / "tools" / "track_video.py"
ALEX = str(REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml")
QUICK = str(REPO_ROOT / "configs" / "quickstart_synthetic.yaml")  # a tiny network: fast on long videos
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


def video_frames(path):
    """(frame count read back, (width, height)) of a video file."""
    capture = cv2.VideoCapture(str(path))
    count, size = 0, None
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        count, size = count + 1, (frame.shape[1], frame.shape[0])
    capture.release()
    return count, size


def assert_one_line_error(status, err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("clip") / "frames", synthetic_frames(4))


BAD_INPUT = {  # case: what the one line must say
    "missing": "video not found", "unreadable": "cannot read video", "empty_folder": "", "empty_video": "",
    "outside": "outside", "zero": "zero or negative size", "negative": "zero or negative size",
    "malformed": "malformed box", "malformed_words": "malformed box", "device": "tpu", "gt_malformed": "first line",
    "huge": "larger than 3 times the longer side of the 160x120 frame",  # 14.7: was a 24 GB allocation
    "overflow": "larger than 3 times",  # 9.8: was OverflowError
    "instance_size_0": "TRACK.INSTANCE_SIZE must be an integer at least TRACK.EXEMPLAR_SIZE",  # was a conv error
    "weights_text": "are not a PyTorch checkpoint (text file)",  # 14.8: was "cannot read weights ...: 101"
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
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
           "malformed": "10,10,20", "malformed_words": "a,b,c,d", "huge": "0,0,20000,20000",
           "overflow": "40,30,1e308,40"}.get(case, box)
    if case == "device":
        extra = ["MODEL.DEVICE", "tpu:7"]
    elif case == "instance_size_0":
        extra = ["TRACK.INSTANCE_SIZE", "0"]
    elif case == "weights_text":
        weights = tmp_path / "weights.pth"
        weights.write_text("e = 1\n")
        extra = ["MODEL.WEIGHTS", str(weights)]
    out = ["--output-boxes", tmp_path / "out.csv"]
    args = ["--config-file", ALEX, "--video", video, "--init-box", box, *out]
    if case == "gt_malformed":
        gt = tmp_path / "gt.txt"
        gt.write_text("1,2,3\n")
        args = ["--config-file", ALEX, "--video", video, "--gt-file", gt, *out]
    status = tool.main([*map(str, args), "--no-progress", *extra])
    err = capsys.readouterr().err
    assert_one_line_error(status, err)
    assert BAD_INPUT[case] in err


def test_crop_size_limit_holds_in_the_library():
    """API users get the limits too: SiamRPNTracker.init refuses a huge box before any crop, and
    the crop functions refuse an oversized (or infinite) window before allocating it."""
    from siamtrack.structures.crop import MAX_WINDOW_TO_FRAME, CropSizeError, crop_window, opencv_crops
    from siamtrack.tracking import build_tracker
    from siamtrack.tracking.video_job import load_tracking_config

    frame = synthetic_frames(1)[0]
    tracker = build_tracker(load_tracking_config(ALEX, ["MODEL.DEVICE", "cpu"]))
    with pytest.raises(CropSizeError, match="larger than 3 times"):
        tracker.init(frame, [0, 0, 20000, 20000])
    with pytest.raises(CropSizeError, match="larger than 3 times"):
        tracker.init(frame, [[40, 30, 50, 40], [0, 0, 481, 10]])  # 3 x 160 = 480
    assert tracker.init(frame, [0, 0, 480, 360]) == 0  # at the limit: tracked
    limit = MAX_WINDOW_TO_FRAME * 160
    assert crop_window(frame, (80, 60), 8, limit, (0, 0, 0)).shape == (8, 8, 3)
    for side in (limit + 1, float("inf"), float("nan")):
        with pytest.raises(CropSizeError, match="crop window"):
            crop_window(frame, (80, 60), 8, side, (0, 0, 0))
        with pytest.raises(CropSizeError):
            opencv_crops(frame, [((80, 60), 10, (0, 0, 0)), ((80, 60), side, (0, 0, 0))], 8, "cpu")


def test_negative_init_box_value_is_accepted(tool, capsys, tmp_path, folder):
    """argparse takes "-20,140,..." for an option; the command accepts it as the box's value."""
    out = tmp_path / "boxes.txt"
    status, _, err = run_tool(tool, capsys, "--config-file", QUICK, "--video", folder, "--init-box", "-20,30,50,40",
                              "--output-boxes", out, "--max-frames", 2)
    assert status == 0, err
    assert out.read_text().splitlines()[0] == "-20.0,30.0,50.0,40.0"


def test_truncated_video_is_reported_and_keeps_partial_results(tool, capsys, tmp_path, bag_video):
    """14.4: the first 100 KB of bag.avi (its header announces 196 frames) stops after 13
    frames with one line and status 2; what was tracked stays in the .partial files."""
    video = tmp_path / "cut.avi"
    video.write_bytes(bag_video.read_bytes()[:100_000])
    out, movie = tmp_path / "boxes.txt", tmp_path / "out.avi"
    status, _, err = run_tool(tool, capsys, "--config-file", QUICK, "--video", video, "--init-box", "315,140,113,115",
                              "--output-boxes", out, "--output", movie)
    assert_one_line_error(status, err)
    assert "ends after 13 frames but its header announces 196: the file is truncated or damaged" in err
    assert "stopped after 13 frames" in err and "boxes.txt.partial" in err and "out.partial.avi" in err
    assert not out.exists() and not movie.exists()
    assert len((tmp_path / "boxes.txt.partial").read_text().splitlines()) == 13
    assert video_frames(tmp_path / "out.partial.avi") == (13, (480, 360))


def test_full_video_is_not_reported_truncated(tmp_path):
    """The tolerance: a video may end 1% (at least 1 frame) short of its announced count."""
    from siamtrack.utils.video_io import VideoFileSource, count_tolerance

    assert [count_tolerance(n) for n in (5, 100, 196, 1000)] == [1, 1, 2, 10]
    path = tmp_path / "ok.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    for frame in synthetic_frames(6, size=(24, 32)):
        writer.write(frame)
    writer.release()
    with VideoFileSource(path) as source:
        assert source.frame_count == 6 and len(list(source)) == 6
    with VideoFileSource(path) as source:
        source.frame_count = 7  # one frame short of the header: tolerated
        assert len(list(source)) == 6
        source.frame_count = 8
        with pytest.raises(VideoSourceError, match="ends after 6 frames but its header announces 8"):
            source.read()


def test_weights_of_another_architecture(tool, capsys, tmp_path, folder):
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    cfg.merge_from_file(ALEX)
    cfg.MODEL.DEVICE = "cpu"
    weights = tmp_path / "alex.pth"
    torch.save({"model": build_model(cfg).state_dict()}, weights)
    r50 = REPO_ROOT / "configs" / "siamrpnpp_r50.yaml"
    status, _, err = run_tool(tool, capsys, "--config-file", r50, "--video", folder, "--init-box", BOX,
                              "--output-boxes", tmp_path / "out.csv", opts=["MODEL.WEIGHTS", weights])
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
    assert doc["frames"][0]["targets"][0] == {"id": 0, "bbox": [40.0, 30.0, 50.0, 40.0], "score": None,
                                              "lost": False}
    assert all(0 <= t["score"] <= 1 for f in doc["frames"][1:] for t in f["targets"])
    capture = cv2.VideoCapture(str(out_mp4))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    capture.release()
    status, _, err = run_tool(tool, capsys, "--config-file", ALEX, "--video", video, "--init-box", BOX,
                              "--output-boxes", out_csv)
    assert status == 0, err
    rows = out_csv.read_text().splitlines()
    assert rows[0] == "frame,target_id,x,y,w,h,score,lost" and len(rows) == 5
    assert rows[1] == "0,0,40.0,30.0,50.0,40.0,,0" and rows[4].startswith("3,0,")


def test_bad_frame_keeps_partial_output(tool, capsys, tmp_path):
    video = write_folder(tmp_path / "broken", synthetic_frames(5))
    (video / "frame3.png").write_bytes(b"garbage")
    out = tmp_path / "boxes.txt"
    out.write_text("stale result of an earlier run\n")
    status, _, err = run_tool(tool, capsys, "--config-file", ALEX, "--video", video, "--init-box", BOX,
                              "--output-boxes", out)
    assert_one_line_error(status, err)
    assert "frame 3" in err and "boxes.txt.partial" in err
    assert out.read_text() == "stale result of an earlier run\n"  # 20.5: the finished file stays
    lines = (tmp_path / "boxes.txt.partial").read_text().splitlines()
    assert len(lines) == 3 and lines[0] == "40.0,30.0,50.0,40.0"


def test_interrupt_keeps_partial_output(tool, capsys, tmp_path, folder, monkeypatch):
    from siamtrack.tracking import SiamRPNTracker

    calls = {"n": 0}
    original = SiamRPNTracker.track_targets

    def interrupted(self, frame):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, frame)

    monkeypatch.setattr(SiamRPNTracker, "track_targets", interrupted)
    out = tmp_path / "boxes.json"
    status, _, err = run_tool(tool, capsys, "--config-file", ALEX, "--video", folder, "--init-box", BOX,
                              "--output-boxes", out)
    assert status == INTERRUPTED and err.startswith("siamtrack-track: interrupted: stopped after 3 frames")
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


UNWRITABLE = {  # case: the end of the one line (the user's path, never a temporary name)
    "directory": "cannot write --output-boxes {out}: it is a folder",
    "parent_is_a_file": "cannot write --output-boxes {out}: {tmp}/plain is not a folder",
    "full_disk": "cannot write {out}: No space left on device; stopped after 0 frames, partial results kept in: "
                 "no partial files",
    "video_directory": "cannot write --output {out}: it is a folder",
    "sysfs": "cannot write /sys/boxes.txt: Permission denied",  # sysfs refuses new files even to root
}


@pytest.mark.parametrize("case", list(UNWRITABLE))
def test_unwritable_outputs_exit_2_with_one_line(tool, capsys, tmp_path, folder, case):
    """9.8 / 14.8; a read-only folder is tested in test_cli_paths.py (it needs a mount namespace)."""
    option, out = "--output-boxes", tmp_path / "boxes.txt"
    if case in ("directory", "video_directory"):
        out = tmp_path / ("boxes.txt" if case == "directory" else "out.mp4")
        out.mkdir()
        option = "--output-boxes" if case == "directory" else "--output"
    elif case == "parent_is_a_file":
        (tmp_path / "plain").write_text("a file\n")
        out = tmp_path / "plain" / "boxes.txt"
    elif case == "full_disk":
        out.symlink_to("/dev/full")  # a device is written directly: every write fails with ENOSPC
    elif case == "sysfs":
        out = Path("/sys/boxes.txt")
    status, _, err = run_tool(tool, capsys, "--config-file", QUICK, "--video", folder, "--init-box", BOX, option, out)
    assert_one_line_error(status, err)
    assert err.strip().endswith(UNWRITABLE[case].format(out=out, tmp=tmp_path)), err
    assert ".tmp" not in err and "OpenCV" not in err
    assert Path("/dev/full").is_char_device()


def test_device_output_is_written_directly(tool, capsys, tmp_path, folder):
    """An existing non-regular output (/dev/stdout, a FIFO, a link to one) gets the boxes
    directly: no .partial beside it, no rename onto it."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    status, _, err = run_tool(tool, capsys, "--config-file", QUICK, "--video", folder, "--init-box", BOX,
                              "--output-boxes", fifo)
    text = reader.communicate(timeout=30)[0]
    assert status == 0, err
    assert text.splitlines()[0] == "frame,target_id,x,y,w,h,score,lost" and len(text.splitlines()) == 5
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["pipe.csv"]


@pytest.mark.parametrize("case", ["video", "gt_file", "gt_partial", "hardlink", "weights", "twice"])
def test_output_that_is_an_input_is_refused(tool, capsys, tmp_path, case):
    """14.1: --output onto the video, --output-boxes onto the ground truth (or its .partial
    name, or a hard link to it), onto MODEL.WEIGHTS, or one output twice: refused before
    anything is touched."""
    video = tmp_path / "in.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for frame in synthetic_frames(3):
        writer.write(frame)
    writer.release()
    gt = tmp_path / "gt.txt"
    gt.write_text("40,30,50,40\n")
    weights = tmp_path / "w.json"
    weights.write_text("{}")
    args = ["--config-file", QUICK, "--video", video]
    if case == "video":
        args += ["--init-box", BOX, "--output", video]
    elif case == "gt_file":
        args += ["--gt-file", gt, "--output-boxes", gt]
    elif case == "gt_partial":
        gt = gt.rename(tmp_path / "out.txt.partial")
        args += ["--gt-file", gt, "--output-boxes", tmp_path / "out.txt"]
    elif case == "hardlink":
        os.link(gt, tmp_path / "linked.txt")
        args += ["--gt-file", gt, "--output-boxes", tmp_path / "linked.txt"]
    elif case == "weights":
        args += ["--init-box", BOX, "--output-boxes", weights]
    else:
        args += ["--init-box", BOX, "--output-boxes", tmp_path / "a.csv", "--output-boxes", tmp_path / "a.csv"]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    status, _, err = run_tool(tool, capsys, *args, opts=["MODEL.WEIGHTS", weights] if case == "weights" else [])
    assert_one_line_error(status, err)
    assert ("given twice" if case == "twice" else "refusing to overwrite an input") in err, err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_outputs_honour_the_umask(tool, capsys, tmp_path, folder):
    """14.8: box files and videos, finished or partial, get 0o666 less the umask (not mkstemp's 0o600)."""
    old = os.umask(0o027)
    try:
        outs = [tmp_path / "b.txt", tmp_path / "b.csv", tmp_path / "b.json"]
        args = [a for out in outs for a in ("--output-boxes", out)] + ["--output", tmp_path / "v.avi"]
        status, _, err = run_tool(tool, capsys, "--config-file", QUICK, "--video", folder, "--init-box", BOX, *args)
        assert status == 0, err
        broken = write_folder(tmp_path / "broken", synthetic_frames(3))
        (broken / "frame2.png").write_bytes(b"garbage")
        status, _, err = run_tool(tool, capsys, "--config-file", QUICK, "--video", broken, "--init-box", BOX,
                                  "--output-boxes", tmp_path / "p.txt", "--output", tmp_path / "p.mp4")
        assert status == 2, err
    finally:
        os.umask(old)
    written = outs + [tmp_path / "v.avi", tmp_path / "p.txt.partial", tmp_path / "p.partial.mp4"]
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in written} == {p.name: "0o640" for p in written}
