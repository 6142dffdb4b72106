"""tools/gpu_check.py without a GPU: its CPU dry run on tiny sizes (the same code paths), its
report (statuses, exit status, JSON) and its one-line errors."""
import ast
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from detectron2.modeling import build_model

from conftest import REPO_ROOT
from siamtrack.config import load_config
from siamtrack.evaluation.speed import target_boxes
from siamtrack.evaluation.speed.io import synthetic_clip
from siamtrack.model_zoo import get_config_file
from siamtrack.tracking import build_tracker, prepare_model
from siamtrack_dev.gpu_check.accelerate import CompiledTrack, state_tensors
from siamtrack_dev.gpu_check.exactness import crop_note
from siamtrack_dev.gpu_check.plan import (BudgetSpent, Deadline, SharedData, full_plan, strict_float32,
                                          tiny_plan)
from siamtrack_dev.gpu_check.pytest_run import cuda_test_files, junit_outcomes, run_pytest, suite_dir
from siamtrack_dev.gpu_check.report import CheckLine, Report, judge
from siamtrack_dev.gpu_check.throughput import BaselineTracker, time_tracker, wrapper_deviation
from siamtrack_dev.gpu_check.training import make_batches, train_steps, training_config
from siamtrack_dev.gpu_check_cli import SECTIONS, main

STATUSES = {"PASS", "FAIL", "SKIP", "INFO", "ERROR"}
KINDS = {"exactness", "test", "goal", "info"}


@pytest.fixture(scope="module")
def dry_run(reference_dir, bag_video, tmp_path_factory):
    """``gpu_check.py --device cpu --tiny`` in a subprocess: exit status, output, JSON, table."""
    out = tmp_path_factory.mktemp("gpu_check")
    json_path, table_path = out / "check.json", out / "check.md"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")  # tiny models: one thread is faster on a busy machine
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "gpu_check.py"), "--device", "cpu", "--tiny",
         "--shared", str(bag_video.parents[1]), "--output-json", str(json_path), "--output-table", str(table_path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads(json_path.read_text()) if json_path.is_file() else None
    return proc, report, table_path


def lines_of(report, section=None, kind=None):
    return [line for line in report["lines"]
            if (section is None or line["section"] == section) and (kind is None or line["kind"] == kind)]


def test_dry_run_passes_and_writes_its_report(dry_run):
    proc, report, table_path = dry_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert report["format"] == "siamtrack-gpu-check" and report["tiny"] is True and report["device"] == "cpu"
    import cv2
    import numpy as np
    assert (report["opencv"], report["numpy"], report["torch"]) == (cv2.__version__, np.__version__, torch.__version__)
    assert set(report["sections"]) == set(SECTIONS)
    assert all(s["status"] == "done" for s in report["sections"].values()), report["sections"]
    assert report["exactness_ok"] is True
    for line in report["lines"]:
        assert line["status"] in STATUSES and line["kind"] in KINDS, line
        assert {"section", "name", "value", "unit", "bound", "note", "details", "detail"} <= set(line)
    assert sum(report["counts"].values()) == len(report["lines"])
    for section in SECTIONS:  # the printed table and the Markdown file show every section
        assert f"\n{section} " in proc.stdout
    assert table_path.read_text().startswith("| section")
    assert "speed: aggregate target-frames/s" in proc.stdout


def test_dry_run_exactness_lines_pass_on_cpu(dry_run):
    _, report, _ = dry_run
    exact = lines_of(report, "exactness", "exactness")
    names = [line["name"] for line in exact]
    assert len(exact) == 5, names  # raw maps of 3 models, the reference trajectory, the crops
    assert all(line["status"] == "PASS" for line in exact), exact
    raw = [line for line in exact if "raw maps" in line["name"]]
    assert len(raw) == 3 and all(line["value"] <= 1e-4 for line in raw)
    crops = [line for line in exact if "torch_crops" in line["name"]]
    assert crops[0]["value"] == 0 and crops[0]["details"]["compared_values"] > 0
    half = [line for line in lines_of(report, "exactness") if "half precision" in line["name"]]
    assert len(half) == 3 and all(line["status"] == "SKIP" and "CUDA" in line["note"] for line in half)


def test_dry_run_cuda_only_lines_skip_with_their_reason(dry_run):
    _, report, _ = dry_run
    (tests,) = lines_of(report, "pytest")
    assert tests["status"] == "SKIP" and tests["details"]["counts"]["skipped"] >= 6
    assert tests["details"]["counts"]["failed"] == 0 and "test_cuda.py" in tests["details"]["files"]
    training = {line["name"]: line for line in lines_of(report, "training")}
    rate = next(line for name, line in training.items() if name.endswith("float32: iterations/s"))
    assert rate["status"] == "INFO" and rate["value"] > 0 and len(rate["details"]["losses"]) == 5
    amp = [line for name, line in training.items() if "AMP" in name]
    assert amp and all(line["status"] == "SKIP" for line in amp)
    goals = lines_of(report, "speed", "goal")
    assert goals and all(line["status"] == "SKIP" for line in goals)


def test_dry_run_speed_cells_and_baselines(dry_run):
    _, report, _ = dry_run
    speed = lines_of(report, "speed")
    baselines = [line for line in speed if "baseline (pysot-equivalent" in line["name"]]
    assert len(baselines) == 3 and all(line["value"] > 0 for line in baselines)
    cells = [line for line in speed if line["detail"]]
    assert sorted((c["details"]["model"].split()[0], c["details"]["targets"]) for c in cells) == [
        ("alexnet", 1), ("alexnet", 2), ("mobilenetv2", 1), ("mobilenetv2", 2), ("resnet18", 1), ("resnet18", 2)]
    for cell in cells:
        details = cell["details"]
        assert cell["value"] == pytest.approx(details["fps"] * details["targets"])
        assert details["network_ms"] > 0 and details["outside_ms"] > 0 and details["setting"] == "float32"
    best = [line for line in speed if ": best, " in line["name"]]
    assert len(best) == 6 and all(line["note"].startswith("float32;") for line in best)


def test_report_statuses_decide_the_exit_status(tmp_path):
    path = tmp_path / "r.json"
    report = Report({"device": "cpu"}, json_path=path, echo=lambda line: None)
    report.add(CheckLine("speed", "a goal", 1.0, "x", ">= 3x", judge(1.0, ">=", 3.0), "goal"))
    assert report.exit_status() == 0  # goals are reported, not enforced
    with report.guard("exactness", "a step", "exactness"):
        raise RuntimeError("boom\nsecond line")
    assert report.lines[-1].status == "ERROR" and report.lines[-1].note == "RuntimeError: boom"
    assert report.exit_status() == 1
    written = json.loads(path.read_text())
    assert [line["status"] for line in written["lines"]] == ["FAIL", "ERROR"] and written["exactness_ok"] is False
    assert judge(float("nan"), "<=", 1.0) == "FAIL" and judge(0, "==", 0) == "PASS"


def test_junit_outcomes_and_cuda_test_files(tmp_path):
    xml = tmp_path / "j.xml"
    xml.write_text('<testsuites><testsuite><testcase classname="t" name="a"/>'
                   '<testcase classname="t" name="b"><failure message="x"/></testcase>'
                   '<testcase classname="t" name="c"><skipped message="no GPU"/></testcase></testsuite></testsuites>')
    outcomes, reasons = junit_outcomes(xml)
    assert outcomes == {"t::a": "passed", "t::b": "failed", "t::c": "skipped"} and reasons == ["no GPU"]
    assert suite_dir() == REPO_ROOT / "tests"
    assert [p.name for p in cuda_test_files(suite_dir())] == ["test_cuda.py"]


def _precision_flags():
    """The float32 precision flags as both PyTorch APIs read them (the new one from torch 2.9)."""
    backends = torch.backends
    flags = {"cudnn.allow_tf32": backends.cudnn.allow_tf32, "matmul.allow_tf32": backends.cuda.matmul.allow_tf32,
             "matmul precision": torch.get_float32_matmul_precision()}
    if hasattr(backends.cudnn, "conv") and hasattr(backends.cudnn.conv, "fp32_precision"):
        flags.update(conv=backends.cudnn.conv.fp32_precision, matmul=backends.cuda.matmul.fp32_precision)
    return flags


def test_state_tensors_and_strict_float32():
    """Inside strict_float32 both precision APIs read IEEE float32 without raising (setting the
    new API's per-operator flags made reading the old ones raise), TF32 with enabled=False, and
    the flags are restored after."""
    a, b, c = torch.zeros(1), torch.ones(1), torch.full((1,), 2.0)
    assert [t.item() for t in state_tensors({"kernels": {"cls": a, "loc": [b, (c,)]}})] == [0.0, 1.0, 2.0]
    before = _precision_flags()
    with strict_float32():
        inside = _precision_flags()
    assert _precision_flags()["cudnn.allow_tf32"] == before["cudnn.allow_tf32"]
    assert inside["cudnn.allow_tf32"] is False and inside["matmul.allow_tf32"] is False
    assert inside.get("conv", "ieee") in ("ieee", "none") and inside.get("matmul", "ieee") == "ieee"
    with strict_float32(False):
        tf32 = _precision_flags()
    assert tf32["cudnn.allow_tf32"] is True and tf32["matmul.allow_tf32"] is True
    assert tf32.get("conv", "tf32") == "tf32" and tf32.get("matmul", "tf32") == "tf32"
    assert _precision_flags() == {**before, **{k: v for k, v in _precision_flags().items() if k == "matmul"}}


NETWORK_CALLS = {"init", "track", "template", "track_targets", "track_boxes"}


def _strict_blocks(tree):
    """The line ranges of ``with strict_float32(...)`` blocks in ``tree``."""
    return [(node.lineno, node.end_lineno) for node in ast.walk(tree) if isinstance(node, ast.With)
            and any("strict_float32(" in ast.unparse(item.context_expr) for item in node.items)]


def test_cuda_tests_run_the_network_in_strict_float32():
    """tests/test_cuda.py compares CUDA with the CPU at float32 bounds: every tracker or model call
    there must run inside strict_float32() (tracker.init outside it ran the template branch in
    TF32, errors the size of the bound)."""
    tree = ast.parse((REPO_ROOT / "tests" / "test_cuda.py").read_text())
    blocks = _strict_blocks(tree)
    outside = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in NETWORK_CALLS and not any(a <= node.lineno <= b for a, b in blocks):
                outside.append(f"line {node.lineno}: {ast.unparse(node)[:60]}")
    assert not outside, outside


def test_crop_note_tells_the_opencv_build_from_the_device():
    assert crop_note(0, 0) == ""
    assert "this OpenCV build resizes differently, not the device" in crop_note(12, 12)
    assert "the device's crops differ" in crop_note(12, 0)


def test_pytest_timeout_keeps_the_partial_output_and_junit(tmp_path):
    """A CUDA test run over its time is interrupted (SIGINT): the line keeps the tests that ran
    and the output (it used to say "timed out" only)."""
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text("def pytest_configure(config):\n"
                                       "    config.addinivalue_line('markers', 'cuda: needs CUDA')\n")
    mark = "@pytest.mark." "cuda"  # split: this file is not a CUDA test file (cuda_test_files reads the text)
    (tests / "test_slow.py").write_text(f"import time\nimport pytest\n\n\n{mark}\ndef test_quick():\n"
                                        f"    print('ran')\n\n\n{mark}\ndef test_hangs():\n"
                                        "    time.sleep(120)\n")
    report = Report({}, json_path=tmp_path / "r.json", echo=lambda line: None)
    run_pytest(report, SharedData(tmp_path), 8, folder=tests)
    (line,) = report.lines
    assert line.status == "FAIL" and line.note.startswith("timed out after 8 s")
    assert line.details["outcomes"] == {"tests.test_slow::test_quick": "passed"}
    assert line.details["junit"] == str(tmp_path / "gpu_check_pytest_junit.xml")
    assert "KeyboardInterrupt" in line.details["output_tail"] and "test_slow.py" in line.details["output_tail"]


@pytest.fixture(scope="module")
def tiny_tracker_parts():
    """The quickstart's tiny AlexNet (random weights), prepared for tracking, and frames."""
    cfg = load_config(get_config_file("quickstart_synthetic"), ["MODEL.DEVICE", "cpu"])
    torch.manual_seed(0)
    model = prepare_model(build_model(cfg).eval(), cfg)
    return cfg, model, synthetic_clip(6)


def test_compiled_wrapper_is_checked_on_the_trackers_own_input(tiny_tracker_parts):
    """CompiledTrack traced with the eager backend on the CPU: the deviation check feeds the
    tracker's own crops (its memory layout), so the check and the timing compile once per batch
    size (contiguous check crops against the tracker's channels-last ones compiled again), and
    the wrapped tracker's boxes are the plain tracker's."""
    cfg, model, frames = tiny_tracker_parts
    compilations = []

    def counting_backend(graph, example_inputs):
        compilations.append([tuple(t.stride()) for t in example_inputs if isinstance(t, torch.Tensor)])
        return graph.forward

    torch._dynamo.reset()
    wrapped = CompiledTrack(model, backend=counting_backend)
    tracker = build_tracker(cfg, wrapped)
    assert wrapper_deviation(tracker, model, wrapped, frames, 2) <= 1e-6
    x, _ = wrapped.last_input
    result = time_tracker(tracker, frames, 2, warmup=1, timed=2, split=1)
    assert result["fps"] > 0 and len(compilations) == 1, compilations
    plain = build_tracker(cfg, model)
    boxes = {}
    for name, t in (("plain", plain), ("compiled", tracker)):
        t.init(frames[0], list(target_boxes(2, frames[0].shape)))
        boxes[name] = np.array([[r["bbox"] for r in t.track(f)] for f in frames[1:4]])
    np.testing.assert_allclose(boxes["compiled"], boxes["plain"], rtol=0, atol=1e-4)
    torch._dynamo.reset()


def test_steps_stop_at_their_budget(tiny_tracker_parts):
    """A timing or training step past its own budget stops with BudgetSpent (reported as SKIP),
    checked after every frame or iteration; a step's deadline never outlives the check's."""
    cfg, model, frames = tiny_tracker_parts
    spent = Deadline(0.0)
    with pytest.raises(BudgetSpent, match="2 target"):
        time_tracker(BaselineTracker(model, cfg), frames, 2, warmup=1, timed=1, split=1, deadline=spent)
    assert Deadline(10.0).step(1000.0).left() <= 10.0 and Deadline(1000.0).step(1.0).left() <= 1.0
    train_cfg = training_config(tiny_plan(), torch.device("cpu"))
    assert train_cfg.DATALOADER.NUM_WORKERS == 0  # and so for the full plan: batches are made once
    assert training_config(full_plan(), torch.device("cpu")).DATALOADER.NUM_WORKERS == 0
    with pytest.raises(BudgetSpent, match="training stopped after 1 of 3 steps"):
        train_steps(train_cfg, make_batches(train_cfg, 1), iterations=2, warmup=1, deadline=spent)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_a_gpu_is_one_line(capsys, bag_video):
    assert main(["--device", "cuda", "--shared", str(bag_video.parents[1])]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gpu_check: error:") and "CUDA is not available" in err and "\n" not in err


def test_missing_shared_data_is_one_line(capsys, tmp_path):
    assert main(["--device", "cpu", "--tiny", "--shared", str(tmp_path / "absent")]) == 2
    assert capsys.readouterr().err.strip() == f"gpu_check: error: --shared {tmp_path / 'absent'}: no such folder"
    assert main(["--device", "cpu", "--tiny", "--shared", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gpu_check: error: shared test data not found:") and "\n" not in err
