"""Strict weight loading: a checkpoint must fit the model key for key and shape for shape.

detectron2's ``DetectionCheckpointer.load`` only logs missing or mis-shaped parameters and goes
on with the rest at their initial values, which for a tracker means boxes that look plausible
and are wrong. :func:`load_weights` reads the same files (a detectron2 checkpoint
``{"model": state_dict, ...}`` as ``DetectionCheckpointer`` writes it, or a bare state_dict such
as the converter's input) with ``torch.load(weights_only=True)`` and refuses any mismatch with
one line (:class:`WeightsError`); training may allow a partial load (``MODEL.SIAM_PARTIAL_LOAD``,
docs/training.md).
"""
from collections import OrderedDict

import torch

from ..utils.errors import InputError, first_line
from ..utils.fileio import file_kind

__all__ = ["WeightsError", "read_model_state", "non_finite_report", "mismatch_report", "load_weights"]

_SHOW = 5  # how many offending keys a report lists


class WeightsError(InputError):
    """``MODEL.WEIGHTS`` cannot be read or does not fit the model; one line meant for users."""


def _ignored(key):
    # BatchNorm's counter: absent from pysot's files, and never used in eval mode.
    return key.endswith("num_batches_tracked")


def read_model_state(path):
    """The model ``state_dict`` stored in ``path``: the ``"model"`` entry of a detectron2
    checkpoint, or the file itself when it is a bare mapping of names to tensors. A
    ``module.`` prefix (DataParallel) on every key is removed. Raises :class:`WeightsError`."""
    kind = file_kind(path)
    if kind in ("text", "empty", "binary"):  # torch.load would say "KeyError: 101" for text
        raise WeightsError(f"weights {path} are not a PyTorch checkpoint ({kind} file)")
    try:
        loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise WeightsError(f"weights file not found: {path}") from None
    except Exception as exc:  # noqa: BLE001 -- torch.load fails on foreign bytes in many ways (KeyError: 101 ...)
        raise WeightsError(f"cannot read weights {path}: {first_line(exc)}") from None
    state = loaded.get("model", loaded) if isinstance(loaded, dict) else None
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise WeightsError(f"{path} holds no model state_dict")
    if all(key.startswith("module.") for key in state):
        state = OrderedDict((key[len("module."):], value) for key, value in state.items())
    return state


def non_finite_report(state_dict):
    """Which floating-point tensors of ``state_dict`` hold NaN or infinity, as one phrase
    (``"NaN or infinity in 23 of 75 tensors (a, b, ...)"``), or ``""`` when all are finite."""
    bad = [key for key, value in state_dict.items()
           if torch.is_tensor(value) and value.is_floating_point() and not bool(torch.isfinite(value).all())]
    return f"NaN or infinity in {len(bad)} of {len(state_dict)} tensors ({_listing(bad)})" if bad else ""


def _listing(keys):
    return ", ".join(keys[:_SHOW]) + (", ..." if len(keys) > _SHOW else "")


def mismatch_report(state_dict, expected):
    """How ``state_dict`` fails to fit ``expected`` (a model's ``state_dict()``), as one phrase
    (``"2 missing (a, b); 1 mis-shaped (c [3] vs model [4])"``), or ``""`` when it fits.
    ``num_batches_tracked`` entries may be present or absent."""
    missing = [k for k in expected if k not in state_dict and not _ignored(k)]
    unexpected = [k for k in state_dict if k not in expected and not _ignored(k)]
    misshaped = [
        f"{k} {list(state_dict[k].shape)} vs model {list(expected[k].shape)}"
        for k in expected if k in state_dict and tuple(state_dict[k].shape) != tuple(expected[k].shape)
    ]
    problems = [f"{len(keys)} {what} ({_listing(keys)})"
                for what, keys in (("missing", missing), ("unexpected", unexpected), ("mis-shaped", misshaped))
                if keys]
    return "; ".join(problems)


def load_weights(model, path, allow_partial=False, partial_option=None):
    """Load ``path`` (a detectron2 checkpoint or a bare state_dict) into ``model`` strictly.

    Raises :class:`WeightsError` when the file cannot be read or leaves parameters missing,
    unexpected or mis-shaped (weights of another architecture); ``partial_option`` (a config
    key such as ``"MODEL.SIAM_PARTIAL_LOAD"``) is then named in the message as the way to load
    what fits. Weights holding NaN or infinity are refused too. With ``allow_partial`` a mismatch is no error: the tensors that fit (same name,
    same shape) are loaded and the others keep their values. Returns the mismatch report
    (:func:`mismatch_report`, ``""`` when everything fits).
    """
    state = read_model_state(path)
    broken = non_finite_report(state)
    if broken:  # a diverged training's checkpoint: every box would be NaN
        raise WeightsError(f"weights {path} hold {broken}: they come from a diverged training; use an "
                           "earlier checkpoint")
    expected = model.state_dict()
    report = mismatch_report(state, expected)
    if report and not allow_partial:
        hint = f"; or set {partial_option} True to load only the tensors that fit" if partial_option else ""
        raise WeightsError(
            f"weights {path} do not fit the model of this config ({report}): they are for another "
            "architecture; pass the matching --config-file, and convert pysot files with "
            f"siamtrack-convert{hint}")
    fitting = {key: value for key, value in state.items()
               if key in expected and tuple(value.shape) == tuple(expected[key].shape)}
    model.load_state_dict(fitting, strict=False)  # strict above, but for the ignored BatchNorm counters
    return report
