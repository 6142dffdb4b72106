"""The DaSiamRPN tracker with OpenCV's arithmetic (docs/model.md, "DaSiamRPN").

``cv2.TrackerDaSiamRPN`` (``tracker_dasiamrpn.cpp``) is a port of the official DaSiamRPN tracker
(``run_SiamRPN.py``) that computes in float32. :class:`DaSiamRPNTracker` follows the port step by
step, so on the same weights its boxes are cv2's (docs/model.md, "DaSiamRPN", states the measured
difference and its cause):

* init: centre ``(x + w/2, y + h/2)``; template window side ``round(sqrt(wc * hc))``,
  ``wc = w + (w+h)/2``, ``hc = h + (w+h)/2``; the frame's mean colour (``cv2.mean``) pads crops;
* every frame: search window side ``round(s_z + 2 * pad)`` with ``s_z = sqrt(wc * hc)``,
  ``scale_z = 127 / s_z`` and ``pad = (instance - 127) / 2 / scale_z``; window corner
  ``round(c - (side + 1) / 2)`` (round half to even, as ``cvRound``); the crop resized bilinearly;
* softmax of the (bg, fg) logits, anchor decoding, scale / ratio penalty, cosine window, best
  anchor, size smoothing, clipping to the frame: all float32.

Unlike OpenCV's tracker it reads its values from the config (the official variants' ``TRACK``
values, ``configs/dasiamrpn/``), runs any score-map size, searches targets smaller than
``TRACK.DASIAMRPN.SMALL_TARGET_AREA`` of the frame on ``SMALL_INSTANCE_SIZE`` crops (the official
SiamRPNBIG's larger search region), and uses the official window (``np.hanning`` outer product)
unless ``TRACK.DASIAMRPN.WINDOW`` is ``opencv`` (``cv2.createHanningWindow``: its square root).
"""
from collections import OrderedDict
from contextlib import nullcontext

import cv2
import numpy as np
import torch

from ..modeling.anchors import score_map_size
from ..modeling.box_coder import AnchorBoxCoder
from ..modeling.state import concat_states
from ..structures.crop import check_window_side
from ..utils.errors import InputError
from ..utils.frames import normalize_frame
from . import target as target_module
from .postprocess import hann_window
from .registry import TRACKER_REGISTRY
from .target import Target, validate_box
from .tracker import BaseTracker

__all__ = ["DaSiamRPNTracker", "opencv_rect", "opencv_hann_window"]

F32 = np.float32
WINDOWS = ("hanning", "opencv")


def opencv_rect(center, size):
    """The integer ``(x, y, w, h)`` ``cv2.TrackerDaSiamRPN.update`` reports for a float32 state."""
    cx, cy = (float(v) for v in center)
    w, h = (float(v) for v in size)
    return (int(cx - int(w / 2)), int(cy - int(h / 2)), int(w), int(h))


def opencv_hann_window(score_size, anchor_num):
    """OpenCV's cosine window: ``cv2.createHanningWindow`` (float32) of an S x S map, tiled
    ``anchor_num`` times (flat). It is the square root of the outer product of two Hann windows,
    not the product ``np.hanning`` gives (pysot's and the official DaSiamRPN's window)."""
    window = cv2.createHanningWindow((score_size, score_size), cv2.CV_32F)
    return np.tile(window.reshape(-1), anchor_num)


def opencv_window(frame, center, side, out_size, average):
    """OpenCV's ``getSubwindow`` + ``blobFromImage`` resize: the ``side`` window (float) around
    ``center`` (float32), padded with ``average`` (``cv2.mean``), resized to ``out_size``."""
    check_window_side(side, frame.shape)
    height, width = frame.shape[:2]
    c = F32((F32(side) + F32(1)) / F32(2))
    x0, y0 = int(np.rint(F32(center[0]) - c)), int(np.rint(F32(center[1]) - c))
    side = int(side)
    x1, y1 = x0 + side - 1, y0 + side - 1
    left, top = max(0, -x0), max(0, -y0)
    right, bottom = max(0, x1 - width + 1), max(0, y1 - height + 1)
    if left or top or right or bottom:
        ys, ye, xs, xe = max(y0, 0), min(y1 + 1, height), max(x0, 0), min(x1 + 1, width)
        if ye <= ys or xe <= xs:  # the window misses the frame: all padding (saturate_cast rounds)
            patch = np.empty((side, side, 3), np.uint8)
            patch[...] = np.clip(np.rint(average), 0, 255).astype(np.uint8)
        else:
            patch = cv2.copyMakeBorder(frame[ys:ye, xs:xe], top, bottom, left, right, cv2.BORDER_CONSTANT,
                                       value=list(average))
    else:
        patch = frame[y0:y1 + 1, x0:x1 + 1]
    if out_size != side:
        patch = cv2.resize(patch, (out_size, out_size), interpolation=cv2.INTER_LINEAR)
    return patch


def _context(w, h):
    pad = (w + h) * F32(0.5)
    return np.sqrt((w + pad) * (h + pad))


def _change(r):
    return np.maximum(r, F32(1) / r)


@TRACKER_REGISTRY.register()
class DaSiamRPNTracker(BaseTracker):
    """DaSiamRPN (``TRACK.TYPE: DaSiamRPNTracker``): ``cv2.TrackerDaSiamRPN``'s arithmetic (see the
    module doc) with the config's ``TRACK.PENALTY_K``, ``WINDOW_INFLUENCE``, ``LR``,
    ``INSTANCE_SIZE``, ``SCORE_SIZE_OFFSET``, ``MODEL.SIAM_ANCHOR`` and ``TRACK.DASIAMRPN``
    (small-target search region, window). Crops are cut on the CPU with OpenCV
    (``TRACK.GPU_CROP`` does not apply); targets searched at one crop size share a forward."""

    def __init__(self, model, cfg):
        """See :class:`~siamtrack.tracking.BaseTracker`."""
        super().__init__(model, cfg)
        track = cfg.TRACK
        self.penalty_k, self.window_influence, self.lr = F32(track.PENALTY_K), F32(track.WINDOW_INFLUENCE), F32(track.LR)
        self.score_size_offset = int(track.SCORE_SIZE_OFFSET)
        anchor = cfg.MODEL.SIAM_ANCHOR
        self.box_coder = AnchorBoxCoder(anchor.STRIDE, anchor.RATIOS, anchor.SCALES)
        self.small_area = float(track.DASIAMRPN.SMALL_TARGET_AREA)
        self.small_instance_size = int(track.DASIAMRPN.SMALL_INSTANCE_SIZE)
        self.window_kind = str(track.DASIAMRPN.WINDOW)
        if self.window_kind not in WINDOWS:
            raise InputError(f"TRACK.DASIAMRPN.WINDOW must be one of {', '.join(WINDOWS)}, got {self.window_kind!r}")
        self._windows = {}

    def _network_input(self, patches):
        batch = torch.from_numpy(np.stack(patches).transpose(0, 3, 1, 2).astype(np.float32))
        return batch.to(self.device, self.input_dtype).contiguous()

    def _add(self, frame, box):
        x, y, w, h = validate_box(box, frame.shape)
        center = np.array([F32(x) + F32(w) * F32(0.5), F32(y) + F32(h) * F32(0.5)], dtype=F32)
        size = np.array([w, h], dtype=F32)
        average = cv2.mean(frame)[:3]
        wc = size[0] + F32(self.context_amount) * (size[0] + size[1])
        hc = size[1] + F32(self.context_amount) * (size[0] + size[1])
        side = float(np.rint(np.sqrt(wc * hc)))
        template = self._network_input([opencv_window(frame, center, side, self.exemplar_size, average)])
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=self.cpu_bf16):
            state = self.model.template(template)
        target = Target(center, size, average, state)
        small = self.small_area > 0 and (float(w) * float(h)) / (frame.shape[0] * frame.shape[1]) < self.small_area
        target.instance_size = self.small_instance_size if small else self.instance_size
        target_id = self._next_id
        self._next_id += 1
        self._targets[target_id] = target
        self._states.clear()
        return target_id

    def _search(self, target):
        """``(side, scale_z)``: the search window side ``round(s_z + 2 pad)`` and the scale (float32)."""
        w, h = target.size
        wc = h + F32(self.context_amount) * (w + h)
        hc = w + F32(self.context_amount) * (w + h)
        s_z = np.sqrt(wc * hc)
        scale_z = F32(self.exemplar_size) / s_z
        pad = F32((target.instance_size - self.exemplar_size) // 2) / scale_z
        return float(np.rint(s_z + F32(2) * pad)), scale_z

    def _window(self, instance_size, map_size):
        """The tiled float32 window of ``instance_size`` crops, checking the model's map size."""
        size = score_map_size(instance_size, self.exemplar_size, self.box_coder.stride, self.score_size_offset)
        if map_size != size:
            raise InputError(f"the model gives {map_size}x{map_size} score maps for {instance_size} crops but the "
                             f"config expects {size}x{size}: use the config of these weights")
        if instance_size not in self._windows:
            make = opencv_hann_window if self.window_kind == "opencv" else hann_window
            self._windows[instance_size] = make(size, self.box_coder.num_anchors).astype(F32)
        return self._windows[instance_size]

    @torch.inference_mode()
    def track_targets(self, frame):
        """Track every target into ``frame``; returns ``{target_id: {"bbox", "score", "lost"}}``."""
        if not self._targets:
            raise self._no_target_error()
        frame = normalize_frame(frame)
        stage = self.timer.stage if self.timer is not None else nullcontext
        batches = OrderedDict()
        for tid, target in self._targets.items():
            batches.setdefault((target.instance_size, None if self.batch_targets else tid), []).append(tid)
        results = {}
        for (instance_size, _), ids in batches.items():
            targets = [self._targets[t] for t in ids]
            searches = [self._search(t) for t in targets]
            with stage("crop"):
                crops = self._network_input([opencv_window(frame, t.center, side, instance_size, t.average)
                                             for t, (side, _) in zip(targets, searches)])
            state = targets[0].state if len(ids) == 1 else self._concat_states(ids)
            with stage("network"), torch.autocast("cpu", torch.bfloat16, enabled=self.cpu_bf16):
                outputs = self.model.track(crops, state)
            if "cls" not in outputs or "loc" not in outputs:
                raise TypeError(f"{type(self).__name__} needs a model whose track() returns 'cls' and 'loc' maps")
            cls = outputs["cls"].detach().to("cpu", torch.float32).numpy()
            loc = outputs["loc"].detach().to("cpu", torch.float32).numpy()
            window = self._window(instance_size, cls.shape[-1])
            anchors = self.box_coder.anchors(cls.shape[-1])
            for i, (tid, target) in enumerate(zip(ids, targets)):
                # IEEE float32 as OpenCV computes it: an untrained network's huge deltas overflow
                # to inf there too, and the clipping to the frame bounds the result.
                with stage("decode"), np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                    results[tid] = self._update(target, frame.shape, window, searches[i][1], cls[i], loc[i], anchors)
        return {tid: results[tid] for tid in self._targets}

    def _no_target_error(self):
        # TrackerStateError (a one-line InputError and RuntimeError) where the tracking package has it
        return getattr(target_module, "TrackerStateError", RuntimeError)("no target to track: call init(frame, box) first")

    def _concat_states(self, ids):
        key = tuple(ids)
        if key not in self._states:
            self._states.clear()
            self._states[key] = concat_states([self._targets[t].state for t in ids])
        return self._states[key]

    def _update(self, target, frame_shape, window, scale_z, cls, loc, anchors):
        """OpenCV's step for one target (see the module doc); returns its result."""
        logits = cls.reshape(2, -1)
        top = np.maximum(logits[1], logits[0])
        exps = np.exp(logits - top)
        score = exps[1] / (exps[0] + exps[1])
        delta = loc.reshape(4, -1)
        acx, acy, aw, ah = (anchors[:, i] for i in range(4))
        px, py = delta[0] * aw + acx, delta[1] * ah + acy
        pw, ph = np.exp(delta[2]) * aw, np.exp(delta[3]) * ah
        tw, th = target.size[0] * scale_z, target.size[1] * scale_z
        s_c = _change(_context(pw, ph) / _context(tw, th))
        r_c = _change((tw / th) / (pw * (F32(1) / ph)))
        penalty = np.exp((r_c * s_c - F32(1)) * self.penalty_k * F32(-1))
        influence = self.window_influence
        pscore = penalty * score * F32(1.0 - float(influence)) + window * influence
        best = int(np.argmax(pscore))
        rate = penalty[best] * score[best] * self.lr
        cx = px[best] / scale_z + target.center[0]
        cy = py[best] / scale_z + target.center[1]
        w = (tw / scale_z) * (F32(1) - rate) + (pw[best] / scale_z) * rate
        h = (th / scale_z) * (F32(1) - rate) + (ph[best] / scale_z) * rate
        frame_h, frame_w = frame_shape[:2]
        target.center = np.array([max(0.0, min(frame_w, cx)), max(0.0, min(frame_h, cy))], dtype=F32)
        target.size = np.array([max(10.0, min(frame_w, w)), max(10.0, min(frame_h, h))], dtype=F32)
        target.lost, target.lost_run = self.lost_rule.step(target.lost, target.lost_run, score[best])
        cx, cy = (float(v) for v in target.center)
        w, h = (float(v) for v in target.size)
        return {"bbox": [cx - w / 2, cy - h / 2, w, h], "score": float(score[best]), "lost": bool(target.lost)}

    def opencv_box(self, target_id=None):
        """Target ``target_id``'s (default: the first) box as ``cv2.TrackerDaSiamRPN.update``
        reports it: integers ``(int(cx - int(w/2)), int(cy - int(h/2)), int(w), int(h))``."""
        target = self._targets[next(iter(self._targets)) if target_id is None else target_id]
        return opencv_rect(target.center, target.size)
