"""tools/gpu_check.py without a GPU: its CPU dry run on tiny sizes (the same code paths), its
report (statuses, exit status, JSON) and its one-line errors."""
import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import REPO_ROOT
from siamtrack_dev.gpu_check.accelerate import state_tensors
from siamtrack_dev.gpu_check.plan import strict_float32
from siamtrack_dev.gpu_check.pytest_run import cuda_test_files, junit_outcomes, suite_dir
from siamtrack_dev.gpu_check.report import CheckLine, Report, judge
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
    baselines = [line for line in speed if "baseline (plain eager" in line["name"]]
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


def test_state_tensors_and_strict_float32():
    a, b, c = torch.zeros(1), torch.ones(1), torch.full((1,), 2.0)
    assert [t.item() for t in state_tensors({"kernels": {"cls": a, "loc": [b, (c,)]}})] == [0.0, 1.0, 2.0]
    conv = torch.backends.cudnn.conv.fp32_precision if hasattr(torch.backends.cudnn, "conv") else None
    with strict_float32():
        if conv is not None:
            assert torch.backends.cudnn.conv.fp32_precision == "ieee"
    if conv is not None:
        assert torch.backends.cudnn.conv.fp32_precision == conv


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
