"""An OpenCV-style tracker for people coming from ``cv2.Tracker*`` (see docs/integrations.md)::

    tracker = siamtrack.create("siamrpnpp_r50", weights="model.pth")
    tracker.init(frame, (x, y, w, h))
    ok, box = tracker.update(frame)
    score = tracker.getTrackingScore()
"""
from ._common import lost_score_opts, make_tracker, resolve_config

__all__ = ["SiamTrackerCV", "create"]


class SiamTrackerCV:
    """``init(frame, box)`` / ``update(frame) -> (ok, box)`` / ``getTrackingScore()`` around a
    siamtrack tracker, as OpenCV's trackers (``cv2.TrackerDaSiamRPN``, ...) behave.

    Frames are BGR ``uint8`` images as ``cv2.VideoCapture`` reads them; boxes are
    ``(x, y, w, h)`` floats. ``ok`` is ``not result["lost"]`` of the tracker (docs/tracking.md,
    "Target lost"): for the long-term tracker (``TRACK.TYPE: SiamRPNLTTracker``) its own lost
    state, for the short-term trackers ``TRACK.LOST_SCORE`` with hysteresis over
    ``TRACK.LOST_FRAMES`` frames. The tracker keeps following its best guess when ``ok`` is
    False. Each :meth:`init` starts afresh (unlike pysot's long-term tracker, whose lost flag
    survives ``init``).
    """

    def __init__(self, cfg, model=None):
        """A tracker of ``cfg`` around ``model`` (built from ``cfg`` when None); prefer :func:`create`."""
        self.cfg = cfg
        self.tracker = make_tracker(cfg, model)
        self._score = 0.0

    @property
    def score_threshold(self):
        """The short-term trackers' lost score (``TRACK.LOST_SCORE`` of the config)."""
        return self.tracker.lost_rule.score

    def init(self, frame, box):
        """Start tracking ``box`` (x, y, w, h) in ``frame``, forgetting any previous target."""
        self.tracker = make_tracker(self.cfg, self.tracker.model)
        self.tracker.init(frame, tuple(box))
        self._score = 1.0

    def update(self, frame):
        """Track into ``frame``; returns ``(ok, (x, y, w, h))``."""
        result = self.tracker.track(frame)
        self._score = float(result["score"])
        return not result["lost"], tuple(float(v) for v in result["bbox"])

    def getTrackingScore(self):  # noqa: N802  (OpenCV's name)
        """The best score of the last :meth:`update` (1.0 right after :meth:`init`)."""
        return self._score


def create(name, weights=None, device=None, opts=(), score_threshold=None):
    """An OpenCV-style tracker of the packaged config ``name`` (``"siamrpnpp_r50"``,
    ``"siamrpn_alex"``, ``"siamrpnpp_mobilev2"``, pysot experiment names such as
    ``"siamrpn_r50_l234_dwxcorr_lt"``, or a YAML file path), with ``weights`` (a converted
    checkpoint, ``MODEL.WEIGHTS``), ``device`` (``MODEL.DEVICE``, e.g. ``"cpu"``) and further
    ``opts`` (``KEY VALUE`` config overrides); ``score_threshold`` sets ``TRACK.LOST_SCORE``
    (see :class:`SiamTrackerCV`)."""
    cfg = resolve_config(name, list(opts) + lost_score_opts(score_threshold), weights=weights, device=device)
    return SiamTrackerCV(cfg)
