"""Tracking videos: :data:`TRACKER_REGISTRY` and :func:`build_tracker` (the one way to build a
tracker), pysot's SiamRPN tracker (exact), its long-term variant, pysot's SiamMask tracker, the
SiamFC and DaSiamRPN trackers, the inference model of a config, and video readers/writers for
``tools/track_video.py``."""
from .build import build_inference_model, prepare_model
from .dasiamrpn import DaSiamRPNTracker
from .longterm import SiamRPNLTTracker
from .registry import TRACKER_REGISTRY, build_tracker
from .siamfc import SiamFCTracker
from .siammask import SiamMaskTracker
from .target import TrackerInputError, TrackerStateError, validate_box
from .timing import StageTimer
from .tracker import BaseTracker, SiamRPNTracker

__all__ = [
    "TRACKER_REGISTRY", "build_tracker", "BaseTracker", "SiamRPNTracker", "SiamRPNLTTracker", "SiamFCTracker",
    "SiamMaskTracker", "DaSiamRPNTracker", "build_inference_model", "prepare_model", "validate_box", "StageTimer",
    "TrackerInputError", "TrackerStateError",
]
