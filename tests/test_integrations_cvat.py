"""The CVAT tracking function, called the way CVAT's agent calls it, on frames of bag.avi (no
server): the ``cvat_sdk.auto_annotation`` interface directly, and ``cvat-cli``'s own function
loader and worker jobs (``-p`` parameters, state ids) when cvat-cli is installed."""
import pickle

import cv2
import numpy as np
import PIL.Image
import pytest

from _integrations_common import CONFIG, save_untrained_weights

cvataa = pytest.importorskip("cvat_sdk.auto_annotation",
                             reason="needs cvat-sdk: pip install 'siamtrack[cvat]'")

from siamtrack.integrations import cvat  # noqa: E402

FRAMES = 8
SHAPES = [[315.0, 140.0, 428.0, 255.0], [40.0, 200.0, 120.0, 260.0]]  # xtl, ytl, xbr, ybr


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return save_untrained_weights(tmp_path_factory.mktemp("weights") / "model.pth")


@pytest.fixture(scope="module")
def frames(bag_video):
    capture = cv2.VideoCapture(str(bag_video))
    out = [capture.read()[1] for _ in range(FRAMES)]
    capture.release()
    return out  # BGR


def _pil(frame):
    return PIL.Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))


def _plain_points(weights, frames, points):
    """Corner points per frame of siamtrack's tracker run directly on the BGR frames."""
    from siamtrack.integrations._common import make_tracker, resolve_config

    tracker = make_tracker(resolve_config(CONFIG, weights=weights, device="cpu"))
    x1, y1, x2, y2 = points
    tracker.init(frames[0], (x1, y1, x2 - x1, y2 - y1))
    out = []
    for frame in frames[1:]:
        x, y, w, h = tracker.track(frame)["bbox"]
        out.append([x, y, x + w, y + h])
    return out


def _track_all(function, frames, shapes):
    """The agent's sequence: init each shape on frame 0, then every shape on each later frame."""
    context = None  # the interface's contexts carry nothing the function reads
    image = function.preprocess_image(context, _pil(frames[0]))
    states = [function.init_tracking_state(context, image, cvataa.TrackableShape(type="rectangle",
                                                                                 points=p))
              for p in shapes]
    tracked = [[] for _ in shapes]
    for frame in frames[1:]:
        image = function.preprocess_image(context, _pil(frame))
        for i, state in enumerate(states):
            tracked[i].append(function.track(context, image, state))
    return tracked, states


def test_interface_returns_the_trackers_rectangles_frame_by_frame(weights, frames):
    function = cvat.create(config=CONFIG, weights=weights, device="cpu", score_threshold=0.0)
    assert isinstance(function.spec, cvataa.TrackingFunctionSpec)
    assert function.spec.supported_shape_types == frozenset({"rectangle"})
    tracked, _ = _track_all(function, frames, SHAPES)
    for shapes, start in zip(tracked, SHAPES):
        assert len(shapes) == FRAMES - 1
        for shape in shapes:
            assert isinstance(shape, cvataa.TrackableShape) and shape.type == "rectangle"
            xtl, ytl, xbr, ybr = shape.points
            assert np.isfinite(shape.points).all() and xbr > xtl and ybr > ytl
        # shapes are independent and follow the frames in order: each is the plain tracker's
        # trajectory of that shape alone
        assert [s.points for s in shapes] == _plain_points(weights, frames, start)


def test_lost_target_gives_none_and_the_state_keeps_tracking(weights, frames):
    from siamtrack.integrations._common import resolve_config

    # the tracker's "lost": lost after TRACK.LOST_FRAMES (here 2) frames below TRACK.LOST_SCORE
    # (the function's score_threshold), found again after 2 frames at or above it
    function = cvat.SiamTrackingFunction(resolve_config(
        CONFIG, ["TRACK.LOST_FRAMES", "2"], weights=weights, device="cpu"))
    function.score_threshold = 1.01
    tracked, states = _track_all(function, frames[:4], SHAPES[:1])  # frames 1, 2, 3
    plain = _plain_points(weights, frames, SHAPES[0])  # plain[i]: frame i + 1
    assert [s.points if s else None for s in tracked[0]] == [plain[0], None, None]
    function.score_threshold = 0.0
    later = [function.track(None, function.preprocess_image(None, _pil(f)), states[0]) for f in frames[4:6]]
    assert later[0] is None and later[1].points == plain[4]  # the state kept tracking meanwhile
    assert cvat.create(config=CONFIG, weights=weights, score_threshold=0.3).score_threshold == 0.3
    default = cvat.create(config=CONFIG, weights=weights)
    assert default.score_threshold == pytest.approx(float(default.cfg.TRACK.LOST_SCORE))


def test_state_pickles_without_the_network_and_continues_elsewhere(weights, frames):
    function = cvat.create(config=CONFIG, weights=weights, device="cpu", score_threshold=0.0)
    _, (state,) = _track_all(function, frames[:4], SHAPES[:1])
    blob = pickle.dumps(state)
    assert len(blob) < 1_000_000 and state.tracker.model is function.model  # original untouched
    restored = pickle.loads(blob)
    assert restored.tracker.model is None
    other = cvat.create(config=CONFIG, weights=weights, device="cpu", score_threshold=0.0)
    for frame in frames[4:]:
        image = other.preprocess_image(None, _pil(frame))
        assert other.track(None, image, restored) == function.track(None, image, state)


def test_cvat_cli_loads_and_drives_the_function(weights, frames):
    agent = pytest.importorskip("cvat_cli._internal.agent_driver_tracking",
                                reason="needs cvat-cli: pip install 'siamtrack[cvat]'")
    from cvat_cli._internal.agent_driver import set_worker_current_function
    from cvat_cli._internal.common import FunctionLoader

    # what `--function-module siamtrack.integrations.cvat -p config=str:... -p ...` loads
    loader = FunctionLoader("siamtrack.integrations.cvat", None, {
        "config": CONFIG, "weights": weights, "device": "cpu", "score_threshold": 0.0})
    function = loader.load()
    assert agent.AgentTrackingFunctionDriver.get_remote_function_fields(function.spec) == {
        "supported_shape_types": ["rectangle"]}
    set_worker_current_function(function)
    ids = iter(f"state-{i}" for i in range(10))
    agent.AgentTrackingFunctionDriver.init_worker(lambda: next(ids))
    shapes = [cvataa.TrackableShape(type="rectangle", points=p) for p in SHAPES]
    states = agent._worker_job_init_tracking(7, _pil(frames[0]), shapes)
    assert states == ["state-0", "state-1"]
    tracked = [agent._worker_job_track(7, _pil(frame), states) for frame in frames[1:]]
    for i, start in enumerate(SHAPES):
        assert [t[i].points for t in tracked] == _plain_points(weights, frames, start)
