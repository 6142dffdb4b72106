"""SiamMask's mask post-processing (docs/tracking.md, "SiamMask"): the refined 127x127 mask
pasted back into the frame, and the rotated box of its largest region, as pysot's
``SiamMaskTracker`` computes them (float64 geometry, OpenCV's bilinear warp, contours and
minimum-area rectangle)."""
import cv2
import numpy as np

__all__ = ["MaskPaster", "paste_mask", "mask_polygon", "box_corners", "MIN_CONTOUR_AREA"]

MIN_CONTOUR_AREA = 100  # a largest region of at most this many pixels gives the box corners


class MaskPaster:
    """Pastes refined masks back into the frame (pysot's sub-box / back-box arithmetic, float64)."""

    def __init__(self, instance_size, exemplar_size, stride, score_size_offset, mask_size):
        """Search crop side, template side, score-map stride, score-map offset (pysot's
        ``TRACK.BASE_SIZE``) and the refined mask's side (127)."""
        self.instance_size = instance_size
        self.exemplar_size = exemplar_size
        self.stride = stride
        self.offset = score_size_offset
        self.mask_size = mask_size

    def back_box(self, crop_box, position, frame_size):
        """The (x, y, w, h) box the frame of ``frame_size`` = (W, H) occupies in the mask's
        coordinates, for the mask of score-map ``position`` = (y, x) of the search window
        ``crop_box`` = (x, y, side) in frame pixels. The mask covers the ``exemplar_size``
        crop-pixel square whose corner is ``stride * (x - offset / 2)`` from the window's corner."""
        scale = crop_box[2] / self.instance_size
        y, x = position
        sub_x = crop_box[0] + (x - self.offset / 2) * self.stride * scale
        sub_y = crop_box[1] + (y - self.offset / 2) * self.stride * scale
        ratio = self.mask_size / (scale * self.exemplar_size)
        return (-sub_x * ratio, -sub_y * ratio, frame_size[0] * ratio, frame_size[1] * ratio)

    def paste(self, mask, crop_box, position, frame_size):
        """``mask`` (float32 m x m probabilities) warped into a (H, W) float32 frame map."""
        return paste_mask(mask, self.back_box(crop_box, position, frame_size), frame_size)


def paste_mask(mask, back_box, frame_size):
    """Warp ``mask`` (float32 m x m probabilities) into a frame of ``frame_size`` = (W, H):
    the affine map taking ``back_box`` to the frame, bilinear, zero outside (pysot's ``_crop_back``)."""
    width, height = frame_size
    a = (width - 1) / back_box[2]
    b = (height - 1) / back_box[3]
    mapping = np.array([[a, 0, -a * back_box[0]], [0, b, -b * back_box[1]]], dtype=np.float64)
    return cv2.warpAffine(mask, mapping, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def box_corners(center, size):
    """The 4 corners (TL, TR, BR, BL) of the axis-aligned box of ``center`` / ``size``, (4, 2) float64."""
    x, y = center[0] - size[0] / 2, center[1] - size[1] / 2
    w, h = size[0], size[1]
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)


def mask_polygon(binary, center, size):
    """pysot's polygon of a binary frame mask: the 4 corners of the minimum-area rotated
    rectangle of the largest external contour (OpenCV's ``boxPoints`` order) when its area is
    over :data:`MIN_CONTOUR_AREA`, else the corners of the tracked box (:func:`box_corners`).
    Returns 8 floats x1, y1, ..., x4, y4."""
    # [-2]: the contours whatever OpenCV's major version (3 returns three values, 4 and 5 two)
    contours = cv2.findContours(binary.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[-2]
    areas = [cv2.contourArea(c) for c in contours]
    if contours and max(areas) > MIN_CONTOUR_AREA:
        points = contours[int(np.argmax(areas))].reshape(-1, 2)
        corners = cv2.boxPoints(cv2.minAreaRect(points))
    else:
        corners = box_corners(center, size)
    return [float(v) for v in np.asarray(corners).reshape(-1)]
