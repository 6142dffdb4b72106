"""Shared test fixtures: the reference data of the official implementation, and CPU settings.

The reference data lives in ``../shared/reference`` beside the repository (override with
``SIAMTRACK_REFERENCE``). A user's clone does not have it: tests that need it skip, naming the
folder. CI always has it (``.ci/run`` fails without it).
"""
import os
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("SIAMTRACK_SHARED", REPO_ROOT.parent / "shared"))
REFERENCE_DIR = Path(os.environ.get("SIAMTRACK_REFERENCE", SHARED_DIR / "reference"))
BAG_VIDEO = SHARED_DIR / "data" / "bag.avi"

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def reference_dir():
    """The folder of pysot-produced reference data; skips the test when it is absent."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE_DIR} (set SIAMTRACK_REFERENCE)")
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def bag_video():
    """Path of the real test video ``bag.avi``; skips the test when it is absent."""
    if not BAG_VIDEO.is_file():
        pytest.skip(f"test video not found at {BAG_VIDEO} (set SIAMTRACK_SHARED)")
    return BAG_VIDEO
