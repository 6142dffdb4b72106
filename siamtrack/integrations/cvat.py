"""A CVAT tracking function (``cvat_sdk.auto_annotation`` tracking interface) for rectangles.

Register it with a CVAT server and serve it with an agent (docs/integrations.md)::

    cvat-cli function create-native "siamtrack" --function-module siamtrack.integrations.cvat \\
        -p config=str:siamrpnpp_r50 -p weights=str:/path/model.pth
    cvat-cli function run-agent <function id> --function-module siamtrack.integrations.cvat \\
        -p config=str:siamrpnpp_r50 -p weights=str:/path/model.pth

The agent calls ``preprocess_image`` once per frame (RGB PIL image -> BGR array), then
``init_tracking_state`` on the frame a rectangle was drawn on and ``track`` on each later
frame. Every shape gets its own state, a :class:`SiamTrackingState` that holds the target
alone (no reference to the network: it pickles to a few hundred kB and can be tracked by
any function instance of the same config).
"""
import copy

from ._common import lost_score_opts, make_tracker, pil_to_bgr, require, resolve_config

_cvataa = require("cvat_sdk.auto_annotation", "cvat")

__all__ = ["SiamTrackingFunction", "SiamTrackingState", "create"]


class SiamTrackingState:
    """Tracking state of one shape: a one-target tracker without its network (re-attached by
    the function on each ``track``), and the score of the last frame."""

    def __init__(self, tracker, score=1.0):
        """Hold ``tracker`` (tracking this shape alone) and its last ``score``."""
        self.tracker = tracker
        self.score = score

    def __getstate__(self):
        detached = copy.copy(self.tracker)
        detached.model = None  # the network belongs to the function, not to the state
        return {"tracker": detached, "score": self.score}

    def __setstate__(self, state):
        self.tracker = state["tracker"]
        self.score = state["score"]


def _rectangle_box(points):
    """CVAT rectangle points ``[xtl, ytl, xbr, ybr]`` -> ``(x, y, w, h)``."""
    xtl, ytl, xbr, ybr = (float(v) for v in points)
    return xtl, ytl, xbr - xtl, ybr - ytl


class SiamTrackingFunction:
    """CVAT tracking function of rectangles around one siamtrack network.

    ``track`` returns None (CVAT: "not found on this frame") when the tracker's result is
    ``"lost"`` (docs/tracking.md, "Target lost": the long-term tracker's lost state, else
    ``TRACK.LOST_SCORE`` with hysteresis over ``TRACK.LOST_FRAMES`` frames); the state keeps
    tracking, so the shape may come back on later frames. The function holds the network and
    the lost rule; a state holds its target alone.
    """

    spec = _cvataa.TrackingFunctionSpec(supported_shape_types=["rectangle"])

    def __init__(self, cfg):
        """Build the network of ``cfg`` (a ``CfgNode``) once; shapes share it."""
        self.cfg = cfg
        tracker = make_tracker(cfg)
        self.model = tracker.model  # built, weights loaded and prepared once
        self.lost_rule = tracker.lost_rule

    @property
    def score_threshold(self):
        """The short-term trackers' lost score (``TRACK.LOST_SCORE``; settable)."""
        return self.lost_rule.score

    @score_threshold.setter
    def score_threshold(self, value):
        self.lost_rule.score = float(value)

    def preprocess_image(self, context, image):
        """The PIL ``image`` as a BGR ``uint8`` array (done once per frame for all shapes)."""
        return pil_to_bgr(image)

    def init_tracking_state(self, context, pp_image, shape):
        """A new :class:`SiamTrackingState` for the rectangle ``shape`` on ``pp_image``."""
        tracker = make_tracker(self.cfg, self.model)
        tracker.init(pp_image, _rectangle_box(shape.points))
        return SiamTrackingState(tracker)

    def track(self, context, pp_image, state):
        """The shape of ``state`` on ``pp_image`` (a rectangle), or None when it is lost."""
        if state.tracker.model is None:  # an unpickled state
            state.tracker.model = self.model
        state.tracker.lost_rule = self.lost_rule
        result = state.tracker.track(pp_image)
        state.score = float(result["score"])
        if result["lost"]:
            return None
        x, y, w, h = (float(v) for v in result["bbox"])
        return _cvataa.TrackableShape(type="rectangle", points=[x, y, x + w, y + h])


def create(config="siamrpnpp_r50", weights=None, device=None, score_threshold=None):
    """The function ``cvat-cli`` loads with ``--function-module siamtrack.integrations.cvat``:
    ``config`` is a packaged config name or YAML path, ``weights`` the converted checkpoint,
    ``device`` e.g. ``cpu`` (default: CUDA when present). Parameters come as
    ``-p name=str:value`` (``-p score_threshold=float:0.5``: ``TRACK.LOST_SCORE``)."""
    return SiamTrackingFunction(resolve_config(config, lost_score_opts(score_threshold), weights=weights,
                                               device=device))
