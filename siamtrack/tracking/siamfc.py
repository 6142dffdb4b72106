"""The SiamFC tracker (Bertinetto et al., "Fully-Convolutional Siamese Networks for Object
Tracking", 2016; docs/tracking.md, "SiamFC tracking").

Per target and frame: ``SCALE_NUM`` search crops of the context window scaled by
``SCALE_STEP ** k`` (k = -(n//2) .. n//2), each resized to ``TRACK.INSTANCE_SIZE``; the
response maps (S x S) are upsampled bicubically by ``RESPONSE_UPSCALE`` (17 -> 272); the
responses of the changed scales are multiplied by ``SCALE_PENALTY``; the scale with the highest
peak wins; its map, shifted to a minimum of 0 and normalised to sum 1, is blended with a
normalised cosine window (``WINDOW_INFLUENCE``); the displacement of its peak from the map centre,
times ``stride / upscale`` (crop pixels) and the crop's frame-per-crop-pixel scale, moves the
target; the size is multiplied by ``(1 - SCALE_LR) + SCALE_LR * scale``.
"""
from contextlib import nullcontext

import cv2
import numpy as np
import torch

from ..structures.boxes import center_size_to_xywh
from ..structures.crop import context_side, opencv_crops, torch_crops
from ..structures.upload import upload
from ..utils.frames import normalize_frame
from .postprocess import clip_box
from .registry import TRACKER_REGISTRY
from .tracker import BaseTracker

__all__ = ["SiamFCTracker", "scale_factors", "upsample_responses", "choose_scale", "response_peak"]


def scale_factors(scale_num, scale_step):
    """The pyramid's scale factors ``scale_step ** k`` for k = -(n//2) .. n//2 (float64)."""
    exponents = np.arange(scale_num, dtype=np.float64) - (scale_num // 2)
    return np.power(float(scale_step), exponents)


def upsample_responses(responses, upscale):
    """Bicubic upsampling (OpenCV ``INTER_CUBIC``) of (n, S, S) response maps to
    (n, S*upscale, S*upscale) float32."""
    size = responses.shape[-1] * int(upscale)
    return np.stack([cv2.resize(np.asarray(r, np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
                     for r in responses])


def choose_scale(upsampled, scale_penalty):
    """Index of the winning scale: the highest peak after multiplying every scale but the middle
    one (the current size) by ``scale_penalty``; ties go to the first."""
    peaks = upsampled.reshape(upsampled.shape[0], -1).max(axis=1).astype(np.float64)
    middle = upsampled.shape[0] // 2
    factors = np.full(len(peaks), float(scale_penalty))
    factors[middle] = 1.0
    return int(np.argmax(peaks * factors))


def response_peak(response, window, window_influence):
    """Displacement ``(dx, dy)`` in upsampled-map cells of the peak of ``response`` (U, U) from the
    map centre ``(U - 1) / 2``, after shifting it to a minimum of 0, normalising it to sum 1 and
    blending it with ``window`` (U, U, summing to 1) at ``window_influence``."""
    response = response.astype(np.float64)
    response = response - response.min()
    response = response / (response.sum() + 1e-16)  # siamfc-pytorch's siamfc.py epsilon
    response = (1.0 - window_influence) * response + window_influence * window
    y, x = np.unravel_index(int(np.argmax(response)), response.shape)
    centre = (response.shape[0] - 1) / 2
    return x - centre, y - centre


@TRACKER_REGISTRY.register()
class SiamFCTracker(BaseTracker):
    """SiamFC tracking (``TRACK.TYPE: SiamFCTracker``) for a model whose ``track`` returns
    ``{"score": (N, 1, S, S)}`` response logits (``SiamFCHead``); see the module doc.

    Reads ``TRACK.SIAMFC.*`` (the paper's defaults: 3 scales of step 1.0375, scale penalty 0.9745,
    scale LR 0.59, window influence 0.176, upscale 16), ``TRACK.EXEMPLAR_SIZE`` /
    ``INSTANCE_SIZE`` / ``CONTEXT_AMOUNT`` (127 / 255 / 0.5) and ``MODEL.SIAM_FC.STRIDE`` (8).
    The box is clipped to the frame as the SiamRPN trackers do (centre inside, size 10 px to
    the frame size). ``score`` is the sigmoid of the chosen scale's upsampled response at the
    chosen position; ``lost`` follows ``TRACK.LOST_SCORE`` / ``LOST_FRAMES``.
    """

    def __init__(self, model, cfg):
        """See :class:`~siamtrack.tracking.tracker.BaseTracker` and the class doc."""
        super().__init__(model, cfg)
        fc = cfg.TRACK.SIAMFC
        self.scales = scale_factors(int(fc.SCALE_NUM), float(fc.SCALE_STEP))
        self.scale_penalty = float(fc.SCALE_PENALTY)
        self.scale_lr = float(fc.SCALE_LR)
        self.window_influence = float(fc.WINDOW_INFLUENCE)
        self.upscale = int(fc.RESPONSE_UPSCALE)
        self.stride = int(cfg.MODEL.SIAM_FC.STRIDE)
        self._windows = {}

    def _window(self, size):
        if size not in self._windows:
            hanning = np.hanning(size)
            window = np.outer(hanning, hanning)
            self._windows[size] = window / window.sum()
        return self._windows[size]

    @torch.inference_mode()
    def track_targets(self, frame):
        """Track every target into ``frame``; returns ``{target_id: {"bbox", "score", "lost"}}``:
        one window per scale and target (all targets in one batch with ``TRACK.BATCH_TARGETS``)."""
        self._target()  # raises before init
        frame = normalize_frame(frame)
        stage = self.timer.stage if self.timer is not None else nullcontext
        device_frame = upload(frame, self.device) if self.gpu_crop else None
        batches = [list(self._targets)] if self.batch_targets else [[t] for t in self._targets]
        results, n = {}, len(self.scales)
        for ids in batches:
            targets = [self._targets[t] for t in ids]
            # The unscaled search side x_sz of each target, then one window per scale.
            x_sz = [context_side(t.size[0], t.size[1], self.context_amount) * self.instance_size / self.exemplar_size
                    for t in targets]
            windows = [(t.center, max(1, round(x * f)), t.average) for t, x in zip(targets, x_sz) for f in self.scales]
            with stage("crop"):
                crops = (torch_crops(device_frame, windows, self.instance_size) if self.gpu_crop
                         else opencv_crops(frame, windows, self.instance_size, self.device))
            state = self._batch_state([t for t in ids for _ in self.scales])
            with stage("network"), torch.autocast("cpu", torch.bfloat16, enabled=self.cpu_bf16):
                outputs = self.model.track(crops.to(self.input_dtype, memory_format=self.input_format), state)
            if "score" not in outputs:
                raise TypeError(f"SiamFCTracker needs a model whose track() returns a 'score' map (got "
                                f"{sorted(outputs)}); SiamRPN models track with TRACK.TYPE SiamRPNTracker")
            responses = outputs["score"].detach().to("cpu").float().numpy()[:, 0]
            for i, (tid, target) in enumerate(zip(ids, targets)):
                results[tid] = self._update(target, frame.shape, x_sz[i], responses[i * n:(i + 1) * n])
        return {tid: results[tid] for tid in self._targets}

    def _update(self, target, frame_shape, x_sz, responses):
        """Move and rescale ``target`` from its (n, S, S) responses; returns its result."""
        upsampled = upsample_responses(responses, self.upscale)
        best = choose_scale(upsampled, self.scale_penalty)
        dx, dy = response_peak(upsampled[best], self._window(upsampled.shape[-1]), self.window_influence)
        scale = self.scales[best]
        frame_per_cell = (self.stride / self.upscale) * (x_sz * scale / self.instance_size)
        cx = target.center[0] + dx * frame_per_cell
        cy = target.center[1] + dy * frame_per_cell
        factor = (1.0 - self.scale_lr) + self.scale_lr * scale
        cx, cy, w, h = clip_box(cx, cy, target.size[0] * factor, target.size[1] * factor, frame_shape)
        target.center = np.array([cx, cy], dtype=np.float64)
        target.size = np.array([w, h], dtype=np.float64)
        centre = (upsampled.shape[-1] - 1) / 2
        logit = float(upsampled[best][int(round(centre + dy)), int(round(centre + dx))])
        score = 1.0 / (1.0 + np.exp(-logit))
        target.lost, target.lost_run = self.lost_rule.step(target.lost, target.lost_run, score)
        return {"bbox": center_size_to_xywh(cx, cy, w, h), "score": score, "lost": bool(target.lost)}
