"""pysot's seeded siamrpn_alex_dwxcorr model: conversion reproduces its raw head outputs."""
import importlib.util

import numpy as np
import pytest
import torch
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.config import get_cfg

from conftest import REPO_ROOT
from siamtrack import add_siamtrack_config
from siamtrack.modeling import SiamRPN, concat_states

spec = importlib.util.spec_from_file_location("convert_pysot_weights", REPO_ROOT / "tools" / "convert_pysot_weights.py")
convert_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(convert_tool)


@pytest.fixture(scope="module")
def converted(reference_dir, tmp_path_factory):
    """The reference weights converted by the command-line tool (architecture auto-detected)."""
    out = tmp_path_factory.mktemp("alex") / "siamrpn_alex.pth"
    assert convert_tool.main([str(reference_dir / "pysot_siamrpn_alex_dwxcorr" / "weights.pth"), str(out)]) == 0
    return out


def _model():
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    cfg.merge_from_file(str(REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml"))
    return SiamRPN(cfg).eval()


def _assert_reproduces(model, io):
    with torch.no_grad():
        out = model.track(torch.from_numpy(io["search"]), model.template(torch.from_numpy(io["template"])))
    for key in ("cls", "loc"):
        ref = io[key]
        assert out[key].shape == ref.shape
        diff = np.abs(out[key].numpy() - ref).max()
        assert diff <= 1e-4 * np.abs(ref).max(), f"{key}: max abs diff {diff}"
    return out


def test_converted_weights_reproduce_reference_outputs(reference_dir, converted, capsys):
    io = np.load(reference_dir / "pysot_siamrpn_alex_dwxcorr" / "io.npz")
    checkpoint = torch.load(converted, weights_only=True)  # plain tensors only
    assert checkpoint["__author__"] == "pysot" and checkpoint["matching_heuristics"] is False
    model = _model()
    model.load_state_dict(checkpoint["model"])  # strict
    _assert_reproduces(model, io)


def test_detection_checkpointer_loads_converted_file(reference_dir, converted):
    io = np.load(reference_dir / "pysot_siamrpn_alex_dwxcorr" / "io.npz")
    model = _model()
    result = DetectionCheckpointer(model).load(str(converted))
    assert result == {} or "model" not in result  # nothing but the weights in the file
    out = _assert_reproduces(model, io)
    decoded = model.decode(out, 287)
    assert decoded["scores"].shape == (1, 5 * 21 * 21) and decoded["boxes"].shape == (1, 5 * 21 * 21, 4)
    assert torch.allclose(decoded["scores"][0, :5], torch.softmax(out["cls"].reshape(2, -1), 0)[1, :5])


@pytest.mark.parametrize("threads,batch", [(2, 3), (1, 16)])
def test_batched_track_equals_per_sample_track(converted, threads, batch):
    """A batch of per-template states concatenated gives each sample its batch-of-one outputs
    bit for bit (the tracker's multi-target promise; on one thread from batch 16 ATen would
    switch the 1x1 convs to another kernel), and the state holds the head kernels."""
    model = _model()
    DetectionCheckpointer(model).load(str(converted))
    gen = torch.Generator().manual_seed(0)
    z = torch.rand(batch, 3, 127, 127, generator=gen) * 255
    x = torch.rand(batch, 3, 287, 287, generator=gen) * 255
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            states = [model.template(z[i:i + 1]) for i in range(batch)]
            batched = model.track(x, concat_states(states))
            single = [model.track(x[i:i + 1], states[i]) for i in range(batch)]
    finally:
        torch.set_num_threads(previous)
    assert set(states[0]["kernels"]) == {"cls", "loc"}
    assert states[0]["kernels"]["cls"].shape == (1, 256, 4, 4)
    for key in ("cls", "loc"):
        assert torch.equal(batched[key], torch.cat([s[key] for s in single]))
