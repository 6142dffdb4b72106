"""The GPU check (``tools/gpu_check.py``, docs/gpu.md): on one CUDA device, in a few minutes,
the CUDA-marked tests, exactness against the CPU, training with and without AMP, and tracker
speed against the pysot-equivalent baseline, as a table and a JSON file.

:func:`run_gpu_check` runs the sections in order; each line carries its bound or goal and a
status (:mod:`.report`). With ``tiny`` the same code runs on tiny sizes (the CPU dry run of CI).
"""
import time

import torch

from siamtrack.utils.device import resolve_device
from siamtrack.utils.errors import InputError
from .exactness import run_exactness
from .models import MODEL_NAMES, build_check_model, load_frames
from .plan import SECTIONS, Deadline, device_meta, find_shared, full_plan, tiny_plan, watchdog
from .pytest_run import run_pytest
from .report import CheckLine, Report
from .throughput import run_speed
from .training import run_training

__all__ = ["SECTIONS", "run_gpu_check", "Report", "CheckLine"]

PYTEST_SHARE = 0.3  # of the budget, at most, for the test subprocess
# A section still running this long after the budget is spent is hung: the watchdog ends the
# process (the report files keep every line measured so far).
WATCHDOG_GRACE_S = 180.0


def run_gpu_check(device="cuda", tiny=False, shared=None, skip=(), json_path=None, table_path=None,
                  budget_s=None, echo=print):
    """Run the check on ``device`` and return its :class:`Report` (``report.exit_status()``).

    ``shared``: the folder of the shared test data (reference/ and data/bag.avi; default: see
    :func:`~.plan.find_shared`); ``skip``: section names of :data:`SECTIONS` not to run;
    ``json_path`` / ``table_path``: files kept up to date as lines come; ``budget_s``: the time
    budget (default 360 s, tiny 300 s) after which the remaining steps are skipped (a section
    still running :data:`WATCHDOG_GRACE_S` after it ends the process: see :func:`~.plan.watchdog`).
    Raises :class:`~siamtrack.utils.errors.InputError` for an unusable device or missing data.
    """
    unknown = sorted(set(skip) - set(SECTIONS))
    if unknown:
        raise InputError(f"unknown section(s) {unknown}; choose among {list(SECTIONS)}")
    device = resolve_device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    data = find_shared(shared)
    plan = (tiny_plan if tiny else full_plan)(*([budget_s] if budget_s else []))
    deadline = Deadline(plan.budget_s)
    meta = {**device_meta(device), "tiny": tiny, "shared": str(data.root), "skipped_sections": sorted(skip),
            "plan": plan.__dict__}
    report = Report(meta, json_path, table_path, echo)
    report.progress(f"GPU check on {meta['device_name']} ({device}), {'tiny' if tiny else 'full'} sizes, "
                    f"budget {plan.budget_s:.0f} s; torch {meta['torch']}, CUDA {meta.get('cuda', '-')}, driver "
                    f"{meta.get('driver', '-')}, OpenCV {meta['opencv']}, NumPy {meta['numpy']}")
    frames = load_frames(data, max(plan.tracked_frames + 1, plan.crop_frames, 4))
    models = []

    def check_models():
        if not models:
            for name in MODEL_NAMES:
                report.progress(f"building {name}")
                models.append(build_check_model(name, data, frames, tiny))
        return models

    steps = {
        "pytest": lambda: run_pytest(report, data, max(PYTEST_SHARE * deadline.left(), 30)),
        "exactness": lambda: run_exactness(report, plan, data, device, check_models(), frames, deadline),
        "training": lambda: run_training(report, plan, device, deadline),
        "speed": lambda: run_speed(report, plan, device, check_models(), frames, deadline),
    }
    for name in SECTIONS:
        start = time.perf_counter()
        if name in skip:
            report.end_section(name, "skipped", 0.0)
            continue
        count = len(report.lines)
        kind = "exactness" if name in ("exactness", "pytest") else "info"
        hang_after = max(deadline.left(), 0.0) + WATCHDOG_GRACE_S
        with report.guard(name, f"{name} section", kind), watchdog(hang_after):
            steps[name]()
        failed = any(line.status == "ERROR" and line.name == f"{name} section" for line in report.lines[count:])
        report.end_section(name, "error" if failed else "done", time.perf_counter() - start)
    report.progress("done")
    return report
