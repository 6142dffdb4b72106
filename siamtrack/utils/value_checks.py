"""The ranges of the tracker's settings (``TRACK.*``), checked when a config is read.

A well-typed but meaningless value (``TRACK.PENALTY_K -5``, ``TRACK.LR 1e999``) would otherwise
track every frame to a wrong box and exit 0. Keys not listed here (added by other trackers) are
not checked. docs/config.md explains each key.
"""
import math

from .errors import InputError

__all__ = ["TrackValueError", "TRACK_RANGES", "check_track_values"]


class TrackValueError(InputError):
    """A ``TRACK.*`` value outside its range; the message is one line."""


INF = math.inf
# key: (kind, low, high); "int" and "number" ranges are inclusive. TRACK.TYPE and TRACK.BACKEND
# are checked where they are looked up (the tracker registry, the backend choice).
TRACK_RANGES = {
    "EXEMPLAR_SIZE": ("int", 1, INF),
    "LOST_INSTANCE_SIZE": ("int", 1, INF),
    "CONTEXT_AMOUNT": ("number", 0.0, INF),
    "PENALTY_K": ("number", 0.0, INF),  # pysot's scale/ratio change penalty: exp(-(change - 1) * k)
    "WINDOW_INFLUENCE": ("number", 0.0, 1.0),  # weight of the cosine window in a convex mix
    "LR": ("number", 0.0, 1.0),  # the size update's interpolation weight
    "SCORE_SIZE_OFFSET": ("int", 0, INF),
    "CONFIDENCE_LOW": ("number", 0.0, 1.0),
    "CONFIDENCE_HIGH": ("number", 0.0, 1.0),
    "LOST_SCORE": ("number", 0.0, 1.0),
    "LOST_FRAMES": ("int", 1, INF),
    "SIAMFC.SCALE_NUM": ("int", 1, INF),
    "SIAMFC.SCALE_STEP": ("number", 1.0, INF),
    "SIAMFC.SCALE_PENALTY": ("number", 0.0, 1.0),
    "SIAMFC.SCALE_LR": ("number", 0.0, 1.0),
    "SIAMFC.WINDOW_INFLUENCE": ("number", 0.0, 1.0),
    "SIAMFC.RESPONSE_UPSCALE": ("int", 1, INF),
    **{key: ("bool",) for key in ("FUSE_CONV_BN", "CHANNELS_LAST", "HALF", "BF16", "WINOGRAD", "GPU_CROP",
                                  "BATCH_TARGETS")},
}


def _lookup(track, dotted):
    node = track
    for part in dotted.split("."):
        if part not in node:
            return None, False
        node = node[part]
    return node, True


def _problem(kind, value, rule):
    """Why ``value`` breaks ``rule`` (a phrase), or None."""
    if kind == "bool":
        return None if isinstance(value, bool) else "must be True or False"
    low, high = rule[1], rule[2]
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "int" and not (numeric and isinstance(value, int)):
        return "must be an integer"
    if not numeric or math.isnan(value) or not low <= value <= high or abs(value) == INF:
        where = f">= {low:g}" if high == INF else f"from {low:g} to {high:g}"
        return f"must be a finite number {where}" if kind == "number" else f"must be {where}"
    return None


def check_track_values(cfg):
    """``cfg``, once checked: raise :class:`TrackValueError` naming the first ``TRACK.*`` value
    outside its range (:data:`TRACK_RANGES`), or a search crop smaller than the template."""
    for key, rule in TRACK_RANGES.items():
        value, present = _lookup(cfg.TRACK, key)
        if not present:
            continue
        problem = _problem(rule[0], value, rule)
        if problem:
            raise TrackValueError(f"TRACK.{key} {problem}, got {value!r}")
    exemplar, instance = cfg.TRACK.EXEMPLAR_SIZE, cfg.TRACK.INSTANCE_SIZE
    if not isinstance(instance, int) or isinstance(instance, bool) or instance < exemplar:
        raise TrackValueError(f"TRACK.INSTANCE_SIZE must be an integer at least TRACK.EXEMPLAR_SIZE ({exemplar}): "
                              f"the search crop holds the template; got {instance!r}")
    return cfg
