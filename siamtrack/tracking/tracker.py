"""The trackers' shared target handling (:class:`BaseTracker`) and pysot's SiamRPN / SiamRPN++
tracker (:class:`SiamRPNTracker`, docs/tracking.md, "The SiamRPN step"), exact to the bit.

Frames are BGR ``uint8`` HxWx3 numpy arrays as OpenCV reads them (grey and BGRA frames are
converted, see :func:`~siamtrack.utils.frames.normalize_frame`); boxes are ``(x, y, w, h)`` in
0-based pixels. Inputs are checked here, at the API's edge, once. Several targets share one
tracker: their search crops go through the network as one batch, and each target's boxes are
those it would get tracked alone.
"""
from collections import OrderedDict
from contextlib import nullcontext

import numpy as np
import torch
import torch.nn as nn

from ..modeling.anchors import score_map_size
from ..modeling.box_coder import AnchorBoxCoder
from ..modeling.state import concat_states
from ..structures.boxes import init_center_size
from ..structures.crop import context_side, opencv_crops, torch_crops
from ..structures.upload import upload
from ..utils.errors import InputError
from ..utils.frames import normalize_frame
from . import postprocess
from .registry import TRACKER_REGISTRY
from .target import LostRule, Target, TrackerInputError, TrackerStateError, is_single_box, validate_box

__all__ = ["BaseTracker", "SiamRPNTracker"]


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
    """Base of the trackers of :data:`~siamtrack.tracking.TRACKER_REGISTRY`: the targets, their
    template states and the public API; subclasses implement :meth:`track_targets`.

    ``model`` is any object with ``template(z) -> state`` and ``track(x, state) -> dict of raw
    maps`` (a :class:`~siamtrack.modeling.SiamRPN`, or an ONNX Runtime model with the same
    methods) whose states are nests of dicts, lists and tuples of tensors with the batch on dim
    0; it is used as given (put in eval mode: see :func:`~siamtrack.tracking.build_tracker`).

    Every result is ``{"bbox": [x, y, w, h], "score": float, "lost": bool}``. Single target::

        tracker.init(frame, (x, y, w, h))
        out = tracker.track(frame)          # {"bbox": [x, y, w, h], "score": float, "lost": bool}

    Several targets: ``init(frame, [box, box, ...])`` or ``add_target(frame, box)`` (returns the
    target id); ``track`` then returns a list of results with ``"target_id"`` added, in id
    order, until the next ``init`` with one box -- also when ``remove_target`` leaves one
    (docs/tracking.md, "Several targets"). :meth:`track_targets` always returns
    ``{target_id: result}``. Misuse (``track`` before ``init``, an unknown id) raises
    :class:`~siamtrack.tracking.target.TrackerStateError`, a bad box
    :class:`~siamtrack.tracking.target.TrackerInputError` (both one-line ``InputError``).
    """

    keeps_lost_on_init = False  # the long-term tracker's lost flags survive init (pysot)

    def __init__(self, model, cfg):
        """Wrap ``model`` (see class doc) with the tracker settings of ``cfg.TRACK``."""
        registered = TRACKER_REGISTRY.get(cfg.TRACK.TYPE) if cfg.TRACK.TYPE in TRACKER_REGISTRY else None
        if registered is not None and not isinstance(self, registered):
            raise TrackerInputError(f"{type(self).__name__} cannot run TRACK.TYPE {cfg.TRACK.TYPE!r}; build "
                                    "trackers with siamtrack.tracking.build_tracker(cfg, model)")
        self.model = model.eval() if hasattr(model, "eval") else model
        track = cfg.TRACK
        self.exemplar_size = int(track.EXEMPLAR_SIZE)
        self.instance_size = int(track.INSTANCE_SIZE)
        self.context_amount = float(track.CONTEXT_AMOUNT)
        self.device, self.input_dtype = _device_and_dtype(model)
        # The crops reach the network NCHW-contiguous, as pysot's do; TRACK.CHANNELS_LAST opts out.
        self.input_format = torch.channels_last if track.CHANNELS_LAST else torch.preserve_format
        self.gpu_crop = self.device.type == "cuda" and bool(track.GPU_CROP)
        self.batch_targets = bool(track.BATCH_TARGETS) and not self._exact_cpu_path(model, track)
        self.cpu_bf16 = bool(track.BF16) and self.device.type == "cpu" and isinstance(model, nn.Module)
        self.lost_rule = LostRule(track.LOST_SCORE, track.LOST_FRAMES)
        self.timer = None  # a StageTimer to account crop, network and decode time (benchmarks)
        self._several = False  # track() returns a list: init got a list of boxes, or add_target
        self._targets = OrderedDict()
        self._next_id = 0
        self._states = {}

    def _exact_cpu_path(self, model, track):
        # The exact default on the CPU (a PyTorch model, NCHW float32 crops): several targets run
        # one forward each, as pysot runs them. Batched, they give the same bits but were slower
        # than one by one (8 targets: 0.70x for MobileNetV2, 0.94x for AlexNet; docs/tracking.md,
        # "Several targets"); channels-last (TRACK.CHANNELS_LAST), bfloat16, ONNX Runtime and CUDA
        # batch well, so they keep TRACK.BATCH_TARGETS.
        return (self.device.type == "cpu" and isinstance(model, nn.Module) and not track.CHANNELS_LAST
                and not track.BF16)

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
        if self.keeps_lost_on_init:  # the i-th new target inherits the i-th old one's flag
            for old, new in zip(previous, self._targets.values()):
                new.lost = old.lost
        self._several = not single
        return ids[0] if single else ids

    def add_target(self, frame, box):
        """Start tracking one more target ``box`` (x, y, w, h) from ``frame``; returns its id.
        From now on :meth:`track` returns a list (until an ``init`` with one box)."""
        frame = normalize_frame(frame)
        target_id = self._add(frame, validate_box(box, frame.shape))
        self._several = True
        return target_id

    def remove_target(self, target_id):
        """Stop tracking ``target_id`` (what :meth:`track` returns keeps its form)."""
        self._target(target_id)
        del self._targets[target_id]
        self._states.clear()

    def is_lost(self, target_id=None):
        """Whether target ``target_id`` (default: the first one) is lost after the last
        :meth:`track` -- its last result's ``"lost"`` (False right after ``init``, except for
        the long-term tracker, whose lost state survives ``init`` as in pysot)."""
        return bool(self._target(target_id).lost)

    def _target(self, target_id=None):
        if not self._targets:
            raise TrackerStateError("no target to track: call init(frame, box) first")
        key = next(iter(self._targets)) if target_id is None else target_id
        if key not in self._targets:
            raise TrackerStateError(f"no target with id {target_id!r}; the targets are {list(self._targets)}")
        return self._targets[key]

    def _add(self, frame, box):
        center, size = init_center_size(box)
        side = round(context_side(size[0], size[1], self.context_amount))
        average = np.mean(frame, axis=(0, 1))
        crop = (torch_crops(upload(frame, self.device), [(center, side, average)], self.exemplar_size)
                if self.gpu_crop else opencv_crops(frame, [(center, side, average)], self.exemplar_size, self.device))
        # Alone, not batched with other targets: the template branch then computes exactly what
        # a single-target tracker computes (its convs are not batch-invariant on the CPU).
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=self.cpu_bf16):
            state = self.model.template(crop.to(self.input_dtype, memory_format=self.input_format))
        target_id = self._next_id
        self._next_id += 1
        self._targets[target_id] = Target(center, size, average, state)
        self._states.clear()
        return target_id

    def _batch_state(self, ids):
        """Template state of the targets ``ids`` (several): their states concatenated (cached)."""
        key = tuple(ids)
        if key not in self._states:
            if len(self._states) >= 8:  # siamtrack's bound: a few sets of targets between inits
                self._states.clear()
            self._states[key] = concat_states([self._targets[t].state for t in ids])
        return self._states[key]

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

    def track_targets(self, frame):
        """Track every target into ``frame``; returns ``{target_id: {"bbox", "score", "lost"}}``."""
        raise NotImplementedError


@TRACKER_REGISTRY.register()
class SiamRPNTracker(BaseTracker):
    """The short-term SiamRPN / SiamRPN++ tracker (``TRACK.TYPE: SiamRPNTracker``).

    Per target and frame, pysot's ``SiamRPNTracker.track``: one search crop of
    ``TRACK.INSTANCE_SIZE``; the model's ``cls`` / ``loc`` maps decoded by
    :class:`~siamtrack.modeling.AnchorBoxCoder` (built from ``cfg.MODEL.SIAM_ANCHOR``); pysot's
    scale / aspect penalty (``TRACK.PENALTY_K``), cosine window (``TRACK.WINDOW_INFLUENCE``),
    smoothed size update (``TRACK.LR``) and clipping (:mod:`~siamtrack.tracking.postprocess`).
    ``score`` is the chosen anchor's raw foreground probability; ``lost`` follows
    :class:`~siamtrack.tracking.target.LostRule` (``TRACK.LOST_SCORE`` / ``LOST_FRAMES``).
    Subclasses change :attr:`search` and :meth:`_update` (the long-term tracker) and
    :meth:`_refine` (SiamMask).
    """

    def __init__(self, model, cfg):
        """See :class:`BaseTracker`; also reads ``TRACK.PENALTY_K``, ``WINDOW_INFLUENCE``, ``LR``,
        ``SCORE_SIZE_OFFSET`` and ``MODEL.SIAM_ANCHOR``."""
        super().__init__(model, cfg)
        track = cfg.TRACK
        self.penalty_k = float(track.PENALTY_K)
        self.lr = float(track.LR)
        self.score_size_offset = int(track.SCORE_SIZE_OFFSET)
        anchor = cfg.MODEL.SIAM_ANCHOR
        self.box_coder = AnchorBoxCoder(anchor.STRIDE, anchor.RATIOS, anchor.SCALES)
        # (instance size, window influence) of a target by its ``lost`` flag: the same here.
        search = (self.instance_size, float(track.WINDOW_INFLUENCE))
        self.search = {False: search, True: search}
        self._windows = {}

    @torch.inference_mode()
    def track_targets(self, frame):
        """Track every target into ``frame``; returns ``{target_id: {"bbox", "score", "lost"}}``."""
        if not self._targets:
            raise TrackerStateError("no target to track: call init(frame, box) first")
        if not (isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3
                and frame.shape[2] == 3 and frame.flags.c_contiguous and frame.size):
            frame = normalize_frame(frame)
        stage = self.timer.stage if self.timer is not None else nullcontext
        batches = OrderedDict()  # targets searched with one crop size go through the network together
        for tid, target in self._targets.items():
            batches.setdefault((self.search[target.lost][0], None if self.batch_targets else tid), []).append(tid)
        device_frame = upload(frame, self.device) if self.gpu_crop else None
        results = {}
        for (instance_size, _), ids in batches.items():
            targets = [self._targets[t] for t in ids]
            # The search window: the template's context side scaled to the instance size (pysot).
            s_z = [context_side(t.size[0], t.size[1], self.context_amount) for t in targets]
            windows = [(t.center, round(s * instance_size / self.exemplar_size), t.average)
                       for t, s in zip(targets, s_z)]
            with stage("crop"):
                crops = (torch_crops(device_frame, windows, instance_size) if self.gpu_crop
                         else opencv_crops(frame, windows, instance_size, self.device))
            state = targets[0].state if len(ids) == 1 else self._batch_state(ids)
            with stage("network"), torch.autocast("cpu", torch.bfloat16, enabled=self.cpu_bf16):
                outputs = self.model.track(crops.to(self.input_dtype, memory_format=self.input_format), state)
            if "cls" not in outputs or "loc" not in outputs:
                raise TypeError(f"{type(self).__name__} needs a model whose track() returns 'cls' and 'loc' maps "
                                f"(got {sorted(outputs)}); a SiamFC model tracks with TRACK.TYPE SiamFCTracker")
            window = self._windows.get((instance_size, outputs["cls"].shape[-1]))
            if window is None:
                window = self._window(instance_size, outputs["cls"].shape[-1])
            with stage("decode"):
                scores = self.box_coder.scores(outputs["cls"])
                boxes = self.box_coder.decode(outputs["loc"])
            for i, (tid, target) in enumerate(zip(ids, targets)):
                scale_z = self.exemplar_size / s_z[i]
                target.best_index, box, score, penalty = postprocess.select_best(
                    scores[i], boxes[i], target.size, scale_z, window, self.penalty_k, self.search[target.lost][1])
                results[tid] = self._update(target, box, score, penalty, frame.shape)
            if self._refine is not None:
                self._refine(ids, windows, outputs, results, frame.shape)
        return {tid: results[tid] for tid in self._targets}

    # Optional hook ``_refine(ids, windows, outputs, results, frame_shape)``: add to the ``results``
    # of the targets ``ids`` searched together (their ``windows`` ``(center, side, average)`` as
    # cropped, before the update; each target's ``best_index``, the chosen flat anchor; the
    # network's ``outputs``). None here; SiamMask adds its mask.
    _refine = None

    def _update(self, target, box, score, penalty, frame_shape):
        """Move ``target`` by its chosen ``box`` (smoothed size, clipped to the frame) and return
        its result; ``lost`` by :attr:`lost_rule`."""
        cx, cy, w, h = postprocess.smooth_update(target.center, target.size, box, score, penalty, self.lr)
        cx, cy, w, h = postprocess.clip_box(cx, cy, w, h, frame_shape)
        target.center = np.array([cx, cy], dtype=np.float64)
        target.size = np.array([w, h], dtype=np.float64)
        target.lost, target.lost_run = self.lost_rule.step(target.lost, target.lost_run, score)
        # The top-left corner at c - size / 2 (structures.boxes.center_size_to_xywh).
        return {"bbox": [cx - w / 2, cy - h / 2, w, h], "score": float(score), "lost": bool(target.lost)}

    def _window(self, instance_size, map_size):
        """The tiled cosine window of ``instance_size`` crops, checking the model's map size."""
        size = score_map_size(instance_size, self.exemplar_size, self.box_coder.stride, self.score_size_offset)
        if map_size != size:
            raise TrackerInputError(
                f"the model gives {map_size}x{map_size} score maps for {instance_size} crops but the config "
                f"expects {size}x{size} (TRACK.INSTANCE_SIZE / EXEMPLAR_SIZE / SCORE_SIZE_OFFSET): use the "
                "config of these weights")
        self._windows[(instance_size, map_size)] = postprocess.hann_window(size, self.box_coder.num_anchors)
        return self._windows[(instance_size, map_size)]
