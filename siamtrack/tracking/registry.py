"""``TRACKER_REGISTRY`` and :func:`build_tracker`, the one way to build a tracker (docs/tracking.md)."""
from detectron2.utils.registry import Registry

from ..utils.errors import InputError
from .build import build_inference_model
from .target import TrackerInputError

__all__ = ["TRACKER_REGISTRY", "build_tracker"]

TRACKER_REGISTRY = Registry("TRACKER")
TRACKER_REGISTRY.__doc__ = """
Registry of trackers, selected by ``cfg.TRACK.TYPE``. Each is called as ``Tracker(model, cfg)``
with a model that has ``template(z) -> state`` and ``track(x, state) -> dict of raw maps``.
Built in: ``SiamRPNTracker``, ``SiamRPNLTTracker``, ``SiamMaskTracker``, ``SiamFCTracker``.
"""


def build_tracker(cfg, model=None):
    """The tracker of ``cfg.TRACK.TYPE`` (from :data:`TRACKER_REGISTRY`) around ``model``.

    With ``model=None`` the inference model of ``cfg`` is built first
    (:func:`~siamtrack.tracking.build.build_inference_model`: ``MODEL.DEVICE``, ``MODEL.WEIGHTS``,
    the ``TRACK`` speed-ups). A given model is used as it is (only put in eval mode), so a model
    still being trained can be evaluated. Raises :class:`~siamtrack.utils.errors.InputError` for
    an unknown ``TRACK.TYPE`` and :class:`~siamtrack.tracking.target.TrackerInputError` for a
    ``cfg`` that is not a config (``siamtrack.config.load_config`` makes one).
    """
    track = getattr(cfg, "TRACK", None)
    if track is None or not hasattr(track, "TYPE"):
        raise TrackerInputError(f"build_tracker needs a siamtrack config (a CfgNode with TRACK.TYPE), got "
                                f"{type(cfg).__name__}: load one with siamtrack.config.load_config(path)")
    name = cfg.TRACK.TYPE
    if name not in TRACKER_REGISTRY:
        choices = sorted(n for n, _ in TRACKER_REGISTRY)
        raise InputError(f"unknown TRACK.TYPE {name!r}; choose one of {choices}")
    tracker_class = TRACKER_REGISTRY.get(name)
    if model is None:
        model = build_inference_model(cfg)
    return tracker_class(model, cfg)
