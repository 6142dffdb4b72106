"""What every adapter shares: config lookup, building the tracker, optional extras, lost state."""
import importlib
import os

from ..utils.errors import InputError, first_line


class MissingExtraError(InputError, ImportError):
    """An optional package an adapter needs is not installed; the message names the extra."""


def require(module, extra):
    """Import ``module`` or raise :class:`MissingExtraError` naming siamtrack's ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"needs the {extra!r} extra ({exc}): pip install 'siamtrack[{extra}]'") from None


def resolve_config(config, opts=(), weights=None, device=None):
    """A tracker config from ``config``: a detectron2 ``CfgNode`` (cloned), a YAML file path or
    a packaged config name (``siamtrack.model_zoo``); then ``opts`` (``KEY VALUE`` pairs),
    ``weights`` (``MODEL.WEIGHTS``) and ``device`` (``MODEL.DEVICE``; unset: the device rule of
    docs/config.md, CUDA when present, else the CPU) are merged in."""
    from ..config import load_config
    from ..model_zoo import get_config_file

    opts = list(opts)
    if weights is not None:
        opts += ["MODEL.WEIGHTS", str(weights)]
    if device is not None:
        opts += ["MODEL.DEVICE", str(device)]
    if hasattr(config, "clone"):  # a CfgNode
        cfg = config.clone()
        cfg.defrost()
        try:
            cfg.merge_from_list(opts)
        except Exception as exc:  # yacs errors span several lines
            raise InputError(f"bad config overrides: {first_line(exc)}") from None
    else:
        path = os.fspath(config)
        cfg = load_config(path if os.path.isfile(path) else get_config_file(path), opts)
    return cfg


def make_tracker(cfg, model=None):
    """The tracker of ``cfg.TRACK.TYPE`` around ``model`` (built from ``cfg`` with its weights
    and speed-ups when None). The one place the adapters build trackers."""
    from ..tracking import build_tracker

    return build_tracker(cfg, model)


def is_long_term(tracker):
    """True for a tracker with a lost state (``TRACK.TYPE: SiamRPNLTTracker``)."""
    from ..tracking import SiamRPNLTTracker

    return isinstance(tracker, SiamRPNLTTracker)


def target_lost(tracker, score, score_threshold, target_id=None):
    """Whether the target is lost after the last ``track``: the long-term tracker's own lost
    state, else ``score < score_threshold``."""
    if is_long_term(tracker):
        targets = tracker._targets  # the long-term tracker keeps its lost flag per target
        target = targets[target_id if target_id is not None else next(iter(targets))]
        return bool(target.lost)
    return bool(score < score_threshold)


def default_score_threshold(cfg, score_threshold=None):
    """``score_threshold``, or ``cfg.TRACK.CONFIDENCE_LOW`` (the score below which the long-term
    tracker declares its target lost) when None."""
    return float(cfg.TRACK.CONFIDENCE_LOW if score_threshold is None else score_threshold)


def pil_to_bgr(image):
    """A PIL image (RGB or any other mode) as the BGR ``uint8`` array OpenCV would hold."""
    import numpy as np

    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])
