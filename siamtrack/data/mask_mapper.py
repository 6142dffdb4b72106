"""SiamMaskPairMapper: training pairs with the search crop's target mask (docs/data.md, "Masks").

The mask is warped with exactly the affine map of the search crop (the same drawn shift and
scale, :func:`~siamtrack.data.pair_crop.pair_crop`, zero outside the frame), bilinearly, then
binarised at one half; a flipped search crop flips its mask. Output: the sample of
:class:`~siamtrack.data.mapper.SiamPairMapper` plus ``"search_mask"``, a (255, 255) uint8 0/1
tensor, or None when the search frame's dataset has no masks (:mod:`.masks`).
"""
import cv2
import numpy as np
import torch

from .mapper import SiamPairMapper
from .masks import has_masks, load_mask
from .pair_crop import pair_crop

__all__ = ["SiamMaskPairMapper"]


class _RecordingAugmentation:
    """A :class:`~siamtrack.data.augment.CropAugmentation` that remembers its last geometry and flip."""

    def __init__(self, aug):
        self.aug = aug
        self.geometry, self.flipped = None, False

    def draw_geometry(self, rng):
        """The wrapped draw, remembered."""
        self.geometry = self.aug.draw_geometry(rng)
        return self.geometry

    def photometric(self, image, box, rng):
        """The wrapped colour / blur / flip; remembers whether the box was mirrored."""
        image, new_box = self.aug.photometric(image, box, rng)
        self.flipped = not np.allclose(np.asarray(new_box, dtype=np.float64), np.asarray(box, dtype=np.float64))
        return image, new_box


class SiamMaskPairMapper(SiamPairMapper):
    """:class:`SiamPairMapper` whose samples carry ``"search_mask"`` (see the module doc)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.search_aug = _RecordingAugmentation(self.search_aug)
        self._search = None

    def _crop(self, frame_info, out_size, aug, gray, rng, cache):
        if aug is self.search_aug:
            self._search = frame_info
        return super()._crop(frame_info, out_size, aug, gray, rng, cache)

    def __call__(self, request):
        """The pair of :class:`SiamPairMapper` plus its search mask."""
        sample = super().__call__(request)
        sample["search_mask"] = self._search_mask()
        return sample

    def _search_mask(self):
        d, track_id, frame, box = self._search
        if not has_masks(d):
            return None
        shape = (int(d["height"]), int(d["width"])) if "height" in d and "width" in d else None
        if shape is None:
            from .mapper import load_frame

            shape = load_frame(d, track_id, frame).shape[:2]
        mask = load_mask(d, track_id, frame, shape)
        if mask is None:
            return None
        box = np.asarray(box, dtype=np.float64)
        if d.get("normalized_boxes"):
            box = box * np.array([shape[1], shape[0], shape[1], shape[0]], dtype=np.float64)
        scale, shift = self.search_aug.geometry
        crop, _ = pair_crop(mask.astype(np.float32), box, self.search_size, scale=scale, shift=shift,
                            exemplar_size=self.exemplar_size, context_amount=self.context_amount,
                            base_size=self.base_size, mean=(0.0, 0.0, 0.0))
        if self.search_aug.flipped:
            crop = cv2.flip(crop, 1)
        return torch.from_numpy((crop >= 0.5).astype(np.uint8))
