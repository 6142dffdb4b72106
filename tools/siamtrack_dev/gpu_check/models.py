"""The GPU check's models and frames: pysot's reference AlexNet (converted) and seeded random
ResNet-50 / MobileNetV2 SiamRPN++ models, built once on the CPU and copied to each device.

A random network's BatchNorm layers hold the initial statistics (mean 0, variance 1), which do
not normalise anything: activations grow from layer to layer, overflow half precision and
make boxes meaningless. :func:`calibrate_batchnorm` sets them from real crops of ``bag.avi``
(one forward in training mode with a cumulative average), as training would, so that the
random models behave numerically like trained ones.
"""
import copy
import json
from dataclasses import dataclass

import numpy as np
import torch
from detectron2.modeling import build_model

from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file
from siamtrack.config import load_config
from siamtrack.model_zoo import get_config_file
from siamtrack.structures.boxes import init_center_size
from siamtrack.evaluation.speed import load_frames as _load_frames
from siamtrack.structures.crop import context_side, opencv_crops

__all__ = ["CheckModel", "MODEL_NAMES", "load_frames", "init_box", "model_config", "build_check_model",
           "calibrate_batchnorm", "crop_pairs", "crops_of", "device_copy"]

MODEL_NAMES = ("alexnet", "mobilenetv2", "resnet50")
SEED = 0

# name: (packaged config, overrides of the full check, overrides of the tiny dry run, the tiny
# stand-in's name; None: the same model)
_MODELS = {
    "alexnet": ("pysot/siamrpn_alex_dwxcorr", [], [], None),
    "mobilenetv2": ("siamrpnpp_mobilev2", [], [
        "MODEL.SIAM_MOBILENETV2.WIDTH_MULT", "0.35", "MODEL.SIAM_NECK.OUT_CHANNELS", "[32, 32, 32]",
        "TRACK.INSTANCE_SIZE", "191"], "mobilenetv2 x0.35"),
    "resnet50": ("siamrpnpp_r50", [], [
        "MODEL.SIAM_RESNET.DEPTH", "18", "MODEL.SIAM_NECK.OUT_CHANNELS", "[32, 32, 32]",
        "TRACK.INSTANCE_SIZE", "191"], "resnet18"),
}


@dataclass
class CheckModel:
    """A model of the check: its config (CPU) and the CPU model (eval, float32, unfused)."""

    name: str  # alexnet, mobilenetv2 or resnet50
    label: str  # what the report calls it (the tiny stand-ins say so)
    cfg: object
    model: torch.nn.Module


def load_frames(shared, count):
    """The first ``count`` frames of ``bag.avi`` (BGR uint8; looped if shorter), as the CPU speed
    benchmark reads them."""
    return _load_frames(str(shared.video), count)[0]


def init_box(shared):
    """The reference trajectory's init box of ``bag.avi`` (x, y, w, h)."""
    return json.loads((shared.reference / "track.json").read_text())["init_box"]


def model_config(name, tiny):
    """The config of model ``name`` (its tiny stand-in with ``tiny``), on the CPU."""
    config, full, small, _ = _MODELS[name]
    return load_config(get_config_file(config), list(small if tiny else full) + ["MODEL.DEVICE", "cpu"])


def crop_pairs(cfg, frames, shared):
    """Four template crops of bag.avi's frame 0 and their search crops in frame 1 (CPU tensors):
    the reference target and three others."""
    boxes = [init_box(shared), (40.0, 200.0, 80.0, 60.0), (200.0, 50.0, 40.0, 90.0), (300.0, 250.0, 120.0, 70.0)]
    return (crops_of(frames[0], boxes, cfg.TRACK.EXEMPLAR_SIZE, cfg.TRACK.CONTEXT_AMOUNT),
            crops_of(frames[1], boxes, cfg.TRACK.INSTANCE_SIZE, cfg.TRACK.CONTEXT_AMOUNT))


def crops_of(frame, boxes, size, context_amount):
    """Template-style crops (float32 NCHW, CPU) of ``boxes`` in ``frame``, ``size`` pixels square,
    of the window :func:`~siamtrack.structures.crop.context_side` scaled to ``size / 127``."""
    windows = []
    for box in boxes:
        center, wh = init_center_size(box)
        side = round(context_side(wh[0], wh[1], context_amount) * size / 127)
        windows.append((center, side, np.mean(frame, axis=(0, 1))))
    return opencv_crops(frame, windows, size, "cpu")


@torch.no_grad()
def calibrate_batchnorm(model, templates, searches):
    """Set every BatchNorm's running statistics to those of one training-mode forward of the
    ``templates`` / ``searches`` crops (cumulative average: momentum None). Returns ``model``
    in eval mode."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    model.track(searches, model.template(templates))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    return model.eval()


def build_check_model(name, shared, frames, tiny):
    """:class:`CheckModel` ``name`` on the CPU: the reference AlexNet with pysot's converted
    weights, or a seeded random model with calibrated BatchNorm statistics."""
    cfg = model_config(name, tiny)
    torch.manual_seed(SEED)
    model = build_model(cfg).eval()
    stand_in = _MODELS[name][3] if tiny else None
    prefix = f"{stand_in} (tiny, " if stand_in else f"{name} ("
    if name == "alexnet":
        checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(shared.reference / "weights.pth"),
                                                 get_config_file(_MODELS[name][0]))
        model.load_state_dict(checkpoint["model"])  # strict
        return CheckModel(name, prefix + "pysot reference)", cfg, model)
    calibrate_batchnorm(model, *crop_pairs(cfg, frames, shared))
    return CheckModel(name, prefix + "seeded)", cfg, model)


def device_copy(check_model, device, opts=()):
    """``(cfg, model)`` of ``check_model`` on ``device``: the config with ``MODEL.DEVICE`` and
    ``opts`` applied, and an unprepared copy of the CPU model (eval, float32, unfused)."""
    cfg = check_model.cfg.clone()
    cfg.defrost()
    cfg.merge_from_list(list(opts) + ["MODEL.DEVICE", str(device)])
    return cfg, copy.deepcopy(check_model.model).to(device).eval()
