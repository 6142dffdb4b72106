"""Tracking videos: :data:`TRACKER_REGISTRY` and :func:`build_tracker` (the one way to build a
tracker), pysot's SiamRPN tracker (exact), its long-term variant, pysot's SiamMask tracker, the
SiamFC tracker, frame normalisation and video readers/writers for ``tools/track_video.py``."""
from ..utils.errors import InputError
from .base import BaseTracker
from .dasiamrpn import DaSiamRPNTracker
from .build import (
    DeviceError, WeightsError, build_inference_model, default_device, load_weights, prepare_model, resolve_device,
)
from ..utils.frames import FrameError, normalize_frame
from .longterm import SiamRPNLTTracker
from .registry import TRACKER_REGISTRY, build_tracker
from .siamfc import SiamFCTracker
from .siammask import SiamMaskTracker
from .target import TrackerInputError, validate_box
from .timing import StageTimer
from .tracker import SiamRPNTracker, SiamTracker

__all__ = [
    "TRACKER_REGISTRY", "build_tracker", "BaseTracker", "SiamTracker", "SiamRPNTracker", "SiamRPNLTTracker",
    "SiamFCTracker", "SiamMaskTracker", "DaSiamRPNTracker", "build_inference_model", "prepare_model", "load_weights",
    "resolve_device", "default_device",
    "normalize_frame", "validate_box", "StageTimer", "InputError", "TrackerInputError", "FrameError",
    "DeviceError", "WeightsError",
]
