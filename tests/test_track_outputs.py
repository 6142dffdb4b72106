"""siamtrack-track's outputs (issue 9.6): several box formats in one run, one .txt per target, the
``lost`` field, the annotated video's overlay, codec choice and odd frame sizes."""
import json

import cv2
import numpy as np
import pytest

from siamtrack.tracking.overlay import COLORS, INIT_COLOR, LOST_COLOR, TargetResult, draw_results
from siamtrack.tracking.video_job import read_init_box
from siamtrack.utils.video_encode import VideoEncodeError, can_encode, choose_codec
from test_track_video_cli import QUICK, run_tool, synthetic_frames, video_frames, write_folder

from siamtrack_cli import track


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("clip") / "frames", synthetic_frames(5))


def run(capsys, *args, opts=()):
    return run_tool(track, capsys, "--config-file", QUICK, *args, opts=opts)


def test_several_formats_and_one_txt_per_target(capsys, tmp_path, clip):
    out = tmp_path / "out"
    status, stdout, err = run(capsys, "--video", clip, "--init-box", "40,30,50,40", "--init-box", "100,60,30,30",
                              "--output-boxes", f"{out}.txt", "--output-boxes", f"{out}.csv",
                              "--output-boxes", f"{out}.json")
    assert status == 0, err
    assert not (tmp_path / "out.txt").exists()  # 8 numbers a line would read as one VOT polygon
    per_target = [(tmp_path / f"out.{tid}.txt").read_text().splitlines() for tid in (0, 1)]
    assert [len(lines) for lines in per_target] == [5, 5]
    assert all(len(line.split(",")) == 4 for lines in per_target for line in lines)
    assert per_target[1][0] == "100.0,60.0,30.0,30.0"
    assert read_init_box(tmp_path / "out.1.txt") == [100.5, 60.5, 30.0, 30.0]  # read back as a box
    rows = [row.split(",") for row in (tmp_path / "out.csv").read_text().splitlines()[1:]]
    doc = json.loads((tmp_path / "out.json").read_text())
    for tid in (0, 1):
        txt = [[float(v) for v in line.split(",")] for line in per_target[tid]]
        assert [[float(v) for v in row[2:6]] for row in rows if row[1] == str(tid)] == txt
        assert [t["bbox"] for f in doc["frames"] for t in f["targets"] if t["id"] == tid] == txt
    for name in ("out.0.txt", "out.1.txt", "out.csv", "out.json"):
        assert f"wrote {tmp_path / name}" in stdout


def test_lost_field_comes_from_the_tracker_results(capsys, tmp_path, clip, monkeypatch):
    """Trackers that report ``"lost"`` get it in csv (0/1) and json; without the key it is False."""
    from siamtrack.tracking import SiamRPNTracker

    original = SiamRPNTracker.track_targets
    frames = {"n": 0}

    def reporting_lost(self, frame):
        frames["n"] += 1
        results = original(self, frame)
        if frames["n"] == 2:  # frame 2: target 1 lost, target 0 without the key
            results[1] = dict(results[1], lost=True)
        return results

    monkeypatch.setattr(SiamRPNTracker, "track_targets", reporting_lost)
    status, _, err = run(capsys, "--video", clip, "--init-box", "40,30,50,40", "--init-box", "100,60,30,30",
                         "--output-boxes", tmp_path / "b.csv", "--output-boxes", tmp_path / "b.json")
    assert status == 0, err
    rows = [row.split(",") for row in (tmp_path / "b.csv").read_text().splitlines()[1:]]
    assert [(row[0], row[1]) for row in rows if row[7] == "1"] == [("2", "1")]
    assert all(row[7] in "01" for row in rows)
    lost = [(f["frame"], t["id"]) for f in json.loads((tmp_path / "b.json").read_text())["frames"]
            for t in f["targets"] if t["lost"]]
    assert lost == [(2, 1)]


def _filled(canvas, color):
    """Bounding box (x0, y0, x1, y1) of the pixels of exactly ``color``."""
    ys, xs = np.nonzero(np.all(canvas == np.array(color, np.uint8), axis=2))
    return xs.min(), ys.min(), xs.max(), ys.max()


def test_overlay_labels_are_filled_inside_the_frame_and_mark_init_and_lost():
    frame = np.full((120, 160, 3), 90, np.uint8)
    edge = TargetResult(0, [150, 0, 30, 20], 0.91)  # at the top-right corner: the label must move inside
    canvas = draw_results(frame, 7, [edge])
    x0, y0, x1, y1 = _filled(canvas, COLORS[0])
    (width, _), _ = cv2.getTextSize("#0 0.91", cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
    assert x1 <= 159 and y0 >= 0 and x1 - x0 >= width  # the whole label, on a filled background
    no_score = draw_results(frame, 7, [edge], show_score=False)
    assert _filled(no_score, COLORS[0])[2] - _filled(no_score, COLORS[0])[0] < x1 - x0
    assert not np.all(canvas == INIT_COLOR, axis=2).any()
    init = draw_results(frame, 0, [TargetResult(0, [40, 40, 30, 30], None)], init=True)
    assert np.all(init == INIT_COLOR, axis=2).sum() > 100  # "frame 0 init" on its own colour
    lost = draw_results(frame, 3, [TargetResult(2, [20, 60, 100, 40], 0.1, lost=True)])
    assert not np.all(lost == COLORS[2], axis=2).any()  # grey, not the target's colour
    bottom = np.all(lost[100, 20:121] == LOST_COLOR, axis=1)
    assert 0.3 < bottom.mean() < 0.8  # dashed: grey and gaps along the box's bottom edge


def test_codec_choice_follows_what_the_build_can_encode():
    """Both branches of "auto", with a stand-in for the build's encoders; and explicit codecs."""
    assert choose_codec("auto", ".mp4", probe=lambda codec, suffix: True) == "avc1"
    assert choose_codec("auto", ".MP4", probe=lambda codec, suffix: codec != "avc1") == "mp4v"
    assert choose_codec("auto", ".avi", probe=lambda codec, suffix: False) == "mjpg"
    with pytest.raises(VideoEncodeError, match="cannot encode H.264 \\(avc1\\) into .mp4"):
        choose_codec("avc1", ".mp4", probe=lambda codec, suffix: False)
    with pytest.raises(VideoEncodeError, match="mjpg writes .avi files only"):
        choose_codec("mjpg", ".mp4")
    with pytest.raises(VideoEncodeError, match="must end in"):
        choose_codec("auto", ".gif")


def _fourcc(path):
    """The sample entry of an MP4 file's video track (its codec as stored)."""
    data = path.read_bytes()
    found = [code for code in ("avc1", "mp4v") if code.encode() in data]
    assert len(found) == 1, found
    return found[0]


def test_auto_codec_is_what_this_opencv_encodes_and_is_said(capsys, tmp_path, clip):
    """On this OpenCV build: H.264 if it has an encoder (the opencv-python wheels have none),
    else mp4v; the summary says which, and the file holds it."""
    h264 = can_encode("avc1", ".mp4")
    out = tmp_path / "v.mp4"
    status, stdout, err = run(capsys, "--video", clip, "--init-box", "40,30,50,40", "--output", out)
    assert status == 0, err
    expected = "avc1" if h264 else "mp4v"
    assert _fourcc(out) == expected
    line = next(line for line in stdout.splitlines() if line.startswith(f"wrote {out}"))
    assert ("(H.264, avc1)" in line) if h264 else ("(MPEG-4 Part 2, mp4v: this OpenCV build has no H.264" in line)
    status, stdout, err = run(capsys, "--video", clip, "--init-box", "40,30,50,40", "--output", out, "--codec", "avc1")
    if h264:
        assert status == 0 and _fourcc(out) == "avc1"
    else:
        assert status == 2 and err.count("\n") == 1 and "cannot encode H.264 (avc1) into .mp4" in err


def test_odd_frame_sizes(capsys, tmp_path):
    """14.8: a 33x17 input gives a 33x17 .avi (OpenCV's own Motion JPEG writer); OpenCV's FFmpeg
    writer drops odd rows / columns, so an .mp4 is padded to 34x18 with black, and says so."""
    frames = [np.full((17, 33, 3), 60 + 20 * i, np.uint8) for i in range(3)]
    video = write_folder(tmp_path / "odd", frames)
    status, stdout, err = run(capsys, "--video", video, "--init-box", "5,4,10,8", "--output", tmp_path / "v.avi",
                              "--no-score")
    assert status == 0, err
    assert video_frames(tmp_path / "v.avi") == (3, (33, 17)) and "(Motion JPEG, mjpg)" in stdout
    status, stdout, err = run(capsys, "--video", video, "--init-box", "5,4,10,8", "--output", tmp_path / "v.mp4")
    assert status == 0, err
    assert "33x17 frames padded to 34x18" in stdout
    capture = cv2.VideoCapture(str(tmp_path / "v.mp4"))
    ok, first = capture.read()
    assert ok and first.shape == (18, 34, 3)
    assert first[:, 33].mean() < first[:17, 20:33].mean() - 20  # the padding column is black
