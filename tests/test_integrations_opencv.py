"""OpenCV-style API (``siamtrack.create``) and packaged config names (``siamtrack.model_zoo``)."""
import os

import cv2
import numpy as np
import pytest

import siamtrack
from _integrations_common import CONFIG, save_untrained_weights
from conftest import REPO_ROOT
from siamtrack.integrations import SiamTrackerCV
from siamtrack.model_zoo import UnknownConfigError, get_config_file, list_configs
from siamtrack.utils.errors import InputError

BAG_BOX = (315, 140, 113, 115)  # the bag in frame 0 of bag.avi
FRAMES = 12


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return save_untrained_weights(tmp_path_factory.mktemp("weights") / "model.pth")


def _frames(video, n=FRAMES + 1):
    capture = cv2.VideoCapture(str(video))
    frames = [capture.read()[1] for _ in range(n)]
    capture.release()
    assert all(f is not None for f in frames)
    return frames


def _run(tracker, frames):
    tracker.init(frames[0], BAG_BOX)
    assert tracker.getTrackingScore() == 1.0
    out = []
    for frame in frames[1:]:
        ok, box = tracker.update(frame)
        out.append((ok, box, tracker.getTrackingScore()))
    return out


@pytest.mark.parametrize("name, relative", [
    ("siamrpnpp_r50", "siamrpnpp_r50.yaml"),
    ("siamrpn_alex", "siamrpn_alex.yaml"),
    ("siamrpnpp_mobilev2", "siamrpnpp_mobilev2.yaml"),
    ("siamrpnpp_r50.yaml", "siamrpnpp_r50.yaml"),
    ("siamrpn_r50_l234_dwxcorr", "pysot/siamrpn_r50_l234_dwxcorr.yaml"),
    ("pysot/siamrpn_r50_l234_dwxcorr.yaml", "pysot/siamrpn_r50_l234_dwxcorr.yaml"),
    ("siamrpn_r50_l234_dwxcorr_lt", "pysot/siamrpn_r50_l234_dwxcorr_lt.yaml"),
])
def test_config_names_resolve_to_packaged_files(name, relative):
    path = get_config_file(name)
    assert os.path.isabs(path) and os.path.isfile(path)
    assert path == str(REPO_ROOT / "configs" / relative)


def test_unknown_config_name_lists_the_known_ones():
    with pytest.raises(UnknownConfigError) as info:
        get_config_file("siamrpn_r101")
    message = str(info.value)
    assert isinstance(info.value, InputError) and "\n" not in message
    assert "siamrpn_r101" in message and "siamrpnpp_r50" in message
    assert "Base-SiamRPN" not in list_configs()  # a base of other configs, not a model
    with pytest.raises(InputError, match="unknown config"):
        siamtrack.create("siamrpn_r101")


def test_update_is_the_tracker_with_its_lost_signal(bag_video, weights):
    from siamtrack.integrations._common import make_tracker, resolve_config
    from siamtrack.tracking.target import LostRule

    frames = _frames(bag_video)
    tracker = siamtrack.create(CONFIG, weights=weights)
    assert isinstance(tracker, SiamTrackerCV) and siamtrack.create is siamtrack.integrations.create
    cfg = resolve_config(CONFIG, weights=weights)
    assert tracker.score_threshold == cfg.TRACK.LOST_SCORE  # TRACK.LOST_SCORE by default
    results = _run(tracker, frames)
    plain = make_tracker(cfg)
    plain.init(frames[0], BAG_BOX)
    for (ok, box, score), frame in zip(results, frames[1:]):
        expected = plain.track(frame)
        assert box == tuple(expected["bbox"]) and score == expected["score"]
        assert ok == (not expected["lost"])
    # ok is the tracker's "lost": the score threshold with hysteresis over TRACK.LOST_FRAMES
    scores = [score for _, _, score in results]
    low, high = min(scores), max(scores)
    n = int(cfg.TRACK.LOST_FRAMES)
    assert all(ok for ok, _, _ in _run(siamtrack.create(CONFIG, weights=weights, score_threshold=low), frames))
    above = _run(siamtrack.create(CONFIG, weights=weights, score_threshold=high + 1e-6), frames)
    assert [ok for ok, _, _ in above] == [i < n - 1 for i in range(FRAMES)]
    middle = float(np.median(scores))
    mixed = _run(siamtrack.create(CONFIG, weights=weights, opts=["TRACK.LOST_FRAMES", "2"],
                                  score_threshold=middle), frames)
    assert [not ok for ok, _, _ in mixed] == LostRule(middle, 2).replay(scores)


def test_long_term_ok_is_the_trackers_lost_state(bag_video, weights):
    low, high = 0.8, 0.9  # the untrained model's scores cross both on these frames
    tracker = siamtrack.create(CONFIG, weights=weights, opts=[
        "TRACK.TYPE", "SiamRPNLTTracker", "TRACK.CONFIDENCE_LOW", str(low),
        "TRACK.CONFIDENCE_HIGH", str(high)])
    frames = _frames(bag_video)
    results = _run(tracker, frames)
    lost = False
    for ok, _, score in results:  # docs: lost below LOW, found again above HIGH (float32)
        score32 = np.float32(score)
        lost = bool(score32 < np.float32(low) or (lost and not score32 > np.float32(high)))
        assert ok == (not lost)
    oks = [ok for ok, _, _ in results]
    assert True in oks and False in oks
    # A run that ends lost, then a new init: it starts afresh (not lost), so it repeats exactly.
    last_lost = max(i for i, ok in enumerate(oks) if not ok)
    frames = frames[:last_lost + 2]
    ending_lost = _run(tracker, frames)
    assert ending_lost == results[:last_lost + 1] and not ending_lost[-1][0]
    assert _run(tracker, frames) == ending_lost


def test_device_falls_back_to_cpu_without_gpu(weights):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the CUDA device is kept")
    tracker = siamtrack.create("siamrpn_alex", device=None)  # its config asks for cuda
    assert next(tracker.tracker.model.parameters()).device.type == "cpu"
