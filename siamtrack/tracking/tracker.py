"""SiamTracker: pysot's SiamRPN tracker (SIAMRPN.md §8) for one or several targets.

Frames are BGR ``uint8`` HxWx3 numpy arrays as OpenCV reads them (grey and BGRA frames are
converted, see :func:`~siamtrack.utils.frames.normalize_frame`); boxes are ``(x, y, w, h)``
in 0-based pixels. Several targets share one tracker: their search crops go through the
network as one batch, and each target's boxes are those it would get tracked alone.
"""
import math
from collections import OrderedDict

import numpy as np
import torch

from ..data.crop import context_side
from ..modeling.state import concat_states
from . import decode
from .crops import opencv_crops, torch_crops
from ..utils.errors import InputError
from ..utils.frames import normalize_frame


class TrackerInputError(InputError):
    """An init box the tracker cannot use; the message is one line meant for users."""


class _Target:
    """Per-target state: centre and size (float64), the init frame's mean colour and the model's
    template state of this target alone (batch of one)."""

    def __init__(self, center, size, average, state):
        self.center = center
        self.size = size
        self.average = average
        self.state = state
        self.lost = False  # long-term variant only


def validate_box(box, frame_shape=None):
    """Return ``box`` as four floats ``(x, y, w, h)``, or raise :class:`TrackerInputError`.

    The size must be positive and finite; with ``frame_shape`` the box must overlap the frame.
    """
    try:
        values = [float(v) for v in box]
    except (TypeError, ValueError):
        raise TrackerInputError(f"a box must be 4 numbers x,y,w,h, got {box!r}") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise TrackerInputError(f"a box must be 4 finite numbers x,y,w,h, got {box!r}")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise TrackerInputError(f"box {x:g},{y:g},{w:g},{h:g} has zero or negative size")
    if frame_shape is not None:
        height, width = frame_shape[:2]
        if x >= width or y >= height or x + w <= 0 or y + h <= 0:
            raise TrackerInputError(
                f"box {x:g},{y:g},{w:g},{h:g} lies outside the {width}x{height} frame")
    return values


class SiamTracker:
    """Siamese RPN tracker; ``SiamTracker(model, cfg)`` picks the variant named by ``cfg.TRACK.TYPE``.

    ``model`` is a :class:`~siamtrack.modeling.SiamRPN` (any module with ``template(z)`` and
    ``track(x, state)`` returning ``cls`` / ``loc`` maps, whose states are nests of dicts, lists
    and tuples of tensors with the batch on dim 0); it is used as given (put in eval mode,
    not fused or converted: see :func:`~siamtrack.tracking.build.prepare_model` and
    :meth:`from_config`). Hyper-parameters come from ``cfg.TRACK`` and the anchors from
    ``cfg.MODEL.SIAM_ANCHOR``.

    Single target::

        tracker.init(frame, (x, y, w, h))
        out = tracker.track(frame)          # {"bbox": [x, y, w, h], "score": float}

    Several targets: ``init(frame, [box, box, ...])`` or ``add_target(frame, box)`` (returns the
    target id); ``track`` then returns a list of ``{"target_id", "bbox", "score"}`` in id order
    (:meth:`track_targets` always returns ``{target_id: result}``).
    """

    def __new__(cls, model=None, cfg=None):
        if cls is SiamTracker and cfg is not None:
            from .build import tracker_class

            cls = tracker_class(cfg.TRACK.TYPE)
        return super().__new__(cls)

    def __init__(self, model, cfg):
        """Wrap ``model`` (see class doc) with the tracker settings of ``cfg``."""
        self.model = model.eval()
        track, anchor = cfg.TRACK, cfg.MODEL.SIAM_ANCHOR
        self.exemplar_size = int(track.EXEMPLAR_SIZE)
        self.instance_size = int(track.INSTANCE_SIZE)
        self.context_amount = float(track.CONTEXT_AMOUNT)
        self.penalty_k = float(track.PENALTY_K)
        self.window_influence = float(track.WINDOW_INFLUENCE)
        self.lr = float(track.LR)
        self._grid_args = (self.exemplar_size, int(track.BASE_SIZE), int(anchor.STRIDE),
                           list(anchor.RATIOS), list(anchor.SCALES))
        self._grids = {}
        param = next(model.parameters())
        self.device, self.input_dtype = param.device, param.dtype
        self.channels_last = bool(track.CHANNELS_LAST)
        self.gpu_crop = self.device.type == "cuda" and bool(track.GPU_CROP)
        self.batch_targets = bool(track.BATCH_TARGETS)
        self.timer = None  # a StageTimer to account network time (benchmarks)
        self._targets = OrderedDict()
        self._next_id = 0
        self._states = {}

    @classmethod
    def from_config(cls, cfg):
        """Build the model of ``cfg`` (loading ``cfg.MODEL.WEIGHTS`` if set, on ``cfg.MODEL.DEVICE``),
        prepare it for inference (``TRACK.FUSE_CONV_BN`` / ``CHANNELS_LAST`` / ``HALF``) and wrap it."""
        from .build import build_inference_model

        model = build_inference_model(cfg)
        return cls(model, cfg)

    # ------------------------------------------------------------------ targets
    @property
    def target_ids(self):
        """Ids of the tracked targets, in the order they were added."""
        return list(self._targets)

    def init(self, frame, box):
        """Forget all targets and start tracking ``box`` (x, y, w, h) in ``frame``.

        ``box`` may also be a list of boxes (several targets). Returns the target id (0), or the
        list of ids for a list of boxes.
        """
        boxes = [box] if _is_single_box(box) else list(box)
        if not boxes:
            raise TrackerInputError("init needs at least one box")
        frame = normalize_frame(frame)
        boxes = [validate_box(b, frame.shape) for b in boxes]
        carried = [t.lost for t in self._targets.values()]
        self._targets.clear()
        self._states.clear()
        self._next_id = 0
        ids = [self._add(frame, b) for b in boxes]
        for target, lost in zip(self._targets.values(), carried):
            target.lost = lost  # pysot's long-term flag survives init (SIAMRPN.md §8.6)
        return ids[0] if _is_single_box(box) else ids

    def add_target(self, frame, box):
        """Start tracking one more target ``box`` (x, y, w, h) from ``frame``; returns its id."""
        frame = normalize_frame(frame)
        return self._add(frame, validate_box(box, frame.shape))

    def remove_target(self, target_id):
        """Stop tracking ``target_id``."""
        del self._targets[target_id]
        self._states.clear()

    def _add(self, frame, box):
        x, y, w, h = box
        center = np.array([x + (w - 1) / 2, y + (h - 1) / 2], dtype=np.float64)
        size = np.array([w, h], dtype=np.float64)
        side = round(context_side(w, h, self.context_amount))
        average = np.mean(frame, axis=(0, 1))
        # Crops come with NHWC strides; the template has always been fed NCHW-contiguous, and the
        # layout selects the conv kernel (so the rounding): keep it.
        template = self._crops(frame, [(center, side, average)], self.exemplar_size).contiguous()
        # Alone, not batched with other targets: the template branch then computes exactly what
        # a single-target tracker computes (its convs are not batch-invariant on the CPU).
        with torch.inference_mode():
            state = self.model.template(self._prepare_input(template))
        target_id = self._next_id
        self._next_id += 1
        self._targets[target_id] = _Target(center, size, average, state)
        self._states.clear()
        return target_id

    # ------------------------------------------------------------------ tracking
    def track(self, frame):
        """Track every target into ``frame``.

        One target: ``{"bbox": [x, y, w, h], "score": float}`` (``score`` is the best anchor's
        raw foreground probability). Several: a list of such dicts with ``"target_id"`` added.
        """
        results = self.track_targets(frame)
        if len(results) == 1:
            return next(iter(results.values()))
        return [dict(target_id=tid, **res) for tid, res in results.items()]

    @torch.inference_mode()
    def track_targets(self, frame):
        """Track every target into ``frame``; returns ``{target_id: {"bbox", "score"}}``."""
        if not self._targets:
            raise RuntimeError("no target: call init(frame, box) first")
        frame = normalize_frame(frame)
        plans = {tid: self._plan(t) for tid, t in self._targets.items()}
        groups = OrderedDict()
        for tid, plan in plans.items():
            groups.setdefault((plan[0], None if self.batch_targets else tid), []).append(tid)
        device_frame = self._upload(frame)
        results = {}
        for (instance_size, _), ids in groups.items():
            windows = [(self._targets[t].center, plans[t][2], self._targets[t].average) for t in ids]
            crops = self._crops(frame, windows, instance_size, device_frame)
            outputs = self._forward(crops, ids)
            grid = self._grid(instance_size)
            scores = decode.foreground_scores(outputs["cls"])
            boxes = decode.decode_boxes(outputs["loc"], grid.anchors)
            for i, tid in enumerate(ids):
                results[tid] = self._update(self._targets[tid], frame.shape, grid, plans[tid][1],
                                            scores[i], boxes[i])
        return {tid: results[tid] for tid in self._targets}

    def _instance_size(self, target):
        return self.instance_size

    def _window_influence(self, target):
        return self.window_influence

    def _plan(self, target):
        """(instance size, scale_z, rounded search side) of ``target`` for this frame."""
        instance_size = self._instance_size(target)
        s_z = context_side(target.size[0], target.size[1], self.context_amount)
        scale_z = self.exemplar_size / s_z
        s_x = s_z * (instance_size / self.exemplar_size)
        return instance_size, scale_z, round(float(s_x))

    def _update(self, target, frame_shape, grid, scale_z, scores, boxes):
        """Pick the best box, update ``target`` (smoothing + clipping) and return its result."""
        best, box, score, penalty = decode.select_best(
            scores, boxes, target.size, scale_z, grid.window, self.penalty_k,
            self._window_influence(target))
        cx, cy, w, h = decode.smooth_update(target.center, target.size, box, score, penalty, self.lr)
        cx, cy, w, h = decode.clip_box(cx, cy, w, h, frame_shape)
        target.center = np.array([cx, cy], dtype=np.float64)
        target.size = np.array([w, h], dtype=np.float64)
        return {"bbox": decode.corner_box(cx, cy, w, h), "score": float(score)}

    def _grid(self, instance_size):
        if instance_size not in self._grids:
            self._grids[instance_size] = decode.ScoreGrid(instance_size, *self._grid_args)
        return self._grids[instance_size]

    # ------------------------------------------------------------------ network
    def _upload(self, frame):
        if not self.gpu_crop:
            return None
        return torch.from_numpy(frame).to(self.device, non_blocking=True)

    def _crops(self, frame, windows, out_size, device_frame=None):
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
        """Template state of the targets ``ids``: their own states concatenated (cached)."""
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
        timer = self.timer
        if timer is None:
            outputs = self.model.track(self._prepare_input(crops), state)
        else:
            with timer.stage("network"):
                outputs = self.model.track(self._prepare_input(crops), state)
        if "cls" not in outputs or "loc" not in outputs:
            raise TypeError("SiamTracker needs a model whose track() returns 'cls' and 'loc' maps "
                            f"(got {sorted(outputs)}); SiamFC heads are not supported")
        return outputs


def _is_single_box(box):
    """True for one box (4 numbers), False for a sequence of boxes."""
    if isinstance(box, np.ndarray):
        return box.ndim == 1
    return len(box) == 0 or not hasattr(box[0], "__len__")


class SiamRPNTracker(SiamTracker):
    """The short-term SiamRPN / SiamRPN++ tracker (``TRACK.TYPE: SiamRPNTracker``)."""
