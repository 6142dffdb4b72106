"""Photometric and geometric augmentations of a training crop, exactly as pysot (spec §6.6).

Every random draw takes an explicit ``numpy.random.Generator`` so a pair is a deterministic
function of its seed. The geometric part (shift / scale of the crop box) is only *drawn* here;
:mod:`siamtrack.data.pair_crop` folds it into the single affine warp from the full image.

Order inside one crop (pysot's ``Augmentation.__call__``): gray -> shift/scale crop -> colour
-> blur -> flip. :class:`CropAugmentation` holds one crop's settings (template or search).
"""
from dataclasses import dataclass

import cv2
import numpy as np

# pysot's colour PCA matrix (``rgbVar``), float32 as in the reference.
COLOR_PCA = np.array(
    [
        [-0.55919361, 0.98062831, -0.41940627],
        [1.72091413, 0.19879334, -1.82968581],
        [4.64467907, 4.73710203, 4.88324118],
    ],
    dtype=np.float32,
)
BLUR_SIZES = np.arange(5, 46, 2)  # motion-blur kernel sides 5, 7, ..., 45


def rnd(rng):
    """pysot's ``Augmentation.random()``: a uniform draw in [-1, 1)."""
    return 2.0 * rng.random() - 1.0


def to_gray(image):
    """BGR -> gray -> BGR (the pair-level gray augmentation); keeps the dtype (uint8)."""
    return cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def color_offset(rng):
    """The per-channel BGR offset of the colour jitter: reverse(M @ n), n ~ N(0, I3)."""
    offset = np.dot(COLOR_PCA, rng.standard_normal((3, 1)))
    return offset[::-1].reshape(3)


def color_jitter(image, rng):
    """Subtract a random PCA colour offset from every pixel; returns float64, not clipped."""
    return image - color_offset(rng)


def motion_blur_kernel(rng):
    """pysot's ``rand_kernel``: an n x n kernel (n in 5..45, odd) of a weighted centre cross.

    The centre column gets ``w/n`` per entry and the centre row ``(1-w)/n``, w ~ U[0, 1), so the
    kernel sums to 1 (the centre entry gets both).
    """
    size = int(rng.choice(BLUR_SIZES))
    kernel = np.zeros((size, size))
    c = size // 2
    wx = rng.random()
    kernel[:, c] += 1.0 / size * wx
    kernel[c, :] += 1.0 / size * (1 - wx)
    return kernel


def motion_blur(image, rng):
    """Correlate ``image`` with a random :func:`motion_blur_kernel` (OpenCV defaults, same depth)."""
    return cv2.filter2D(image, -1, motion_blur_kernel(rng))


def flip_horizontal(image, box):
    """Mirror ``image`` left-right; the box's x becomes ``W-1-x2``, ``W-1-x1`` (pysot)."""
    width = image.shape[1]
    x1, y1, x2, y2 = box
    return cv2.flip(image, 1), np.array([width - 1 - x2, y1, width - 1 - x1, y2], dtype=np.float64)


@dataclass(frozen=True)
class CropAugmentation:
    """Augmentation settings of one crop (``INPUT.SIAM.TEMPLATE`` or ``INPUT.SIAM.SEARCH``).

    ``shift`` is in pixels of the 511 crop, ``scale`` the maximum relative change per axis;
    ``blur``, ``flip`` and ``color`` are probabilities.
    """

    shift: float = 0.0
    scale: float = 0.0
    blur: float = 0.0
    flip: float = 0.0
    color: float = 0.0

    @classmethod
    def from_node(cls, node):
        """Build from a config node with keys SHIFT, SCALE, BLUR, FLIP, COLOR."""
        return cls(
            shift=float(node.SHIFT),
            scale=float(node.SCALE),
            blur=float(node.BLUR),
            flip=float(node.FLIP),
            color=float(node.COLOR),
        )

    def draw_geometry(self, rng):
        """Draw the crop-box scale (sx, sy) and shift (dx, dy), in pysot's order.

        Scale factors are ``1 + rnd()*SCALE`` (x then y), drawn only when SCALE != 0; shifts
        ``rnd()*SHIFT`` (x then y), drawn only when SHIFT != 0. Capping and clamping to the 511
        image happen in :func:`siamtrack.data.pair_crop.crop_box_in_base`.
        """
        sx = sy = 1.0
        dx = dy = 0.0
        if self.scale:
            sx = 1.0 + rnd(rng) * self.scale
            sy = 1.0 + rnd(rng) * self.scale
        if self.shift:
            dx = rnd(rng) * self.shift
            dy = rnd(rng) * self.shift
        return (sx, sy), (dx, dy)

    def photometric(self, image, box, rng):
        """Colour, blur and flip of an already cropped image (steps 3-5 of §6.6).

        ``image`` is the uint8 crop, ``box`` its target box (x1, y1, x2, y2). Returns the float
        image (float64 once colour ran, unclipped) and the possibly flipped box.
        """
        if self.color > rng.random():
            image = color_jitter(image, rng)
        if self.blur > rng.random():
            image = motion_blur(image, rng)
        if self.flip and self.flip > rng.random():
            image, box = flip_horizontal(image, box)
        return image, box
