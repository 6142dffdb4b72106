"""Ctrl-C and SIGTERM on the real processes (issue 14.5): one line on stderr, never a traceback,
status 130 (SIGINT) / 143 (SIGTERM), partial outputs complete and playable.

Signals are sent to real subprocesses; every wait is bounded. "During imports" is made
deterministic by waiting until the process has installed its SIGTERM handler (the command's
first act, before any heavy import: visible in ``/proc/<pid>/status``) and signalling it then,
while it imports torch and detectron2 (seconds).
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from test_track_video_cli import QUICK, video_frames

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tools"
pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")


def start(*args, cwd=REPO):
    env = dict(os.environ, PYTHONWARNINGS="ignore", PYTHONPATH=os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return subprocess.Popen([sys.executable, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=cwd)


def handles_sigterm(pid):
    """True once process ``pid`` catches SIGTERM (its SigCgt mask)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            caught = next(line for line in f if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) >> (signal.SIGTERM - 1) & 1)


def wait_for(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def finish(proc, timeout=60):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out, err


def assert_one_line(err, *parts):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    for part in parts:
        assert part in lines[0], err


def test_sigterm_keeps_complete_playable_partial_outputs(tmp_path, bag_video):
    out = tmp_path / "out"
    proc = start(TOOLS / "track_video.py", "--config-file", QUICK, "--video", bag_video, "--init-box",
                 "315,140,113,115", "--output", f"{out}.mp4", "--output-boxes", f"{out}.txt", "--no-progress",
                 "MODEL.DEVICE", "cpu")
    partial = tmp_path / "out.txt.partial"
    wait_for(lambda: partial.exists() and len(partial.read_text().splitlines()) >= 4 or proc.poll() is not None)
    proc.send_signal(signal.SIGTERM)
    status, _, err = finish(proc)
    assert status == 143
    assert_one_line(err, "track_video.py: terminated (SIGTERM): stopped after", "out.partial.mp4")
    done = int(err.split("stopped after ")[1].split()[0])
    assert 4 <= done < 196 and len(partial.read_text().splitlines()) == done
    assert video_frames(tmp_path / "out.partial.mp4") == (done, (480, 360))  # playable, every frame written
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "out.txt").exists()


def test_sigterm_during_evaluation_keeps_finished_sequences(tmp_path):
    import numpy as np

    root = tmp_path / "otb"
    for name, count in (("A", 4), ("B", 200)):  # signalled once A is done, while B runs
        (root / name / "img").mkdir(parents=True)
        rng = np.random.default_rng(0)
        for i in range(count):
            cv2.imwrite(str(root / name / "img" / f"{i + 1:04d}.jpg"), rng.integers(0, 255, (60, 80, 3), np.uint8))
        (root / name / "groundtruth_rect.txt").write_text("10,10,20,20\n" * count)
    results = tmp_path / "results"
    proc = start(TOOLS / "eval_tracker.py", "--config-file", QUICK, "--dataset", "otb", "--dataset-root", root,
                 "--output", results, "--no-progress", "MODEL.DEVICE", "cpu")
    wait_for(lambda: any(results.rglob("A.txt")) or proc.poll() is not None)
    proc.send_signal(signal.SIGTERM)
    status, _, err = finish(proc)
    assert status == 143 and "Traceback" not in err
    assert [line for line in err.splitlines() if line.strip()][-1].startswith("eval_tracker.py: terminated (SIGTERM)")
    finished = next(results.rglob("A.txt"))
    assert len(finished.read_text().splitlines()) == 4 and not any(results.rglob("B.txt"))


COMMANDS = {
    "track_video.py": ["--config-file", QUICK, "--video", "{video}", "--init-box", "10,10,20,20",
                       "--output-boxes", "{tmp}/boxes.csv"],
    "eval_tracker.py": ["--dataset", "otb", "--dataset-root", "{tmp}", "--results", "{tmp}"],
    "convert_pysot_weights.py": ["{video}", "{tmp}/out.pth"],
    "benchmark_tracker.py": ["--config-file", QUICK, "--video", "{video}", "--frames", "2"],
    "export_onnx.py": ["--config-file", QUICK, "--output", "{tmp}/export"],
    "train_net.py": ["--config-file", QUICK, "OUTPUT_DIR", "{tmp}/train"],
}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_imports_is_one_line(tmp_path, sig):
    """Every tool, signalled while it imports siamtrack: one line, status 128 + signal."""
    video = tmp_path / "clip.avi"
    video.write_bytes(b"x")  # never read: the signal comes first
    procs = {}
    for tool, args in COMMANDS.items():  # started together, checked one by one
        procs[tool] = start(TOOLS / tool, *[a.format(video=video, tmp=tmp_path) for a in args])
    for tool, proc in procs.items():
        wait_for(lambda: handles_sigterm(proc.pid) or proc.poll() is not None, timeout=30)
        assert proc.poll() is None, (tool, proc.communicate())
        proc.send_signal(sig)
    for tool, proc in procs.items():
        status, _, err = finish(proc)
        assert status == 128 + sig, (tool, status, err)
        what = "terminated (SIGTERM)" if sig == signal.SIGTERM else "interrupted"
        assert_one_line(err, f"{tool}: {what}")


def test_interrupts_deferred_hands_the_signal_over_after_the_block():
    """In-process: a SIGINT inside the block is raised as KeyboardInterrupt once it is left."""
    from siamtrack.utils.interrupts import interrupts_deferred

    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # Python would run the handler here
            steps.append("finished")
    assert steps == ["finished"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_interrupt_turned_into_another_error_is_still_an_interrupt(capsys):
    """Ctrl-C inside an import can reach the command as an ImportError (numpy wraps it, and
    siamtrack's detectron2 guard words it as a missing package): still one line and 130."""
    from siamtrack_cli.common import execute

    def import_interrupted():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("detectron2 is not installed") from None

    assert execute("tool", import_interrupted) == 130
    assert capsys.readouterr().err.strip() == "tool: interrupted"

    def a_bug():
        raise ValueError("a real bug")

    with pytest.raises(ValueError):  # without an interrupt behind it, an error keeps its traceback
        execute("tool", a_bug)
