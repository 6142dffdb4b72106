"""tools/train_net.py refuses bad input in the launching process: one line, exit status 2."""
import subprocess
import sys

import pytest

from conftest import REPO_ROOT


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["--config-file", "configs/missing.yaml"], "config file not found"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "NO.SUCH_KEY", "1"], "NO.SUCH_KEY"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "DATASETS.TRAIN", "('nope_train',)"], "nope_train"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "SOLVER.SIAM.ITERS_PER_EPOCH", "0"],
         "ITERS_PER_EPOCH must be positive"),
        # a benchmark alias is accepted, and its missing folder is reported before training
        (["--config-file", "configs/quickstart_synthetic.yaml", "DATASETS.TEST", "('OTB100',)",
          "TEST.SIAM.DATASET_ROOTS", "['/nonexistent_otb']"], "/nonexistent_otb does not exist"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "SOLVER.IMS_PER_BATCH", "0"],
         "SOLVER.IMS_PER_BATCH 0 must be a positive multiple"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "--num-gpus", "2", "SOLVER.IMS_PER_BATCH", "3"],
         "multiple of the 2 training process(es)"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "MODEL.DEVICE", "cpu", "SOLVER.AMP.ENABLED", "True"],
         "SOLVER.AMP.ENABLED needs MODEL.DEVICE cuda"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "MODEL.DEVICE", "foo"], "device 'foo'"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "MODEL.WEIGHTS", "/nonexistent.pth"],
         "MODEL.WEIGHTS /nonexistent.pth does not exist"),
        (["--config-file", "configs/quickstart_synthetic.yaml", "--eval-only", "MODEL.WEIGHTS", "/nonexistent.pth"],
         "MODEL.WEIGHTS /nonexistent.pth does not exist"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(arguments, expected):
    result = subprocess.run(
        [sys.executable, "tools/train_net.py", *arguments], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and expected in error_lines[0]


def test_resume_with_a_missing_last_checkpoint_says_which(tmp_path):
    (tmp_path / "last_checkpoint").write_text("model_0000099.pth")
    result = subprocess.run(
        [sys.executable, "tools/train_net.py", "--config-file", "configs/quickstart_synthetic.yaml", "--resume",
         "OUTPUT_DIR", str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("train_net.py: error: --resume: the last checkpoint") and "model_0000099.pth" in lines[0]


def test_unreadable_weights_are_one_line_from_the_trainer(tmp_path):
    """Random bytes as MODEL.WEIGHTS: found only when the trainer loads them, still one line."""
    weights = tmp_path / "random.pth"
    weights.write_bytes(bytes(range(256)) * 4)
    result = subprocess.run(
        [sys.executable, "tools/train_net.py", "--config-file", "configs/quickstart_synthetic.yaml",
         "MODEL.WEIGHTS", str(weights), "OUTPUT_DIR", str(tmp_path / "out"), "DATALOADER.NUM_WORKERS", "0"],
        cwd=REPO_ROOT, capture_output=True, text=True)
    lines = [line for line in result.stderr.splitlines() if line.startswith("train_net.py")]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert len(lines) == 1 and f"cannot load MODEL.WEIGHTS {weights}" in lines[0], result.stderr[-2000:]


def test_eval_only_reports_tracking_metrics(tmp_path):
    result = subprocess.run(
        [sys.executable, "tools/train_net.py", "--config-file", "configs/quickstart_synthetic.yaml", "--eval-only",
         "DATASETS.TEST", "('synthetic_videos_test',)", "DATASETS.SIAM.SYNTHETIC_NUM_TEST", "1",
         "OUTPUT_DIR", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    log = (tmp_path / "log.txt").read_text()
    assert "Evaluation results for synthetic_videos_test" in log
    assert "success_auc,precision_20px,norm_precision_0.2" in log
    assert len(list((tmp_path / "inference" / "results").rglob("*.txt"))) == 1  # one sequence tracked
