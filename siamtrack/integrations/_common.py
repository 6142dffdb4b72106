"""What every adapter shares: config lookup, building the tracker, optional extras, the lost score."""
import os

from ..utils.errors import InputError, first_line
from ..utils.extras import require  # noqa: F401  (imported by the adapters from here)


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


def lost_score_opts(score_threshold=None):
    """Config overrides setting ``TRACK.LOST_SCORE`` to ``score_threshold`` (none when None):
    the adapters' ``score_threshold`` is the short-term trackers' lost score."""
    if score_threshold is None:
        return []
    try:
        value = float(score_threshold)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(score_threshold, bool) or not 0.0 <= value <= 1.0:
        raise InputError(f"score_threshold must be a number from 0 to 1 (a score below it counts towards "
                         f"lost), got {score_threshold!r}")
    return ["TRACK.LOST_SCORE", repr(value)]


def pil_to_bgr(image):
    """A PIL image (RGB or any other mode) as the BGR ``uint8`` array OpenCV would hold."""
    import numpy as np

    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])
