"""Shared test fixtures: the reference data of the official implementation, and CPU settings.

The reference data lives in ``../shared/reference`` beside the repository (override with
``SIAMTRACK_REFERENCE``). A user's clone does not have it: tests that need it skip, naming the
folder. CI always has it (``.ci/run`` fails without it).
"""
import os
import signal
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("SIAMTRACK_SHARED", REPO_ROOT.parent / "shared"))
REFERENCE_DIR = Path(os.environ.get("SIAMTRACK_REFERENCE", SHARED_DIR / "reference"))
BAG_VIDEO = SHARED_DIR / "data" / "bag.avi"

REQUIRE_SHARED = os.environ.get("SIAMTRACK_REQUIRE_REFERENCE") == "1"  # set by .ci/run

torch.set_num_threads(min(2, os.cpu_count() or 1))

# A test run started in the background of a non-interactive shell (``cmd &``, as some CI
# runners do) inherits SIGINT ignored, and so would every command the tests start: Ctrl-C
# could then not be tested. Give this process Python's usual handler; a handled signal is
# reset to the default in the commands started from here, as in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``cuda`` skip on a machine without a CUDA GPU."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (marker cuda)")
    for item in items:
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


def _missing(what, path, variable):
    message = f"{what} not found at {path} (set {variable})"
    if REQUIRE_SHARED:
        pytest.fail(message + "; SIAMTRACK_REQUIRE_REFERENCE=1 forbids skipping")
    pytest.skip(message)


@pytest.fixture(scope="session")
def reference_dir():
    """The folder of pysot-produced reference data; skips the test when it is absent."""
    if not REFERENCE_DIR.is_dir():
        _missing("reference data", REFERENCE_DIR, "SIAMTRACK_REFERENCE")
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def bag_video():
    """Path of the real test video ``bag.avi``; skips the test when it is absent."""
    if not BAG_VIDEO.is_file():
        _missing("test video", BAG_VIDEO, "SIAMTRACK_SHARED")
    return BAG_VIDEO
