"""SiamMask's outputs of ``siamtrack-track`` (docs/tracking.md, "SiamMask"): a folder of mask
PNGs (``--output-masks DIR``) and the mask and rotated box drawn on the annotated video.

Mask PNGs are single-channel, 0 outside and 255 inside the target, one per tracked frame and
target, named ``<frame>_<target id>.png`` with the frame number zero-padded to 6 digits (the
init frame, 0, has no mask). Each file is written under a temporary name and renamed, so an
interrupted run leaves only complete PNGs, for every frame done.
"""
from pathlib import Path

import cv2
import numpy as np

from ..utils.errors import InputError
from ..utils.fileio import atomic_write_with

__all__ = ["MaskWriter", "mask_file_name", "draw_mask", "binary_mask", "polygon_fields", "POLYGON_COLUMNS"]

MASK_ALPHA = 0.4  # weight of the target's colour over the masked pixels of the video
POLYGON_COLUMNS = ",x1,y1,x2,y2,x3,y3,x4,y4"  # the CSV box file's polygon columns


def polygon_fields(result, polygons=True):
    """The CSV polygon fields of a result (``,x1,...,y4``; empty fields without a polygon), or
    "" when the file has no polygon columns."""
    if not polygons:
        return ""
    if result.polygon is None:
        return "," * 8
    return "".join("," + repr(float(v)) for v in result.polygon)


def binary_mask(result, threshold):
    """A tracker result's ``"mask"`` as a boolean array (a probability map is binarised above
    ``threshold``, ``TRACK.MASK_THRESHOLD``), or None."""
    mask = result.get("mask")
    if mask is None:
        return None
    mask = np.asarray(mask)
    return mask if mask.dtype == bool else mask > threshold


def mask_file_name(index, target_id):
    """``<frame, 6 digits>_<target id>.png``."""
    return f"{index:06d}_{target_id}.png"


class MaskWriter:
    """Writes each result's ``mask`` as a 0/255 PNG into ``folder`` (created if needed).

    Has the writers' interface: ``write(frame, index, results)``, ``finish()``, ``close()``,
    ``paths`` (the folder) and ``partials`` (none: each PNG is complete once it exists)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise InputError(f"--output-masks {folder}: not a folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.written = 0

    @property
    def paths(self):
        """The folder (a list, as the other writers')."""
        return [self.folder]

    @property
    def partials(self):
        """No partial files."""
        return []

    def write(self, frame, index, results):
        """One PNG per result that carries a ``mask`` (a boolean H x W array)."""
        for result in results:
            mask = getattr(result, "mask", None)
            if mask is None:
                continue
            image = np.asarray(mask, dtype=bool).astype(np.uint8) * 255
            ok, data = cv2.imencode(".png", image)
            if not ok:
                raise InputError(f"cannot encode the mask of frame {index} as PNG")
            atomic_write_with(self.folder / mask_file_name(index, result.target_id), lambda f: f.write(data.tobytes()),
                              binary=True)
            self.written += 1

    def finish(self):
        """Nothing to complete: every PNG is final once written."""

    def close(self):
        """Nothing to release."""


def draw_mask(canvas, mask, polygon, color, thickness):
    """Tint the pixels of ``mask`` (boolean H x W) of ``canvas`` with ``color`` and outline
    ``polygon`` (8 numbers), in place; either may be None."""
    if mask is not None:
        inside = np.asarray(mask, dtype=bool)
        if inside.shape == canvas.shape[:2]:
            tint = np.array(color, dtype=np.float32)
            canvas[inside] = (canvas[inside] * (1 - MASK_ALPHA) + tint * MASK_ALPHA).astype(np.uint8)
    if polygon is not None:
        points = np.round(np.asarray(polygon, dtype=np.float64).reshape(4, 2)).astype(np.int32)
        cv2.polylines(canvas, [points], True, color, thickness, cv2.LINE_AA)
