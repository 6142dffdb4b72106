"""The test suite's CUDA-marked tests (``pytest -m cuda``), run in a subprocess.

Only the test files that use the ``cuda`` marker are collected (found by their text), so a test
module whose optional dependency is missing on the GPU machine cannot break the run. The tests
get the same shared data as the check (``SIAMTRACK_SHARED``) and may not skip for lack of it
(``SIAMTRACK_REQUIRE_REFERENCE=1``). Outcomes are read from pytest's JUnit XML.
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from .report import CheckLine

__all__ = ["suite_dir", "cuda_test_files", "junit_outcomes", "run_pytest"]

SECTION = "pytest"
MARKER_TEXT = "pytest.mark.cuda"


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
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                if child.tag == "skipped":
                    reasons.add(child.get("message", ""))
        outcomes[name] = outcome
    return outcomes, sorted(reasons)


def run_pytest(report, shared, timeout_s):
    """Run the CUDA-marked tests; one line with their outcome counts."""
    folder = suite_dir()
    name = "pytest -m cuda"
    if folder is None:
        report.add(CheckLine(SECTION, name, None, "", "all pass", "SKIP", "test",
                             note="no tests/ folder beside tools/: run from a checkout"))
        return
    files = cuda_test_files(folder)
    env = dict(os.environ, SIAMTRACK_SHARED=str(shared.root), SIAMTRACK_REQUIRE_REFERENCE="1",
               PYTHONPATH=os.pathsep.join([str(folder.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        command = [sys.executable, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider", "-rs",
                   f"--junitxml={junit}", *map(str, files)]
        report.progress(f"{name}: {len(files)} file(s), {timeout_s:.0f} s at most")
        try:
            proc = subprocess.run(command, cwd=folder.parent, env=env, capture_output=True, text=True,
                                  timeout=max(timeout_s, 1))
        except subprocess.TimeoutExpired:
            report.add(CheckLine(SECTION, name, None, "", "all pass", "FAIL", "test",
                                 note=f"timed out after {timeout_s:.0f} s"))
            return
        outcomes, reasons = junit_outcomes(junit) if junit.is_file() else ({}, [])
    counts = {k: sum(v == k for v in outcomes.values()) for k in ("passed", "failed", "error", "skipped")}
    tail = proc.stdout.strip().splitlines()[-1:] or proc.stderr.strip().splitlines()[-1:] or [""]
    details = {"counts": counts, "outcomes": outcomes, "skip_reasons": reasons, "returncode": proc.returncode,
               "files": [f.name for f in files], "summary": tail[0]}
    broken = sorted(k for k, v in outcomes.items() if v in ("failed", "error"))
    if broken or proc.returncode not in (0, 5) or not outcomes:
        status, note = "FAIL", (", ".join(broken[:3]) or f"pytest exited {proc.returncode}: {tail[0]}")
        details["output_tail"] = proc.stdout[-4000:] + proc.stderr[-2000:]
    elif counts["passed"] == 0:
        status, note = "SKIP", "; ".join(reasons)[:200] or "all skipped"
    else:
        status, note = "PASS", f"{counts['skipped']} skipped" if counts["skipped"] else ""
    summary = f"{counts['passed']} passed, {counts['failed'] + counts['error']} failed, {counts['skipped']} skipped"
    report.add(CheckLine(SECTION, name, summary, "", "all pass", status, "test", note=note, details=details))
