"""SiamMask's network against pysot's own outputs (``pysot_siammask_r50_l3/io.npz``): the raw
cls / loc / mask maps and the refine module's logits, within 1e-4 of the largest reference value."""
import numpy as np
import pytest
import torch
from detectron2.modeling import build_model

from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file
from siamtrack.config import load_config
from siamtrack.modeling import SiamMask

CONFIG = "pysot/siammask_r50_l3"
RELATIVE_TOL = 1e-4


def close(actual, expected):
    """Within RELATIVE_TOL of the reference's largest magnitude, element by element."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RELATIVE_TOL * np.abs(expected).max())


@pytest.fixture(scope="module")
def case(reference_dir):
    folder = reference_dir / "pysot_siammask_r50_l3"
    checkpoint, experiment = convert_pysot_checkpoint(load_pysot_file(folder / "weights.pth"))
    assert experiment == "siammask_r50_l3"
    model = build_model(load_config(CONFIG, ["MODEL.DEVICE", "cpu"]))
    model.load_state_dict(checkpoint["model"])
    io = dict(np.load(folder / "io.npz"))
    with torch.no_grad():
        state = model.eval().template(torch.from_numpy(io["template"]))
        lean = model.track(torch.from_numpy(io["search"]), state)
        model.mask_logits = True
        full = model.track(torch.from_numpy(io["search"]), state)
        model.mask_logits = False
    return {"model": model, "io": io, "state": state, "lean": lean, "full": full}


def test_packaged_config_builds_pysot_architecture(case):
    model = case["model"]
    assert isinstance(model, SiamMask)
    assert model.mask_head.head[3].out_channels == 63 * 63
    assert model.backbone.output_shape()["stem"].channels == 64 and not hasattr(model.backbone, "layer4")


def test_raw_maps_match_pysot(case):
    for key in ("cls", "loc", "mask"):
        close(case["full"][key].numpy(), case["io"][key])


def test_refine_logits_match_pysot(case):
    pos = tuple(int(v) for v in case["io"]["refine_pos"])
    with torch.no_grad():
        logits = case["model"].refine(case["full"], [pos])
    assert logits.shape == (1, 127 * 127)
    close(logits.numpy(), case["io"]["refine"])


def test_tracking_skips_the_unused_mask_logits(case):
    """By default track() leaves out the 3969-channel output; everything else is the same bits."""
    lean, full = case["lean"], case["full"]
    assert "mask" not in lean and set(full) - set(lean) == {"mask"}
    for key in lean:
        assert torch.equal(lean[key], full[key]), key


def test_refine_of_a_batch_is_each_sample_alone(case):
    """Each sample is refined at its own position, bit-identical to refining it alone."""
    two = {key: torch.cat([value, value.flip(-1)]) for key, value in case["lean"].items()}
    positions = [(12, 12), (3, 20)]
    with torch.no_grad():
        both = case["model"].refine(two, positions)
        alone = [case["model"].refine({k: v[i:i + 1] for k, v in two.items()}, [p]) for i, p in enumerate(positions)]
    assert torch.equal(both, torch.cat(alone))
    assert not torch.equal(both[0], both[1])
