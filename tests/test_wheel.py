"""siamtrack as a user installs it: a wheel built from this checkout, installed into a fresh
virtual environment, run through its console scripts from a folder outside the repository.

The environment reuses the test interpreter's torch, detectron2 and the rest: its
site-packages gets a ``.pth`` line naming the test interpreter's site-packages (a venv's
``--system-site-packages`` would give the *base* interpreter's, which lack them when the tests
run from a venv). Only plain directories are added that way (``.pth`` files there are not
run), so an editable siamtrack installed in the test environment stays invisible: the wheel's
copy is the only siamtrack the commands can import, which the test checks.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from conftest import REPO_ROOT

# What `pip wheel` needs from the checkout (setup.py names the rest); copied so that the
# build's build/ and *.egg-info folders land in a temporary folder, not in the checkout.
BUILD_INPUTS = ("setup.py", "README.md", "LICENSE", "siamtrack", "siamtrack_cli", "configs")
FRAMES = 20  # tracked by siamtrack-track
EVAL_FRAMES = 10  # the length of the sequence siamtrack-eval runs on
BOX_TOL = 0.01  # px, as tests/test_tracker_reference.py against pysot's boxes


def _run(command, cwd, env, timeout=120):
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{command} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from a copy of the checkout's build inputs."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(out), str(source)], cwd=source, env=os.environ.copy())
    (path,) = out.glob("siamtrack-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """``(bin folder, environment variables)`` of a fresh venv with the wheel installed."""
    root = tmp_path_factory.mktemp("env")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    venv.EnvBuilder(with_pip=False).create(root / "venv")
    python = root / "venv" / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=root, env={"PATH": os.environ.get("PATH", "")}).strip()
    parents = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "test_interpreter_packages.pth").write_text("\n".join(sorted(parents)) + "\n")
    # --ignore-installed: a siamtrack visible through the .pth (an editable one) is not touched
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--ignore-installed", str(wheel)], cwd=root, env=env)
    env["PATH"] = f"{root / 'venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return root / "venv" / "bin", env


def test_wheel_ships_the_configs_and_the_commands(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    repo_configs = {p.relative_to(REPO_ROOT / "configs").as_posix() for p in (REPO_ROOT / "configs").rglob("*.yaml")}
    assert repo_configs and {f"siamtrack/configs/{c}" for c in repo_configs} <= names
    assert "siamtrack_cli/__init__.py" in names and "siamtrack_cli/track.py" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    for command in ("track", "train", "eval", "convert", "benchmark", "export"):
        assert f"siamtrack-{command} = siamtrack_cli." in scripts


def test_wheel_holds_the_library_only(wheel):
    """The development tools (the GPU check, the lost-signal study, the README rows) stay in the
    checkout's tools/: nothing of them is in the wheel."""
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("siamtrack/evaluation/speed/") for n in names)
    moved = [n for n in names if n.startswith(("siamtrack_dev/", "tools/", "tests/", "siamtrack/engine/gpu_check/"))
             or n.endswith(("/lost_signal.py", "/gpu_check.py", "/benchmark_rows.py"))]
    assert not moved, moved
    code = "".join(zipfile.ZipFile(wheel).read(n).decode() for n in names if n.endswith(".py"))
    assert "def markdown_rows" not in code and "def run_gpu_check" not in code


def _bag_frames(video, count):
    capture = cv2.VideoCapture(str(video))
    frames = []
    for _ in range(count):
        ok, frame = capture.read()
        assert ok
        frames.append(frame)
    capture.release()
    return frames


def _write_otb_sequence(root, frames, boxes):
    """One OTB-layout sequence ``bag``: img/0001.jpg ... and groundtruth_rect.txt."""
    (root / "bag" / "img").mkdir(parents=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(root / "bag" / "img" / f"{i + 1:04d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
    (root / "bag" / "groundtruth_rect.txt").write_text("".join(",".join(f"{v:.2f}" for v in b) + "\n" for b in boxes))


def test_installed_commands_convert_track_and_evaluate_from_another_folder(installed, reference_dir, bag_video,
                                                                           tmp_path):
    bin_dir, env = installed
    work = tmp_path / "elsewhere"  # no repository file on sys.path or in the working folder
    work.mkdir()
    where = _run([str(bin_dir / "python"), "-c", "import siamtrack, siamtrack_cli; "
                  "print(siamtrack.__file__); print(siamtrack_cli.__file__); "
                  "print(siamtrack.model_zoo.get_config_file('siamrpn_alex_dwxcorr'))"], cwd=work, env=env)
    assert len(where.split()) == 3 and all(str(bin_dir.parent) in line for line in where.split()), where
    assert where.split()[2].endswith("siamtrack/configs/pysot/siamrpn_alex_dwxcorr.yaml")  # the wheel's copy

    # 1. convert pysot's AlexNet checkpoint without --config-file: the hint names a packaged config
    pysot = reference_dir / "pysot_siamrpn_alex_dwxcorr"
    out = _run([str(bin_dir / "siamtrack-convert"), str(pysot / "weights.pth"), "alex.pth"], cwd=work, env=env)
    assert "--config-file pysot/siamrpn_alex_dwxcorr.yaml" in out, out
    config = out.split("--config-file ", 1)[1].split()[0]

    # 2. track FRAMES frames of bag.avi with that config name: pysot's boxes
    track = json.loads((pysot / "track.json").read_text())
    init = ",".join(str(v) for v in track["init_box"])
    log = _run([str(bin_dir / "siamtrack-track"), "--config-file", config, "--video", str(bag_video),
          "--init-box", init, "--max-frames", str(FRAMES), "--output-boxes", "boxes.txt", "--no-progress",
          "MODEL.WEIGHTS", "alex.pth", "MODEL.DEVICE", "cpu"], cwd=work, env=env)
    assert "MODEL.DEVICE defaults to" not in log  # the device was given: no fallback to report
    boxes = np.loadtxt(work / "boxes.txt", delimiter=",")
    assert boxes.shape == (FRAMES, 4)
    np.testing.assert_allclose(boxes, np.array(track["boxes"][:FRAMES]), rtol=0, atol=BOX_TOL)

    # 3. evaluate the same tracker on an OTB-layout folder whose ground truth is pysot's boxes
    _write_otb_sequence(work / "otb", _bag_frames(bag_video, EVAL_FRAMES), track["boxes"][:EVAL_FRAMES])
    log = _run([str(bin_dir / "siamtrack-eval"), "--config-file", config, "--dataset", "OTB100",
          "--dataset-root", "otb", "--output", "results", "--output-json", "scores.json", "--no-progress",
          "MODEL.WEIGHTS", "alex.pth"], cwd=work, env=env)
    if not torch.cuda.is_available():  # no MODEL.DEVICE given: the device rule's one info line
        assert log.count("CUDA is not available: MODEL.DEVICE defaults to cpu") == 1, log
    scores = json.loads((work / "scores.json").read_text())
    (tracker,) = scores
    assert len((work / "results" / "OTB100" / tracker / "bag.txt").read_text().splitlines()) == EVAL_FRAMES
    assert scores[tracker]["success_auc"] > 0.7  # JPEG frames: close to, not exactly, pysot's boxes
