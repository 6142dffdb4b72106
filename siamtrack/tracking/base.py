"""What every tracker shares: its targets, their crops and the network calls.

Frames are BGR ``uint8`` HxWx3 numpy arrays as OpenCV reads them (grey and BGRA frames are
converted, see :func:`~siamtrack.utils.frames.normalize_frame`); boxes are ``(x, y, w, h)``
in 0-based pixels. Several targets share one tracker: their search crops go through the
network as one batch, and each target's boxes are those it would get tracked alone.
"""
from collections import OrderedDict, namedtuple
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn as nn

from ..modeling.state import concat_states
from ..structures.boxes import init_center_size
from ..structures.crop import context_side, opencv_crops, torch_crops
from ..utils.frames import normalize_frame
from .registry import TRACKER_REGISTRY, build_tracker
from .target import LostRule, Target, TrackerInputError, is_single_box, validate_box

__all__ = ["BaseTracker", "SearchPlan"]

SearchPlan = namedtuple("SearchPlan", ["instance_size", "sides", "info"])
SearchPlan.__doc__ = """One target's search in a frame: ``sides`` (ints) of the windows cropped around its centre,
each resized to ``instance_size``, and tracker-specific ``info`` for the update."""


def _device_and_dtype(model):
    """Where the model's inputs go: the model's own ``device`` and ``dtype`` (a
    :class:`~siamtrack.modeling.SiamRPN`, an :class:`~siamtrack.export.OnnxSiamModel`), else
    those of the first parameter of an ``nn.Module``, else CPU float32."""
    device, dtype = getattr(model, "device", None), getattr(model, "dtype", None)
    if (device is None or dtype is None) and isinstance(model, nn.Module):
        param = next(model.parameters(), None)
        if param is not None:
            device, dtype = device or param.device, dtype or param.dtype
    return torch.device(device or "cpu"), dtype or torch.float32


class BaseTracker:
    """Base of the trackers of :data:`~siamtrack.tracking.TRACKER_REGISTRY`.

    ``model`` is any object with ``template(z) -> state`` and ``track(x, state) -> dict of raw
    maps`` (a :class:`~siamtrack.modeling.SiamRPN`, or an ONNX Runtime model with the same
    methods) whose states are nests of dicts, lists and tuples of tensors with the batch on dim
    0; it is used as given (put in eval mode, not fused or converted: see
    :func:`~siamtrack.tracking.build_tracker`). Subclasses implement :meth:`_plan` (the search
    windows of a target) and :meth:`_step` (the update from the network's maps).

    Every result is ``{"bbox": [x, y, w, h], "score": float, "lost": bool}``; ``lost`` follows
    :class:`~siamtrack.tracking.target.LostRule` (``TRACK.LOST_SCORE`` / ``LOST_FRAMES``)
    unless the tracker keeps its own lost state (the long-term tracker). Single target::

        tracker.init(frame, (x, y, w, h))
        out = tracker.track(frame)          # {"bbox": [x, y, w, h], "score": float, "lost": bool}

    Several targets: ``init(frame, [box, box, ...])`` or ``add_target(frame, box)`` (returns the
    target id); ``track`` then returns a list of results with ``"target_id"`` added, in id
    order, until the next ``init`` with one box -- also when ``remove_target`` leaves one
    (docs/tracking.md, "Several targets"). :meth:`track_targets` always returns
    ``{target_id: result}``.
    """

    def __init__(self, model, cfg):
        """Wrap ``model`` (see class doc) with the tracker settings of ``cfg.TRACK``."""
        registered = TRACKER_REGISTRY.get(cfg.TRACK.TYPE) if cfg.TRACK.TYPE in TRACKER_REGISTRY else None
        if registered is not None and not isinstance(self, registered):
            raise TypeError(f"{type(self).__name__} cannot run TRACK.TYPE {cfg.TRACK.TYPE!r}; build "
                            "trackers with siamtrack.tracking.build_tracker(cfg, model)")
        self.model = model.eval() if hasattr(model, "eval") else model
        track = cfg.TRACK
        self.exemplar_size = int(track.EXEMPLAR_SIZE)
        self.instance_size = int(track.INSTANCE_SIZE)
        self.context_amount = float(track.CONTEXT_AMOUNT)
        self.device, self.input_dtype = _device_and_dtype(model)
        self.channels_last = bool(track.CHANNELS_LAST)
        self.gpu_crop = self.device.type == "cuda" and bool(track.GPU_CROP)
        self.batch_targets = bool(track.BATCH_TARGETS)
        self.cpu_bf16 = bool(track.BF16) and self.device.type == "cpu" and isinstance(model, nn.Module)
        self.lost_rule = LostRule(track.LOST_SCORE, track.LOST_FRAMES)
        self._several = False  # track() returns a list: init got a list of boxes, or add_target
        self.timer = None  # a StageTimer to account crop, network and decode time (benchmarks)
        self._targets = OrderedDict()
        self._next_id = 0
        self._states = {}

    @classmethod
    def from_config(cls, cfg):
        """Deprecated alias (kept for one release) of :func:`~siamtrack.tracking.build_tracker`
        ``(cfg)``: builds the model of ``cfg`` and the tracker of ``cfg.TRACK.TYPE``, whatever
        class it is called on."""
        return build_tracker(cfg)

    # ------------------------------------------------------------------ targets
    @property
    def target_ids(self):
        """Ids of the tracked targets, in the order they were added."""
        return list(self._targets)

    def init(self, frame, box):
        """Forget all targets and start tracking ``box`` (x, y, w, h) in ``frame``.

        ``box`` may also be a list of boxes (several targets). Returns the target id (0), or the
        list of ids for a list of boxes; :meth:`track` then returns one result, or a list.
        """
        single = is_single_box(box)
        boxes = [box] if single else list(box)
        if not boxes:
            raise TrackerInputError("init needs at least one box")
        frame = normalize_frame(frame)
        boxes = [validate_box(b, frame.shape) for b in boxes]
        previous = list(self._targets.values())
        self._targets.clear()
        self._states.clear()
        self._next_id = 0
        ids = [self._add(frame, b) for b in boxes]
        self._inherit(previous, list(self._targets.values()))
        self._several = not single
        return ids[0] if single else ids

    def _inherit(self, previous, targets):
        """Hook: carry state of the targets before :meth:`init` over to the new ones (none here)."""

    def add_target(self, frame, box):
        """Start tracking one more target ``box`` (x, y, w, h) from ``frame``; returns its id.
        From now on :meth:`track` returns a list (until an ``init`` with one box)."""
        frame = normalize_frame(frame)
        target_id = self._add(frame, validate_box(box, frame.shape))
        self._several = True
        return target_id

    def remove_target(self, target_id):
        """Stop tracking ``target_id`` (what :meth:`track` returns keeps its form)."""
        del self._targets[target_id]
        self._states.clear()

    def is_lost(self, target_id=None):
        """Whether target ``target_id`` (default: the first one) is lost after the last
        :meth:`track` -- its last result's ``"lost"`` (False right after ``init``, except for
        the long-term tracker, whose lost state survives ``init`` as in pysot)."""
        if not self._targets:
            raise RuntimeError("no target: call init(frame, box) first")
        key = next(iter(self._targets)) if target_id is None else target_id
        return bool(self._targets[key].lost)

    def _add(self, frame, box):
        center, size = init_center_size(box)
        side = round(context_side(size[0], size[1], self.context_amount))
        average = np.mean(frame, axis=(0, 1))
        # Crops come with NHWC strides; the template has always been fed NCHW-contiguous, and the
        # layout selects the conv kernel (so the rounding): keep it.
        template = self._crops(frame, [(center, side, average)], self.exemplar_size).contiguous()
        # Alone, not batched with other targets: the template branch then computes exactly what
        # a single-target tracker computes (its convs are not batch-invariant on the CPU).
        with torch.inference_mode(), self._precision():
            state = self.model.template(self._prepare_input(template))
        target_id = self._next_id
        self._next_id += 1
        self._targets[target_id] = self._new_target(center, size, average, state)
        self._states.clear()
        return target_id

    def _new_target(self, center, size, average, state):
        """Hook: the state object of a new target."""
        return Target(center, size, average, state)

    # ------------------------------------------------------------------ tracking
    def track(self, frame):
        """Track every target into ``frame``.

        After ``init(frame, box)``: ``{"bbox": [x, y, w, h], "score": float, "lost": bool}``.
        After ``init(frame, [boxes])`` or an ``add_target``: a list of such dicts with
        ``"target_id"`` added, in id order (also with one target left).
        """
        results = self.track_targets(frame)
        if not self._several:
            return next(iter(results.values()))
        return [dict(target_id=tid, **res) for tid, res in results.items()]

    @torch.inference_mode()
    def track_targets(self, frame):
        """Track every target into ``frame``; returns ``{target_id: {"bbox", "score", "lost"}}``."""
        if not self._targets:
            raise RuntimeError("no target: call init(frame, box) first")
        frame = normalize_frame(frame)
        plans = {tid: self._plan(t) for tid, t in self._targets.items()}
        groups = OrderedDict()
        for tid, plan in plans.items():
            groups.setdefault((plan.instance_size, None if self.batch_targets else tid), []).append(tid)
        device_frame = self._upload(frame)
        results = {}
        for (instance_size, _), ids in groups.items():
            windows = [(self._targets[t].center, side, self._targets[t].average) for t in ids for side in plans[t].sides]
            owners = [t for t in ids for _ in plans[t].sides]
            outputs = self._forward(self._crops(frame, windows, instance_size, device_frame), owners)
            steps = self._step([self._targets[t] for t in ids], [plans[t] for t in ids], outputs, frame.shape)
            results.update(zip(ids, steps))
        for tid, result in results.items():
            result["lost"] = bool(self._update_lost(self._targets[tid], result["score"]))
        return {tid: results[tid] for tid in self._targets}

    def _update_lost(self, target, score):
        """Hook: ``target``'s lost state after this frame's ``score`` (:class:`LostRule` here;
        the long-term tracker reports its own state)."""
        return self.lost_rule.update(target, score)

    def _plan(self, target):
        """The :class:`SearchPlan` of ``target`` in this frame."""
        raise NotImplementedError

    def _step(self, targets, plans, outputs, frame_shape):
        """Update ``targets`` from the network ``outputs`` of their crops (in plan order, each
        target's windows consecutive); returns one ``{"bbox", "score"}`` per target."""
        raise NotImplementedError

    # ------------------------------------------------------------------ network
    def _upload(self, frame):
        if not self.gpu_crop:
            return None
        return torch.from_numpy(frame).to(self.device, non_blocking=True)

    def _precision(self):
        """bfloat16 autocast on the CPU with ``TRACK.BF16``, else a no-op context."""
        return torch.autocast("cpu", dtype=torch.bfloat16) if self.cpu_bf16 else nullcontext()

    def _stage(self, name):
        """``self.timer.stage(name)`` when a benchmark set a timer, else a no-op context."""
        return self.timer.stage(name) if self.timer is not None else nullcontext()

    def _crops(self, frame, windows, out_size, device_frame=None):
        with self._stage("crop"):
            if self.gpu_crop:
                if device_frame is None:
                    device_frame = self._upload(frame)
                return torch_crops(device_frame, windows, out_size)
            return opencv_crops(frame, windows, out_size, self.device)

    def _prepare_input(self, images):
        images = images.to(self.input_dtype)
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return images

    def _state(self, ids):
        """Template state of the targets ``ids`` (repeats allowed): their states concatenated (cached)."""
        if len(ids) == 1:
            return self._targets[ids[0]].state
        key = tuple(ids)
        if key not in self._states:
            if len(self._states) >= 8:
                self._states.clear()
            self._states[key] = concat_states([self._targets[t].state for t in ids])
        return self._states[key]

    def _forward(self, crops, ids):
        state = self._state(ids)
        with self._stage("network"), self._precision():
            outputs = self.model.track(self._prepare_input(crops), state)
        if self.cpu_bf16:  # the arithmetic around the network stays float32
            outputs = {k: v.float() if torch.is_tensor(v) else v for k, v in outputs.items()}
        return outputs
