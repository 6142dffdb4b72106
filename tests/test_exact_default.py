"""Every packaged pysot config tracks by default what pysot computes (docs/tracking.md,
"Exactness and speed options").

The stand-in for pysot is the plain eager model (built, weights loaded, nothing folded or
re-laid out) fed NCHW-contiguous crops: on pysot's saved crops it gives pysot's raw maps bit for
bit, and the two pysot trajectories of ``../shared/reference`` (AlexNet, MobileNetV2) are matched
by the default path in ``tests/test_tracker_reference.py``. Here each config runs on seeded
weights (BatchNorm statistics randomised, so that folding them would show) over frames of
``bag.avi``, once through ``build_tracker(cfg)`` with the default settings and once around the
plain eager model, and must give the same boxes (<= 0.01 px; in fact equal) and bit-identical
raw maps on every frame.
"""
import cv2
import numpy as np
import pytest
import torch
from detectron2.modeling import build_model

from siamtrack.config import load_config
from siamtrack.tracking import build_tracker

# Frames per config: every frame's maps are compared bit for bit, so a few frames of the costly
# ResNet-50 models (about 0.3 s each on the CPU, 10x that on the long-term 831 search) prove the
# same as 100, while the cheap AlexNet runs the full 100.
CONFIGS = {
    "pysot/siamrpn_alex_dwxcorr": 100,
    "pysot/siamrpn_alex_dwxcorr_otb": 30,
    "pysot/siamrpn_mobilev2_l234_dwxcorr": 20,
    "pysot/siamrpn_r50_l234_dwxcorr": 8,
    "pysot/siamrpn_r50_l234_dwxcorr_otb": 4,
    "pysot/siamrpn_r50_l234_dwxcorr_lt": 4,
    "pysot/siammask_r50_l3": 4,
}
BOX = (315.0, 140.0, 113.0, 115.0)  # the bag in frame 0


class PlainModel:
    """The eager model fed NCHW-contiguous crops, its ``track`` maps recorded."""

    def __init__(self, model):
        self.model, self.maps = model, []

    def template(self, z):
        """pysot's template branch on a contiguous crop."""
        with torch.no_grad():
            return self.model.template(z.contiguous())

    def track(self, x, state):
        """pysot's search branch on a contiguous crop; the maps are recorded."""
        with torch.no_grad():
            out = self.model.track(x.contiguous(), state)
        self.maps.append({k: v.clone() for k, v in out.items()})
        return out

    def refine(self, outputs, positions):
        """SiamMask's refine module (pysot's ``mask_refine``), for its tracker."""
        with torch.no_grad():
            return self.model.refine(outputs, positions)


def seeded_weights(cfg, path):
    """A seeded model of ``cfg`` with randomised BatchNorm statistics, saved to ``path``."""
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    gen = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.running_mean.shape, generator=gen) * 0.1)
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=gen) + 0.5)
    torch.save({"model": model.state_dict()}, path)
    return model


@pytest.fixture(scope="module")
def frames(bag_video):
    capture = cv2.VideoCapture(str(bag_video))
    read = [capture.read()[1] for _ in range(max(CONFIGS.values()) + 1)]
    capture.release()
    return read


def run(tracker, frames, maps):
    tracker.init(frames[0], BOX)
    return np.array([tracker.track(frame)["bbox"] for frame in frames[1:]]), maps


def default_and_plain(config, frames, tmp_path, opts=()):
    cfg = load_config(config, ["MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", str(tmp_path / "w.pth"), *opts])
    eager = seeded_weights(cfg, tmp_path / "w.pth")
    default = build_tracker(cfg)
    recorded = []
    track = default.model.track
    default.model.track = lambda x, s: recorded.append({k: v.clone() for k, v in track(x, s).items()}) or recorded[-1]
    plain = PlainModel(eager)
    return run(default, frames, recorded), run(build_tracker(cfg, plain), frames, plain.maps)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_default_path_computes_what_the_plain_eager_model_computes(config, frames, tmp_path):
    (boxes, maps), (plain_boxes, plain_maps) = default_and_plain(config, frames[: CONFIGS[config] + 1], tmp_path)
    np.testing.assert_allclose(boxes, plain_boxes, rtol=0, atol=0.01)
    assert np.array_equal(boxes, plain_boxes)
    assert len(maps) == len(plain_maps) == CONFIGS[config]
    for i, (ours, theirs) in enumerate(zip(maps, plain_maps)):
        for key in theirs:
            assert torch.equal(ours[key], theirs[key]), f"frame {i + 1}: {key} differs"


def test_folding_is_opt_in_because_it_changes_the_maps(frames, tmp_path):
    """What the test above would catch: with TRACK.FUSE_CONV_BN the maps are no longer pysot's."""
    (_, maps), (_, plain_maps) = default_and_plain("pysot/siamrpn_alex_dwxcorr", frames[:3], tmp_path,
                                                   ["TRACK.FUSE_CONV_BN", "True"])
    assert not torch.equal(maps[0]["cls"], plain_maps[0]["cls"])
