"""Convert pysot (SiamRPN++) checkpoints into detectron2 checkpoints of :class:`SiamRPN`.

siamtrack's modules use pysot's parameter names, so conversion is: unwrap the container, strip
a DataParallel ``module.`` prefix, rename AlexNet's legacy/layered backbone names when the
target layout differs, and check strictly that every tensor has a home of the right shape
(docs/model.md). The output ``{"model": state_dict, "__author__": "pysot",
"matching_heuristics": False}`` holds plain tensors only, so detectron2's
``DetectionCheckpointer`` (``MODEL.WEIGHTS``) loads it under ``torch.load(weights_only=True)``.
"""
import os
import re
from collections import OrderedDict
from pathlib import Path

import torch
from detectron2.config import get_cfg
from detectron2.modeling import META_ARCH_REGISTRY

from ..config import add_siamtrack_config
from ..model_zoo import get_config_file
from ..modeling.backbone import LEGACY_TO_LAYERED, SiamAlexNet
from ..utils.errors import InputError, first_line
from ..utils.fileio import atomic_write_with, check_outputs_spare_inputs, file_kind, is_special
from .dasiamrpn import detect_dasiamrpn_variant, is_dasiamrpn_state_dict, rename_dasiamrpn_keys, variant_config_name
from .loading import mismatch_report

__all__ = [
    "ConversionError", "load_pysot_file", "unwrap_state_dict", "detect_experiment",
    "rename_alexnet_layout", "convert_state_dict", "convert_pysot_checkpoint", "experiment_config_name",
    "experiment_config_path",
    "convert_pysot_file", "save_checkpoint",
]


class ConversionError(InputError):
    """A checkpoint that cannot be converted; the message is one line meant for users."""


NOT_A_CHECKPOINT = {"text": "a text file", "empty": "an empty file", "binary": "neither a zip archive nor a pickle"}


def load_pysot_file(path):
    """``torch.load`` a pysot checkpoint on the CPU with ``weights_only=True`` (no arbitrary code).

    A file that is not a PyTorch checkpoint at all (text, empty, other bytes:
    :func:`~siamtrack.utils.fileio.file_kind`) is reported as such, not by torch's unpickling
    error (``KeyError: 101`` for a text file)."""
    if not os.path.isfile(path):
        raise ConversionError(f"{path}: no such file")
    kind = file_kind(path)
    if kind in NOT_A_CHECKPOINT:
        raise ConversionError(f"{path} is not a PyTorch checkpoint ({NOT_A_CHECKPOINT[kind]})")
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 -- torch.load fails on damaged files in many ways
        raise ConversionError(f"{path}: cannot read this PyTorch checkpoint ({first_line(exc)})") from None


def _is_converted(obj):
    """A detectron2 / siamtrack checkpoint: ``{"model": state_dict, ...}`` (what this converter
    and ``DetectionCheckpointer`` write)."""
    return isinstance(obj, dict) and isinstance(obj.get("model"), dict) and (
        obj.get("__author__") == "pysot" or all(torch.is_tensor(v) for v in obj["model"].values()))


def unwrap_state_dict(obj):
    """The model ``state_dict`` inside ``obj``: a plain mapping, or the ``"state_dict"`` entry of a
    training snapshot; one leading ``module.`` (DataParallel) is stripped from each key."""
    if _is_converted(obj):
        raise ConversionError("this is already a converted siamtrack (detectron2) checkpoint ({'model': ...}): "
                              "use it directly as MODEL.WEIGHTS")
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj:
        raise ConversionError(f"expected a state_dict (mapping of names to tensors), got {type(obj).__name__}")
    out = OrderedDict()
    for key, value in obj.items():
        if not torch.is_tensor(value):
            raise ConversionError(f"entry {key!r} is a {type(value).__name__}, not a tensor: not a state_dict")
        out[key[len("module."):] if key.startswith("module.") else key] = value
    return out


def _check_model_checkpoint(state_dict):
    """Reject files that are not SiamRPN model checkpoints with a specific reason."""
    if not any(k.startswith("backbone.") for k in state_dict):
        hint = " (legacy backbone-only 'features.' file)" if any(k.startswith("features.") for k in state_dict) else ""
        raise ConversionError(
            f"no 'backbone.' keys{hint}: this is a pretrained backbone, not a pysot model checkpoint; "
            "use it as MODEL.SIAM_PRETRAINED for training instead"
        )


def detect_experiment(state_dict):
    """Name of the pysot experiment whose architecture matches the keys (e.g. "siamrpn_alex_dwxcorr").

    Weighted ResNet-50 models are reported as ``siamrpn_r50_l234_dwxcorr`` (``_lt`` when the neck
    outputs 128/256/512 channels), unweighted ones as ``..._otb``. AlexNet ``_otb`` models share the
    architecture of ``siamrpn_alex_dwxcorr``. Checkpoints with ``mask_head`` / ``refine_head`` keys
    are SiamMask's ``siammask_r50_l3``.
    """
    _check_model_checkpoint(state_dict)
    first = state_dict.get("backbone.features.0.weight", state_dict.get("backbone.layer1.0.weight"))
    if first is not None and first.dim() == 4 and tuple(first.shape[2:]) == (11, 11):
        return "siamrpn_alex_dwxcorr"
    if "backbone.layer0.0.weight" in state_dict:
        return "siamrpn_mobilev2_l234_dwxcorr"
    if any(k.startswith(("mask_head.", "refine_head.")) for k in state_dict):
        return "siammask_r50_l3"
    if "backbone.conv1.weight" in state_dict and any(k.startswith("backbone.layer4.") for k in state_dict):
        neck = [state_dict.get(f"neck.downsample{i}.downsample.0.weight") for i in (2, 3, 4)]
        if any(w is None for w in neck):
            raise ConversionError("ResNet checkpoint without a 3-level neck: architecture not recognised; "
                                  "pass --config-file")
        if [int(w.shape[0]) for w in neck] == [128, 256, 512]:
            return "siamrpn_r50_l234_dwxcorr_lt"
        weighted = "rpn_head.cls_weight" in state_dict
        return "siamrpn_r50_l234_dwxcorr" if weighted else "siamrpn_r50_l234_dwxcorr_otb"
    raise ConversionError("cannot recognise the architecture from the keys; pass --config-file")


def experiment_config_name(experiment):
    """The packaged config name of a pysot experiment (``pysot/<experiment>.yaml``; a name with a
    folder, as ``dasiamrpn/siamrpn_big``, is kept): what ``--config-file`` and
    ``siamtrack.model_zoo`` accept from any folder."""
    return f"{experiment}.yaml" if "/" in experiment else f"pysot/{experiment}.yaml"


def experiment_config_path(experiment):
    """Path of the packaged config of a pysot experiment (``configs/pysot/<experiment>.yaml``)."""
    return Path(get_config_file(experiment_config_name(experiment)))


def rename_alexnet_layout(state_dict, layout, prefix="backbone."):
    """Rename AlexNet backbone keys to ``layout`` ("legacy" ``features.N`` or "layered" ``layerL.j``).

    Only keys starting with ``prefix`` (``"backbone."`` in a model, ``""`` in a backbone-only file)
    are renamed; the others pass through.
    """
    if layout == "layered":
        mapping = {f"{prefix}features.{i}.": f"{prefix}{name}." for i, name in LEGACY_TO_LAYERED.items()}
        pattern = re.compile("^" + re.escape(prefix) + r"features\.\d+\.")
    else:
        mapping = {f"{prefix}{name}.": f"{prefix}features.{i}." for i, name in LEGACY_TO_LAYERED.items()}
        pattern = re.compile("^" + re.escape(prefix) + r"layer\d\.\d\.")
    out = OrderedDict()
    for key, value in state_dict.items():
        match = pattern.match(key)
        if match and match.group(0) in mapping:
            key = mapping[match.group(0)] + key[match.end():]
        out[key] = value
    return out


def convert_state_dict(state_dict, model):
    """Strictly map ``state_dict`` (pysot names) onto ``model``'s ``state_dict`` keys.

    ``num_batches_tracked`` entries may be present or absent (absent ones are filled from the
    model). Raises :class:`ConversionError` listing missing, unexpected and mis-shaped keys.
    Returns an ordered dict of contiguous tensors in the model's key order and dtypes.
    """
    if isinstance(getattr(model, "backbone", None), SiamAlexNet):
        state_dict = rename_alexnet_layout(state_dict, model.backbone.layout)
    expected = model.state_dict()
    report = mismatch_report(state_dict, expected)
    if report:
        raise ConversionError("checkpoint does not match the model: " + report)
    out = OrderedDict()
    for key, ref in expected.items():
        value = state_dict[key] if key in state_dict else ref
        out[key] = value.detach().to(dtype=ref.dtype).clone().contiguous()
    return out


def _build_model(cfg, config_file):
    try:
        # built directly: no device placement, CPU only
        return META_ARCH_REGISTRY.get(cfg.MODEL.META_ARCHITECTURE)(cfg).eval()
    except (ValueError, KeyError, AssertionError, TypeError) as exc:  # bad names / sizes in the config
        raise ConversionError(f"{config_file}: cannot build the model ({first_line(exc)})") from None


def _load_cfg(config_file):
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    try:
        path = str(config_file)
        cfg.merge_from_file(path if os.path.isfile(path) else get_config_file(path))  # a path or a packaged name
    except Exception as exc:  # yacs raises KeyError/AssertionError/OSError with multi-line text
        raise ConversionError(f"{config_file}: cannot load the config ({first_line(exc)})") from None
    return cfg


def convert_pysot_checkpoint(obj, config_file=None, file_name=""):
    """Convert a loaded pysot (or official DaSiamRPN) checkpoint object.

    Args:
        obj: what ``torch.load`` returned (state_dict, snapshot wrapper, ``module.`` keys).
        config_file: siamtrack YAML of the architecture; detected from the keys when None.
        file_name: the checkpoint's file name (tells DaSiamRPN's VOT model from its OTB one).

    Returns:
        ``(checkpoint, experiment)``: the detectron2 checkpoint dict and the detected pysot
        experiment name (None when ``config_file`` was given).
    """
    state_dict = unwrap_state_dict(obj)
    experiment = None
    if is_dasiamrpn_state_dict(state_dict):  # the official DaSiamRPN files (checkpoint/dasiamrpn.py)
        variant, problem = detect_dasiamrpn_variant(state_dict, file_name)
        if problem:
            raise ConversionError(problem)
        state_dict = rename_dasiamrpn_keys(state_dict)
        if config_file is None:
            experiment = variant_config_name(variant)[: -len(".yaml")]
            config_file = get_config_file(variant_config_name(variant))
    _check_model_checkpoint(state_dict)
    if config_file is None:
        experiment = detect_experiment(state_dict)
        config_file = experiment_config_path(experiment)
    model = _build_model(_load_cfg(config_file), config_file)
    checkpoint = {"model": convert_state_dict(state_dict, model), "__author__": "pysot",
                  "matching_heuristics": False}
    return checkpoint, experiment


def save_checkpoint(checkpoint, path):
    """``torch.save`` ``checkpoint`` to ``path`` atomically: a finished file or none at all.

    Written under a temporary name beside ``path`` (opened like any new file, so its mode
    honours the umask) and renamed. Raises :class:`ConversionError` with one line when ``path``
    cannot be written (missing or read-only folder, a directory of that name, a full disk).
    """
    path = Path(path)
    if is_special(path):  # /dev/null, a FIFO: written directly, never replaced by a file (utils/fileio.py)
        return atomic_write_with(path, lambda f: torch.save(checkpoint, f), binary=True)
    if path.is_dir():
        raise ConversionError(f"cannot write {path}: it is a folder")
    if not path.parent.is_dir():
        raise ConversionError(f"cannot write {path}: the folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "xb") as f:
            torch.save(checkpoint, f)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # a read-only file system refuses even removing a file that is not there
            pass
        if isinstance(exc, OSError):  # the reason, not the temporary name
            raise ConversionError(f"cannot write {path}: {exc.strerror or first_line(exc)}") from None
        if isinstance(exc, RuntimeError):  # torch reports write failures (a full disk) as RuntimeError
            raise ConversionError(f"cannot write {path}: {first_line(exc).replace(str(tmp), str(path))}") from None
        raise


def convert_pysot_file(input_path, output_path, config_file=None):
    """Convert the pysot checkpoint file ``input_path`` and save it to ``output_path``.

    Returns ``(num_tensors, config)``: the number of converted tensors and the config to use
    with them: ``config_file`` itself, or the detected experiment's packaged config name
    (:func:`experiment_config_name`, valid from any folder).
    An ``output_path`` that is the input (or the config) is refused before anything is read.
    """
    check_outputs_spare_inputs([("output", output_path)], [("input", input_path), ("--config-file", config_file)])
    checkpoint, experiment = convert_pysot_checkpoint(load_pysot_file(input_path), config_file,
                                                      os.path.basename(input_path))
    save_checkpoint(checkpoint, output_path)
    return len(checkpoint["model"]), (config_file if experiment is None else experiment_config_name(experiment))
