"""train_net.py's log is short and true: the merged config in config.yaml (not in the log, no
ANSI colour), the schedule stated once, the console line with ``lr`` and ``lr_backbone``.

One run of 2 iterations of the quickstart model. Before this change ~570 lines (the environment,
the config file, the whole merged config in colour, the model's layers) preceded the first
iteration; now about ten do.
"""
import subprocess
import sys

import pytest
import yaml

from conftest import REPO_ROOT

MAX_LINES_BEFORE_TRAINING = 12


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("logs")
    result = subprocess.run(
        [sys.executable, "tools/train_net.py", "--config-file", "configs/quickstart_synthetic.yaml",
         "SOLVER.MAX_ITER", "2", "SOLVER.IMS_PER_BATCH", "2", "DATALOADER.NUM_WORKERS", "0",
         "DATASETS.SIAM.SYNTHETIC_NUM_TRAIN", "4", "OUTPUT_DIR", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result.stdout + result.stderr, (out / "log.txt").read_text()


def _before_training(text):
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "Starting training from iteration 0" in line)
    return lines[:start]


def test_few_lines_before_the_first_iteration(run):
    _, console, log = run
    for text in (console, log):
        before = _before_training(text)
        assert len(before) <= MAX_LINES_BEFORE_TRAINING, "\n".join(before)
        assert "\x1b[" not in text  # no ANSI colour codes
    assert not any("SiamRPN(" in line or "Environment info" in line for line in log.splitlines())


def test_merged_config_is_written_to_config_yaml(run):
    out, _, log = run
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["SOLVER"]["MAX_ITER"] == 2 and config["SOLVER"]["IMS_PER_BATCH"] == 2  # overrides
    assert config["MODEL"]["SIAM_ALEXNET"]["WIDTH_MULT"] == 0.25  # the config file
    assert config["TRACK"]["EXEMPLAR_SIZE"] == 127  # a default
    assert sum(f"saved to {out}/config.yaml" in line for line in log.splitlines()) == 1
    assert "SiamRPN(" in (out / "model.txt").read_text()  # the layers, out of the log


def test_schedule_is_stated_once_and_consistently(run):
    _, _, log = run
    lines = [line for line in log.splitlines() if "iterations" in line and "Overall training speed" not in line]
    assert len(lines) == 1, lines
    assert ("Schedule: 6 epochs x 50 iterations = 300 iterations of 2 pairs; training stops early, "
            "after 2 (SOLVER.MAX_ITER)") in lines[0]
    assert "videos per epoch" not in log


def test_console_shows_both_learning_rates(run):
    _, console, _ = run
    progress = [line for line in console.splitlines() if " iter: 1 " in line]
    assert len(progress) == 1 and "lr: 0.005  lr_backbone: 0.005" in progress[0], progress
