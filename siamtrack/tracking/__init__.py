"""Tracking videos: :class:`SiamTracker` (pysot's SiamRPN tracker, exact), its long-term variant,
frame normalisation and video readers/writers for ``tools/track_video.py``."""
from .build import (
    DeviceError, WeightsError, build_inference_model, build_tracker, default_device, load_weights,
    prepare_model, resolve_device, tracker_class,
)
from ..utils.errors import InputError
from ..utils.frames import FrameError, normalize_frame
from .longterm import SiamRPNLTTracker
from .timing import StageTimer
from .tracker import SiamRPNTracker, SiamTracker, TrackerInputError, validate_box

__all__ = [
    "SiamTracker", "SiamRPNTracker", "SiamRPNLTTracker", "build_tracker", "tracker_class",
    "build_inference_model", "prepare_model", "load_weights", "resolve_device", "default_device",
    "normalize_frame", "validate_box", "StageTimer", "InputError", "TrackerInputError", "FrameError",
    "DeviceError", "WeightsError",
]
