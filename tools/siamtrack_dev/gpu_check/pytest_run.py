"""The test suite's CUDA-marked tests (``pytest -m cuda``), run in a subprocess.

Only the test files that use the ``cuda`` marker are collected (found by their text), so a test
module whose optional dependency is missing on the GPU machine cannot break the run. The tests
get the same shared data as the check (``SIAMTRACK_SHARED``) and may not skip for lack of it
(``SIAMTRACK_REQUIRE_REFERENCE=1``). Outcomes are read from pytest's JUnit XML, which is kept
beside the report; a run over its time is interrupted (SIGINT) so that it still writes it.
"""
import os
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from .report import CheckLine

__all__ = ["suite_dir", "cuda_test_files", "junit_outcomes", "run_pytest", "INTERRUPT_GRACE_S"]

SECTION = "pytest"
MARKER_TEXT = "pytest.mark.cuda"
INTERRUPT_GRACE_S = 30.0  # after SIGINT on a timeout, for pytest to write its summary and JUnit file


def suite_dir():
    """The checkout's ``tests/`` folder (None when this copy of the tools has none beside it)."""
    folder = Path(__file__).resolve().parents[3] / "tests"
    return folder if (folder / "conftest.py").is_file() else None


def cuda_test_files(folder):
    """The test files of ``folder`` that use the ``cuda`` marker."""
    return sorted(p for p in folder.glob("test_*.py") if MARKER_TEXT in p.read_text(encoding="utf-8"))


def junit_outcomes(path):
    """``{test id: "passed" | "failed" | "skipped" | "error"}`` and the skip reasons, from a JUnit XML file."""
    outcomes, reasons = {}, set()
    for case in ET.parse(path).getroot().iter("testcase"):
        if not case.get("name"):  # the entry pytest adds for an interrupted session
            continue
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                if child.tag == "skipped":
                    reasons.add(child.get("message", ""))
        outcomes[name] = outcome
    return outcomes, sorted(reasons)


def _run(command, cwd, env, timeout_s):
    """Run ``command``; returns ``(returncode or None when it timed out, stdout, stderr)``. On a
    timeout pytest first gets SIGINT, so that it stops like on Ctrl-C and still writes its
    summary and JUnit file, and is killed only if it has not ended :data:`INTERRUPT_GRACE_S` later."""
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=max(timeout_s, 1))
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=INTERRUPT_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        return None, out, err


def run_pytest(report, shared, timeout_s, folder=None, junit_dir=None):
    """Run the CUDA-marked tests of ``folder`` (default: the checkout's ``tests/``); one line with
    their outcome counts. The JUnit file is kept in ``junit_dir`` (default: beside the report's
    JSON file, else a new temporary folder); on a timeout the line keeps the partial output and
    the outcomes of the tests that ran."""
    folder = folder or suite_dir()
    name = "pytest -m cuda"
    if folder is None:
        report.add(CheckLine(SECTION, name, None, "", "all pass", "SKIP", "test",
                             note="no tests/ folder beside tools/: run from a checkout"))
        return
    files = cuda_test_files(folder)
    env = dict(os.environ, SIAMTRACK_SHARED=str(shared.root), SIAMTRACK_REQUIRE_REFERENCE="1",
               PYTHONPATH=os.pathsep.join([str(folder.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    if junit_dir is None:
        junit_dir = Path(report.json_path).parent if report.json_path else Path(tempfile.mkdtemp(prefix="gpu-check-"))
    junit = Path(junit_dir) / "gpu_check_pytest_junit.xml"
    junit.unlink(missing_ok=True)  # an earlier run's file must not be read as this one's
    command = [sys.executable, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider", "-rs",
               f"--junitxml={junit}", *map(str, files)]
    report.progress(f"{name}: {len(files)} file(s), {timeout_s:.0f} s at most")
    returncode, stdout, stderr = _run(command, folder.parent, env, timeout_s)
    outcomes, reasons = junit_outcomes(junit) if junit.is_file() else ({}, [])
    counts = {k: sum(v == k for v in outcomes.values()) for k in ("passed", "failed", "error", "skipped")}
    tail = stdout.strip().splitlines()[-1:] or stderr.strip().splitlines()[-1:] or [""]
    details = {"counts": counts, "outcomes": outcomes, "skip_reasons": reasons, "returncode": returncode,
               "files": [f.name for f in files], "summary": tail[0], "junit": str(junit) if junit.is_file() else None}
    broken = sorted(k for k, v in outcomes.items() if v in ("failed", "error"))
    if returncode is None:
        status, note = "FAIL", f"timed out after {timeout_s:.0f} s; {tail[0]}"
        details["output_tail"] = stdout[-4000:] + stderr[-2000:]
    elif broken or returncode not in (0, 5) or not outcomes:
        status, note = "FAIL", (", ".join(broken[:3]) or f"pytest exited {returncode}: {tail[0]}")
        details["output_tail"] = stdout[-4000:] + stderr[-2000:]
    elif counts["passed"] == 0:
        status, note = "SKIP", "; ".join(reasons)[:200] or "all skipped"
    else:
        status, note = "PASS", f"{counts['skipped']} skipped" if counts["skipped"] else ""
    summary = f"{counts['passed']} passed, {counts['failed'] + counts['error']} failed, {counts['skipped']} skipped"
    report.add(CheckLine(SECTION, name, summary, "", "all pass", status, "test", note=note, details=details))
