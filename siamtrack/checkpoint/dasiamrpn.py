"""Official DaSiamRPN checkpoints (``SiamRPNBIG.model``, ``SiamRPNVOT.model``, ``SiamRPNOTB.model``
of foolwood/DaSiamRPN) as siamtrack state dicts (docs/model.md, "DaSiamRPN").

The official files are plain state dicts of its ``SiamRPN`` module (``code/net.py``):
``featureExtract.N`` (AlexNet-BN, the legacy ``features.N`` layout of siamtrack's backbone) and
the up-channel head ``conv_cls1`` / ``conv_r1`` (template), ``conv_cls2`` / ``conv_r2`` (search),
``regress_adjust``. The variant follows from the shapes: BIG is twice as wide (192 first-layer
channels, 512-channel head); VOT and OTB share one architecture (96 / 256) and differ only in
their tracker values, so the file name picks between them (``otb`` in it: OTB, else VOT).
"""
import re
from collections import OrderedDict

from ..utils.errors import InputError

__all__ = ["is_dasiamrpn_state_dict", "detect_dasiamrpn_variant", "rename_dasiamrpn_keys", "variant_config_name"]

_HEAD = {"conv_cls1": "template_cls_conv", "conv_r1": "template_loc_conv", "conv_cls2": "search_cls_conv",
         "conv_r2": "search_loc_conv", "regress_adjust": "loc_adjust"}
_KEY = re.compile(r"^(featureExtract\.\d+|conv_cls1|conv_r1|conv_cls2|conv_r2|regress_adjust)\."
                  r"(weight|bias|running_mean|running_var|num_batches_tracked)$")
# variant -> (first conv channels, head channels)
_WIDTHS = {"big": (192, 512), "small": (96, 256)}


def is_dasiamrpn_state_dict(state_dict):
    """Whether ``state_dict`` uses the official DaSiamRPN key names (``featureExtract.*`` and the
    ``conv_r1`` / ``conv_cls1`` head)."""
    return "featureExtract.0.weight" in state_dict and "conv_r1.weight" in state_dict


def detect_dasiamrpn_variant(state_dict, file_name=""):
    """``(variant, None)`` with ``variant`` ``"big"``, ``"vot"`` or ``"otb"`` from the keys and shapes
    (and, for VOT / OTB, which share an architecture, ``file_name``); ``(None, reason)`` with a
    one-line reason for anything else."""
    unknown = sorted(k for k in state_dict if not _KEY.match(k))
    if unknown:
        return None, f"not an official DaSiamRPN checkpoint: unexpected key {unknown[0]!r}"
    missing = [k for k in ("conv_r2.weight", "conv_cls1.weight") if k not in state_dict]
    if missing:
        return None, f"not an official DaSiamRPN checkpoint: no {missing[0]!r}"
    first, head = state_dict["featureExtract.0.weight"], state_dict["conv_r2.weight"]
    shape = (int(first.shape[0]), int(head.shape[0]))
    variant = next((name for name, widths in _WIDTHS.items() if widths == shape), None)
    r1 = tuple(state_dict["conv_r1.weight"].shape)
    if variant is None or r1 != (shape[1] * 4 * 5, shape[1], 3, 3) or tuple(first.shape[1:]) != (3, 11, 11):
        return None, (f"DaSiamRPN checkpoint of unknown width: first conv {tuple(first.shape)}, conv_r1 {r1} "
                      "(expected the official BIG 192/512 or VOT/OTB 96/256 models)")
    if variant == "big":
        return "big", None
    return ("otb" if "otb" in str(file_name).lower() else "vot"), None


def rename_dasiamrpn_keys(state_dict):
    """The official names as siamtrack's (``backbone.features.N.*``, ``rpn_head.*``), order kept."""
    out = OrderedDict()
    for key, value in state_dict.items():
        module, _, leaf = key.partition(".")
        if module == "featureExtract":
            out["backbone.features." + leaf] = value
        else:
            out[f"rpn_head.{_HEAD[module]}.{leaf}"] = value
    return out


def variant_config_name(variant):
    """The packaged config of an official variant (``dasiamrpn/siamrpn_<variant>.yaml``)."""
    if variant not in ("big", "vot", "otb"):
        raise InputError(f"unknown DaSiamRPN variant {variant!r}")
    return f"dasiamrpn/siamrpn_{variant}.yaml"
