"""pysot's SiamMask tracker (docs/tracking.md, "SiamMask"): the SiamRPN step, then the mask at
the chosen anchor's position, pasted into the frame, and its rotated box."""
from contextlib import nullcontext

import numpy as np
import torch

from ..utils.errors import InputError
from .mask_post import MaskPaster, mask_polygon
from .registry import TRACKER_REGISTRY
from .tracker import SiamRPNTracker

__all__ = ["SiamMaskTracker"]

MASK_SIZE = 127  # side of the refine module's mask


@TRACKER_REGISTRY.register()
class SiamMaskTracker(SiamRPNTracker):
    """The SiamMask tracker (``TRACK.TYPE: SiamMaskTracker``), for a model with ``refine``
    (:class:`~siamtrack.modeling.SiamMask`).

    Boxes and scores are the SiamRPN step's (pysot's ``SiamMaskTracker`` differs only in where
    it takes the search window's corner). Then, per target: the refine module's mask at the
    chosen anchor's score-map position (sigmoid, 127 x 127) is pasted into the frame (bilinear),
    binarised above ``TRACK.MASK_THRESHOLD``, and the rotated rectangle of its largest region is
    the polygon (the box's corners when that region has at most 100 pixels). Each result gains
    ``"polygon"`` (8 floats x1, y1, ..., x4, y4) and ``"mask"``: the binary H x W mask (bool),
    or with ``TRACK.MASK_PROBABILITY`` (or :attr:`mask_probability` set True) the pasted
    probability map (float32 in [0, 1]) -- the polygon is the binary mask's either way.
    """

    def __init__(self, model, cfg):
        """See :class:`SiamRPNTracker`; also reads ``TRACK.MASK_THRESHOLD`` and
        ``TRACK.MASK_PROBABILITY``."""
        super().__init__(model, cfg)
        if not callable(getattr(model, "refine", None)):
            raise InputError(f"SiamMaskTracker needs a model with refine() (a SiamMask model), got "
                            f"{type(model).__name__}: use the config of these weights")
        self.mask_threshold = float(cfg.TRACK.MASK_THRESHOLD)
        self.mask_probability = bool(cfg.TRACK.MASK_PROBABILITY)
        self.paster = MaskPaster(self.instance_size, self.exemplar_size, self.box_coder.stride,
                                 self.score_size_offset, MASK_SIZE)

    def _refine(self, ids, windows, outputs, results, frame_shape):
        """The mask of each target at its chosen anchor's position, pasted, and its polygon."""
        stage = self.timer.stage if self.timer is not None else nullcontext
        targets = [self._targets[t] for t in ids]
        # The search windows (x, y, side) as pysot takes them: around the centres before the update.
        crop_boxes = [(center[0] - side / 2, center[1] - side / 2, side) for center, side, _ in windows]
        size = outputs["cls"].shape[-1]
        positions = [np.unravel_index(t.best_index, (self.box_coder.num_anchors, size, size))[1:] for t in targets]
        with stage("network"):
            masks = torch.sigmoid(self.model.refine(outputs, [(int(y), int(x)) for y, x in positions]))
        masks = masks.float().cpu().numpy().reshape(-1, MASK_SIZE, MASK_SIZE)
        frame_size = (frame_shape[1], frame_shape[0])
        with stage("decode"):
            for tid, target, mask, crop_box, pos in zip(ids, targets, masks, crop_boxes, positions):
                pasted = self.paster.paste(mask, crop_box, pos, frame_size)
                binary = pasted > self.mask_threshold
                results[tid]["polygon"] = mask_polygon(binary, target.center, target.size)
                results[tid]["mask"] = pasted if self.mask_probability else binary
