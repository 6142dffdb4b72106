"""The baseline of the speed benchmark: pysot's SiamRPN tracker step as pysot runs it.

One tracker object per target, each tracking alone (pysot has no multi-target batching); per
frame: pysot's crop (a mean-filled copy of the whole padded frame when the window leaves it,
``cv2.resize``, ``transpose`` + ``astype(float32)`` + ``torch.from_numpy``), the plain eager
float32 forward of the unprepared model (no BatchNorm folding, weights as loaded), the score
softmax and box decoding of pysot's ``_convert_score`` / ``_convert_bbox`` (torch permutes, then
NumPy), and pysot's NumPy penalty, window, update and clipping. The forward runs under
``torch.no_grad()``; pysot's own test loop leaves autograd on, which is slower still, so this
baseline is, if anything, faster than pysot itself.

Its boxes are pysot's to float rounding (the arithmetic is pysot's, the crop and the network the
same); the benchmark uses it for time only.
"""
import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ...tracking.timing import StageTimer

__all__ = ["pysot_anchors", "PysotBaselineTracker"]


def pysot_anchors(stride, ratios, scales, score_size):
    """pysot's anchors of a ``score_size`` square map, (A * S * S, 4) float32 cx, cy, w, h
    relative to the crop centre, anchor-major (index ``a*S*S + y*S + x``)."""
    shapes = []
    for ratio in ratios:
        base_w = int(np.sqrt(stride * stride / ratio))
        base_h = int(base_w * ratio)
        shapes += [(base_w * scale, base_h * scale) for scale in scales]
    offsets = -(score_size // 2) * stride + stride * np.arange(score_size)
    xx, yy = np.meshgrid(offsets, offsets)
    anchors = np.zeros((len(shapes), score_size * score_size, 4), dtype=np.float32)
    for a, (w, h) in enumerate(shapes):
        anchors[a, :, 0], anchors[a, :, 1] = xx.ravel(), yy.ravel()
        anchors[a, :, 2], anchors[a, :, 3] = w, h
    return anchors.reshape(-1, 4)


class PysotBaselineTracker:
    """pysot's ``SiamRPNTracker`` around an eager siamtrack :class:`~siamtrack.modeling.SiamRPN`
    (same network as pysot's ``ModelBuilder``), one target; see the module doc.

    ``timer`` (a :class:`~siamtrack.tracking.StageTimer`) accumulates the stages ``crop``,
    ``network``, ``decode`` and ``update``.
    """

    def __init__(self, model, cfg, timer=None):
        """``model`` in eval mode, float32, as built and loaded; tracker settings from ``cfg.TRACK``."""
        self.model = model
        self.device = model.device
        self.timer = timer or StageTimer()
        track, anchor = cfg.TRACK, cfg.MODEL.SIAM_ANCHOR
        self.exemplar, self.instance = int(track.EXEMPLAR_SIZE), int(track.INSTANCE_SIZE)
        self.context, self.penalty_k = float(track.CONTEXT_AMOUNT), float(track.PENALTY_K)
        self.window_influence, self.lr = float(track.WINDOW_INFLUENCE), float(track.LR)
        score_size = (self.instance - self.exemplar) // int(anchor.STRIDE) + 1 + int(track.SCORE_SIZE_OFFSET)
        self.anchors = pysot_anchors(int(anchor.STRIDE), anchor.RATIOS, anchor.SCALES, score_size)
        hanning = np.hanning(score_size)
        self.window = np.tile(np.outer(hanning, hanning).flatten(), len(anchor.RATIOS) * len(anchor.SCALES))

    def _subwindow(self, im, pos, model_sz, original_sz, avg_chans):
        """pysot's ``get_subwindow``: the padded frame copy, the window, resize, float32 NCHW tensor."""
        c = (original_sz + 1) / 2
        xmin, ymin = np.floor(pos[0] - c + 0.5), np.floor(pos[1] - c + 0.5)
        xmax, ymax = xmin + original_sz - 1, ymin + original_sz - 1
        rows, cols, channels = im.shape
        left, top = int(max(0.0, -xmin)), int(max(0.0, -ymin))
        right, bottom = int(max(0.0, xmax - cols + 1)), int(max(0.0, ymax - rows + 1))
        xmin, xmax, ymin, ymax = xmin + left, xmax + left, ymin + top, ymax + top
        if top or bottom or left or right:
            padded = np.zeros((rows + top + bottom, cols + left + right, channels), np.uint8)
            padded[top:top + rows, left:left + cols, :] = im
            if top:
                padded[0:top, left:left + cols, :] = avg_chans
            if bottom:
                padded[rows + top:, left:left + cols, :] = avg_chans
            if left:
                padded[:, 0:left, :] = avg_chans
            if right:
                padded[:, cols + left:, :] = avg_chans
            patch = padded[int(ymin):int(ymax + 1), int(xmin):int(xmax + 1), :]
        else:
            patch = im[int(ymin):int(ymax + 1), int(xmin):int(xmax + 1), :]
        if model_sz != original_sz:
            patch = cv2.resize(patch, (model_sz, model_sz))
        patch = patch.transpose(2, 0, 1)[np.newaxis, :, :, :].astype(np.float32)
        return torch.from_numpy(patch).to(self.device)

    def _context_side(self):
        w_z = self.size[0] + self.context * np.sum(self.size)
        h_z = self.size[1] + self.context * np.sum(self.size)
        return np.sqrt(w_z * h_z)

    def init(self, img, bbox):
        """Start tracking ``bbox`` (x, y, w, h) in BGR frame ``img``."""
        self.center = np.array([bbox[0] + (bbox[2] - 1) / 2, bbox[1] + (bbox[3] - 1) / 2])
        self.size = np.array([bbox[2], bbox[3]])
        self.average = np.mean(img, axis=(0, 1))
        z_crop = self._subwindow(img, self.center, self.exemplar, round(self._context_side()), self.average)
        with torch.no_grad():
            self.state = self.model.template(z_crop)

    def track(self, img):
        """One frame: ``{"bbox": [x, y, w, h], "best_score": float}`` as pysot returns it."""
        timer = self.timer
        with timer.stage("crop"):
            s_z = self._context_side()
            scale_z = self.exemplar / s_z
            s_x = s_z * (self.instance / self.exemplar)
            x_crop = self._subwindow(img, self.center, self.instance, round(s_x), self.average)
        with timer.stage("network"), torch.no_grad():
            outputs = self.model.track(x_crop, self.state)
        with timer.stage("decode"):
            score = self._convert_score(outputs["cls"])
            pred_bbox = self._convert_bbox(outputs["loc"])
        with timer.stage("update"):
            return self._update(img, score, pred_bbox, scale_z)

    def _convert_score(self, score):
        score = score.permute(1, 2, 3, 0).contiguous().view(2, -1).permute(1, 0)
        return F.softmax(score, dim=1).data[:, 1].cpu().numpy()

    def _convert_bbox(self, delta):
        delta = delta.permute(1, 2, 3, 0).contiguous().view(4, -1).data.cpu().numpy()
        anchors = self.anchors
        delta[0, :] = delta[0, :] * anchors[:, 2] + anchors[:, 0]
        delta[1, :] = delta[1, :] * anchors[:, 3] + anchors[:, 1]
        delta[2, :] = np.exp(delta[2, :]) * anchors[:, 2]
        delta[3, :] = np.exp(delta[3, :]) * anchors[:, 3]
        return delta

    def _update(self, img, score, pred_bbox, scale_z):
        def change(r):
            return np.maximum(r, 1.0 / r)

        def sz(w, h):
            pad = (w + h) * 0.5
            return np.sqrt((w + pad) * (h + pad))

        s_c = change(sz(pred_bbox[2, :], pred_bbox[3, :]) / sz(self.size[0] * scale_z, self.size[1] * scale_z))
        r_c = change((self.size[0] / self.size[1]) / (pred_bbox[2, :] / pred_bbox[3, :]))
        penalty = np.exp(-(r_c * s_c - 1) * self.penalty_k)
        pscore = penalty * score
        pscore = pscore * (1 - self.window_influence) + self.window * self.window_influence
        best = np.argmax(pscore)
        bbox = pred_bbox[:, best] / scale_z
        lr = penalty[best] * score[best] * self.lr
        cx, cy = bbox[0] + self.center[0], bbox[1] + self.center[1]
        width = self.size[0] * (1 - lr) + bbox[2] * lr
        height = self.size[1] * (1 - lr) + bbox[3] * lr
        cx, cy = max(0, min(cx, img.shape[1])), max(0, min(cy, img.shape[0]))
        width, height = max(10, min(width, img.shape[1])), max(10, min(height, img.shape[0]))
        self.center, self.size = np.array([cx, cy]), np.array([width, height])
        return {"bbox": [cx - width / 2, cy - height / 2, width, height], "best_score": score[best]}
