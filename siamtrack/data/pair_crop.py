"""Training crops straight from the full image with ONE affine warp (docs/data.md, "Crops").

pysot first warps a 511x511 "crop511" around every object (mean-colour border) and saves
it; training then warps a (shifted, scaled) box of that 511 image onto the 127 / 255 crop
(black border). Both maps are axis-aligned affine, so here they are composed into one
2x3 matrix and applied once to the original frame: no pre-cropping step, one interpolation.

Coordinates: the "base" image is pysot's 511 crop (``base_size``), the object centre lands on
pixel ``base_size // 2``; the final crop has side ``out_size``.
"""
import cv2
import numpy as np

from ..structures.crop import context_side

BASE_SIZE = 511  # pysot's pre-crop side ("crop511")


def base_geometry(box, exemplar_size=127, context_amount=0.5, base_size=BASE_SIZE):
    """The map of the full image onto the 511 crop, and pysot's target box in it.

    ``box`` is (x1, y1, x2, y2) in image pixels. Returns ``(a, tx, ty, base_box)`` with
    ``u = a*x + tx``, ``v = a*y + ty`` (a = (base-1)/s_x, s_x = s_z*base/exemplar) and
    ``base_box`` the corners of a box centred on (base//2, base//2) with size
    (w*scale_z, h*scale_z), scale_z = exemplar/s_z — pysot's label, which differs from the
    warped object by the factor (base-1)/base.
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    s_z = context_side(w, h, context_amount)
    scale_z = exemplar_size / s_z
    s_x = s_z + 2 * ((base_size - exemplar_size) / 2) / scale_z
    a = (base_size - 1) / s_x
    tx = -a * (cx - s_x / 2)
    ty = -a * (cy - s_x / 2)
    return a, tx, ty, base_target_box(w, h, exemplar_size, context_amount, base_size)


def base_target_box(w, h, exemplar_size=127, context_amount=0.5, base_size=BASE_SIZE):
    """pysot's label: the target of original size ``w x h`` inside the 511 crop, as corners."""
    scale_z = exemplar_size / context_side(w, h, context_amount)
    c = base_size // 2
    bw, bh = w * scale_z, h * scale_z
    return np.array([c - bw / 2, c - bh / 2, c + bw / 2, c + bh / 2], dtype=np.float64)


def crop_box_in_base(out_size, scale=(1.0, 1.0), shift=(0.0, 0.0), base_size=BASE_SIZE):
    """The (scaled, shifted) crop box inside the 511 image, and the used scales.

    Centre (base//2, base//2), side ``out_size - 1``; each scale factor is capped at
    ``base / (out_size - 1)``, the shift clamped to ``[-x1, base-1-x2]`` (pysot's order of min/max).
    Returns ``(crop_box, (sx, sy))`` with the capped scales.
    """
    c = base_size // 2
    side = out_size - 1
    sx = min(float(scale[0]), base_size / side)
    sy = min(float(scale[1]), base_size / side)
    w, h = side * sx, side * sy
    x1, y1, x2, y2 = c - w / 2, c - h / 2, c + w / 2, c + h / 2
    dx = max(-x1, min(base_size - 1 - x2, float(shift[0])))
    dy = max(-y1, min(base_size - 1 - y2, float(shift[1])))
    return np.array([x1 + dx, y1 + dy, x2 + dx, y2 + dy], dtype=np.float64), (sx, sy)


def pair_crop(
    image,
    box,
    out_size,
    scale=(1.0, 1.0),
    shift=(0.0, 0.0),
    exemplar_size=127,
    context_amount=0.5,
    base_size=BASE_SIZE,
    mean=None,
    precropped=False,
):
    """Warp the template / search crop of ``box`` out of ``image`` in one affine step.

    ``image`` is HxWx3 uint8 (BGR), ``box`` the target (x1, y1, x2, y2) in its pixels; ``scale``
    and ``shift`` are the drawn crop-box factors (1, 1) / offsets (0, 0) for none. Pixels
    that come from outside the image take ``mean`` (default: the per-channel mean of the whole
    image); pixels from outside pysot's 511 crop are black. With ``precropped`` the
    image already is a pysot 511 crop of ``box`` (only its size w, h is used).
    Returns ``(crop, crop_box)``: ``out_size`` square uint8 image, target corners in its pixels.
    """
    x1, y1, x2, y2 = (float(v) for v in box)
    if precropped:
        a, tx, ty = 1.0, 0.0, 0.0
        base_box = base_target_box(x2 - x1, y2 - y1, exemplar_size, context_amount, base_size)
    else:
        a, tx, ty, base_box = base_geometry(box, exemplar_size, context_amount, base_size)
    cbox, (sx, sy) = crop_box_in_base(out_size, scale, shift, base_size)
    kx = (out_size - 1) / (cbox[2] - cbox[0])
    ky = (out_size - 1) / (cbox[3] - cbox[1])
    matrix = np.array(
        [[kx * a, 0.0, kx * (tx - cbox[0])], [0.0, ky * a, ky * (ty - cbox[1])]], dtype=np.float64
    )
    if precropped:
        border = (0.0, 0.0, 0.0)
    else:
        border = image_mean(image) if mean is None else tuple(float(v) for v in mean)
    crop = cv2.warpAffine(
        image,
        matrix,
        (out_size, out_size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border,
    )
    if not precropped:
        _blacken_outside_base(crop, cbox, out_size, base_size)
    target = np.array(
        [
            (base_box[0] - cbox[0]) / sx,
            (base_box[1] - cbox[1]) / sy,
            (base_box[2] - cbox[0]) / sx,
            (base_box[3] - cbox[1]) / sy,
        ],
        dtype=np.float64,
    )
    return crop, target


def _blacken_outside_base(crop, cbox, out_size, base_size):
    """Zero the rows / columns of ``crop`` whose 511-crop coordinate is off [-0.5, base-0.5]."""
    if cbox[0] >= 0 and cbox[1] >= 0 and cbox[2] <= base_size - 1 and cbox[3] <= base_size - 1:
        return
    pos = np.arange(out_size, dtype=np.float64)
    u = cbox[0] + pos * (cbox[2] - cbox[0]) / (out_size - 1)
    v = cbox[1] + pos * (cbox[3] - cbox[1]) / (out_size - 1)
    crop[:, (u < -0.5) | (u > base_size - 0.5)] = 0
    crop[(v < -0.5) | (v > base_size - 0.5), :] = 0


def image_mean(image):
    """Per-channel mean of a whole HxWx3 image (the 511 crop's border colour) as a float tuple."""
    return tuple(float(v) for v in cv2.mean(image)[:3])
