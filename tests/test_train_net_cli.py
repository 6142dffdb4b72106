"""tools/train_net.py refuses bad input in the launching process: one line, exit status 2."""
import ctypes
import os
import subprocess
import sys

import pytest
import torch

from conftest import REPO_ROOT

QUICKSTART = ["--config-file", "configs/quickstart_synthetic.yaml"]
TEST_SET = ["DATASETS.TEST", "('synthetic_videos_test',)", "DATASETS.SIAM.SYNTHETIC_NUM_TEST", "1"]


def _train_net(*arguments, **kwargs):
    return subprocess.run([sys.executable, "tools/train_net.py", *arguments], cwd=REPO_ROOT,
                          capture_output=True, text=True, **kwargs)


def _one_error_line(result):
    """The single ``train_net.py: error: ...`` line of a run that exited 2 without a traceback."""
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("train_net.py: error: "), result.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["--config-file", "configs/missing.yaml"], "config file not found"),
        (QUICKSTART + ["NO.SUCH_KEY", "1"], "NO.SUCH_KEY"),
        (QUICKSTART + ["DATASETS.TRAIN", "('nope_train',)"], "nope_train"),
        (QUICKSTART + ["SOLVER.SIAM.ITERS_PER_EPOCH", "0"], "ITERS_PER_EPOCH must be positive"),
        # MAX_ITER 0 means "the whole schedule" (the default); a negative count is refused
        (QUICKSTART + ["SOLVER.MAX_ITER", "-5"], "SOLVER.MAX_ITER -5 is negative"),
        # a benchmark alias is accepted, and its missing folder is reported before training
        (QUICKSTART + ["DATASETS.TEST", "('OTB100',)", "TEST.SIAM.DATASET_ROOTS", "['/nonexistent_otb']"],
         "/nonexistent_otb does not exist"),
        (QUICKSTART + ["SOLVER.IMS_PER_BATCH", "0"], "SOLVER.IMS_PER_BATCH 0 must be a positive multiple"),
        (QUICKSTART + ["--num-gpus", "2", "SOLVER.IMS_PER_BATCH", "3"], "multiple of the 2 training process(es)"),
        (QUICKSTART + ["MODEL.DEVICE", "cpu", "SOLVER.AMP.ENABLED", "True"], "SOLVER.AMP.ENABLED needs MODEL.DEVICE cuda"),
        (QUICKSTART + ["MODEL.DEVICE", "foo"], "device 'foo'"),
        (QUICKSTART + ["MODEL.WEIGHTS", "/nonexistent.pth"], "MODEL.WEIGHTS /nonexistent.pth does not exist"),
        (QUICKSTART + ["--eval-only", "MODEL.WEIGHTS", "/nonexistent.pth", *TEST_SET],
         "MODEL.WEIGHTS /nonexistent.pth does not exist"),
        (QUICKSTART + ["--eval-only"], "--eval-only has nothing to evaluate: DATASETS.TEST is empty"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(arguments, expected):
    assert expected in _one_error_line(_train_net(*arguments))


def _complete_checkpoint(path):
    torch.save({"model": {}, "iteration": 9}, path)


def test_resume_with_a_missing_last_checkpoint_names_an_earlier_one(tmp_path):
    _complete_checkpoint(tmp_path / "model_0000009.pth")
    (tmp_path / "last_checkpoint").write_text("model_0000099.pth")
    line = _one_error_line(_train_net(*QUICKSTART, "--resume", "OUTPUT_DIR", str(tmp_path)))
    assert line.startswith("train_net.py: error: --resume: the last checkpoint")
    assert f"{tmp_path}/model_0000099.pth" in line and "does not exist" in line
    assert f"echo model_0000009.pth > {tmp_path}/last_checkpoint" in line


def test_resume_with_a_truncated_last_checkpoint_names_the_newest_readable_one(tmp_path):
    for name in ("model_0000009.pth", "model_0000019.pth"):
        _complete_checkpoint(tmp_path / name)
    data = (tmp_path / "model_0000019.pth").read_bytes()
    (tmp_path / "model_0000029.pth").write_bytes(data[: len(data) // 2])  # cut, as by a full disk
    (tmp_path / "last_checkpoint").write_text("model_0000029.pth")
    line = _one_error_line(_train_net(*QUICKSTART, "--resume", "OUTPUT_DIR", str(tmp_path)))
    assert f"{tmp_path}/model_0000029.pth" in line and "is truncated" in line
    assert "the newest readable other checkpoint is model_0000019.pth" in line


def test_resume_with_no_readable_checkpoint_says_to_start_afresh(tmp_path):
    (tmp_path / "model_0000009.pth").write_bytes(b"")
    (tmp_path / "last_checkpoint").write_text("model_0000009.pth")
    line = _one_error_line(_train_net(*QUICKSTART, "--resume", "OUTPUT_DIR", str(tmp_path)))
    assert "model_0000009.pth" in line and "is empty" in line and "start without --resume" in line


def test_unreadable_weights_are_one_line(tmp_path):
    """Random bytes as MODEL.WEIGHTS, for training and for --eval-only."""
    weights = tmp_path / "random.pth"
    weights.write_bytes(bytes(range(256)) * 4)
    for extra in ([], ["--eval-only", *TEST_SET]):
        line = _one_error_line(_train_net(*QUICKSTART, *extra, "MODEL.WEIGHTS", str(weights),
                                          "OUTPUT_DIR", str(tmp_path / "out")))
        assert f"weights {weights} are not a PyTorch checkpoint" in line


@pytest.fixture(scope="module")
def other_width_weights(tmp_path_factory):
    """Weights of the quickstart model at twice its width: every convolution is mis-shaped."""
    from detectron2.modeling import build_model

    from siamtrack.config import load_config

    cfg = load_config(str(REPO_ROOT / "configs" / "quickstart_synthetic.yaml"),
                      ["MODEL.SIAM_ALEXNET.WIDTH_MULT", "0.5"])
    path = tmp_path_factory.mktemp("weights") / "wide.pth"
    torch.save({"model": build_model(cfg).state_dict()}, path)
    return path


def test_weights_of_another_width_are_refused_listing_the_mismatch(other_width_weights, tmp_path):
    for extra in ([], ["--eval-only", *TEST_SET]):
        line = _one_error_line(_train_net(*QUICKSTART, *extra, "MODEL.WEIGHTS", str(other_width_weights),
                                          "OUTPUT_DIR", str(tmp_path)))
        assert f"weights {other_width_weights} do not fit the model of this config" in line
        assert "mis-shaped (backbone.layer1.0.weight [48, 3, 11, 11] vs model [24, 3, 11, 11]" in line
        # the partial-load option is offered for training only
        assert ("MODEL.SIAM_PARTIAL_LOAD True" in line) == (not extra)


def test_partial_load_option_trains_from_the_fitting_tensors(other_width_weights, tmp_path):
    result = _train_net(*QUICKSTART, "MODEL.WEIGHTS", str(other_width_weights), "MODEL.SIAM_PARTIAL_LOAD", "True",
                        "SOLVER.MAX_ITER", "1", "SOLVER.IMS_PER_BATCH", "2", "DATALOADER.NUM_WORKERS", "0",
                        "DATASETS.SIAM.SYNTHETIC_NUM_TRAIN", "4", "OUTPUT_DIR", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    log = (tmp_path / "log.txt").read_text()
    warning = [line for line in log.splitlines() if "loaded in part (MODEL.SIAM_PARTIAL_LOAD)" in line]
    assert len(warning) == 1 and "mis-shaped" in warning[0]
    assert (tmp_path / "model_final.pth").is_file()


def test_output_dir_under_a_regular_file_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    line = _one_error_line(_train_net(*QUICKSTART, "OUTPUT_DIR", str(tmp_path / "file" / "out")))
    assert f"OUTPUT_DIR {tmp_path}/file/out: Not a directory" in line


def _without_root_write_override():
    """``subprocess`` keywords under which root cannot write into a read-only folder.

    root writes into folders whatever their mode (the capability CAP_DAC_OVERRIDE), so a
    read-only OUTPUT_DIR is tested by dropping that capability from the child's bounding set
    before it starts (``prctl(PR_CAPBSET_DROP)``; the child keeps uid 0 and can still read
    the Python installation under /root). Any other user needs nothing.
    """
    if os.geteuid() != 0:
        return {}
    libc = ctypes.CDLL(None, use_errno=True)

    def drop_dac_override():
        if libc.prctl(24, 1, 0, 0, 0) != 0:  # PR_CAPBSET_DROP, CAP_DAC_OVERRIDE
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE) failed")

    return {"preexec_fn": drop_dac_override}


def test_read_only_output_dir_is_one_line(tmp_path):
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = _one_error_line(_train_net(*QUICKSTART, "OUTPUT_DIR", str(folder), **_without_root_write_override()))
        assert f"OUTPUT_DIR {folder} is not writable" in line
        line = _one_error_line(_train_net(*QUICKSTART, "OUTPUT_DIR", str(folder / "run"),
                                          **_without_root_write_override()))
        assert f"OUTPUT_DIR {folder}/run: Permission denied" in line
    finally:
        folder.chmod(0o755)


def test_eval_only_reports_tracking_metrics(tmp_path):
    result = _train_net(*QUICKSTART, "--eval-only", *TEST_SET, "OUTPUT_DIR", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    log = (tmp_path / "log.txt").read_text()
    assert "Evaluation results for synthetic_videos_test" in log
    assert "success_auc,precision_20px,norm_precision_0.2" in log
    assert len(list((tmp_path / "inference" / "results").rglob("*.txt"))) == 1  # one sequence tracked
