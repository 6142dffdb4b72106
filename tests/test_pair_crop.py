"""Training crops: one affine warp from the full image (spec §6.1, §6.5, §6.6.2) and augmentations."""
import cv2
import numpy as np
import pytest

from siamtrack.data.augment import (
    COLOR_PCA,
    CropAugmentation,
    color_jitter,
    flip_horizontal,
    motion_blur_kernel,
)
from siamtrack.structures.crop import context_side, crop_window
from siamtrack.data.pair_crop import base_geometry, crop_box_in_base, pair_crop


def smooth_image(seed=0, shape=(300, 400), cell=40):
    """A smooth random colour image (bilinear interpolation differences stay small on it)."""
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (shape[0] // cell, shape[1] // cell, 3)).astype(np.uint8)
    return cv2.resize(low, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def image_with_rect(box, shape=(300, 400)):
    """Grey image with a pure red rectangle exactly covering ``box`` (integer corners, xyxy)."""
    img = np.full(shape + (3,), 90, np.uint8)
    x1, y1, x2, y2 = box
    img[y1:y2, x1:x2] = (0, 0, 255)
    return img


def red_extent(crop):
    """Sub-pixel extent (x1, y1, x2, y2) of the red region of a crop (area-weighted)."""
    red = np.clip((crop[..., 2].astype(float) - crop[..., 1]) / (255.0 - 90.0), 0, 1)
    red[red < 0.25] = 0  # the mean-colour padding is slightly red
    cols, rows = red.max(0), red.max(1)
    xs, ys = np.nonzero(cols > 0.5)[0], np.nonzero(rows > 0.5)[0]
    # width = sum of coverage along the central row / column
    cy, cx = int(ys.mean()), int(xs.mean())
    w, h = red[cy].sum(), red[:, cx].sum()
    mx, my = (red[cy] * np.arange(red.shape[1])).sum() / w, (red[:, cx] * np.arange(red.shape[0])).sum() / h
    return np.array([mx - w / 2 + 0.5, my - h / 2 + 0.5, mx + w / 2 + 0.5, my + h / 2 + 0.5])


def test_unaugmented_search_box_is_centred_with_scale_z():
    box = (150, 100, 230, 160)  # w 80, h 60
    w, h = 80, 60
    scale_z = 127 / context_side(w, h)
    crop, crop_box = pair_crop(image_with_rect(box), box, 255)
    assert crop.shape == (255, 255, 3) and crop.dtype == np.uint8
    np.testing.assert_allclose((crop_box[:2] + crop_box[2:]) / 2, [127, 127], atol=1e-9)
    np.testing.assert_allclose(crop_box[2:] - crop_box[:2], [w * scale_z, h * scale_z], rtol=1e-9)
    # the pixels agree with the label up to pysot's (511-1)/511 warp factor and interpolation
    measured = red_extent(crop)
    np.testing.assert_allclose(measured, crop_box, atol=1.0)


def test_template_matches_tracker_crop_geometry():
    """Unaugmented template vs the tracker's crop_window (side round(s_z), same centre).

    They differ by pysot's 510/511 and 126/127 endpoint conventions (< 1 % of the side) and by
    interpolation, so on a smooth image the mean absolute difference stays below 2 grey levels;
    a 4 % scale error or a 2-pixel offset exceeds it.
    """
    img = smooth_image()
    box = (150, 100, 230, 160)
    side = round(context_side(80, 60))
    ref = crop_window(img, (190, 130), 127, side, img.reshape(-1, 3).mean(0))
    for scale, shift in [((1.04, 1.04), (0, 0)), ((1, 1), (2, 0))]:
        wrong, _ = pair_crop(img, box, 127, scale=scale, shift=shift)
        assert np.abs(wrong.astype(float) - ref.astype(float)).mean() > 2.0
    for box in [(150, 100, 230, 160), (0, 0, 50, 70), (330, 240, 400, 300)]:  # centre, corners
        x1, y1, x2, y2 = box
        crop, _ = pair_crop(img, box, 127)
        mean = img.reshape(-1, 3).mean(0)
        side = round(context_side(x2 - x1, y2 - y1))
        ref = crop_window(img, ((x1 + x2) / 2, (y1 + y2) / 2), 127, side, mean)
        diff = np.abs(crop.astype(float) - ref.astype(float))
        assert diff.mean() < 2.0, (box, diff.mean())


def test_padding_is_whole_image_mean():
    img = smooth_image(1)
    crop, _ = pair_crop(img, (0, 0, 40, 40), 255)  # target in the corner: top-left is padding
    mean = img.reshape(-1, 3).mean(0)
    np.testing.assert_allclose(crop[:20, :20].reshape(-1, 3).mean(0), mean, atol=1.0)


def test_shift_and_scale_move_the_box_with_the_pixels():
    box = (150, 100, 230, 160)
    img = image_with_rect(box)
    for scale, shift in [((1.15, 0.85), (40.0, -30.0)), ((0.83, 1.1), (-60.0, 50.0))]:
        crop, crop_box = pair_crop(img, box, 255, scale=scale, shift=shift)
        _, _, _, base_box = base_geometry(box)
        cbox, (sx, sy) = crop_box_in_base(255, scale, shift)
        expected = (base_box - np.tile(cbox[:2], 2)) / np.array([sx, sy, sx, sy])
        np.testing.assert_allclose(crop_box, expected)
        np.testing.assert_allclose(red_extent(crop), crop_box, atol=1.2)
        # centre moves opposite to the shift, divided by the scale
        np.testing.assert_allclose((crop_box[0] + crop_box[2]) / 2, 127 - shift[0] / sx, atol=1e-9)


def test_crop_box_scale_cap_and_shift_clamp():
    cbox, (sx, sy) = crop_box_in_base(255, (3.0, 1.0), (0, 0))
    assert sx == pytest.approx(511 / 254) and sy == 1.0
    cbox, _ = crop_box_in_base(255, (1.18, 1.18), (500.0, -500.0))
    assert cbox[2] == pytest.approx(510) and cbox[1] == pytest.approx(0)


def test_one_warp_equals_pysot_two_warps():
    """Direct crop == crop511 first (mean border) then the augmented crop of it (black border)."""
    img = smooth_image(2)
    box = (120, 90, 200, 150)
    base, _ = pair_crop(img, box, 511)  # with no augmentation the 511 output IS pysot's crop511
    a, tx, ty, _ = base_geometry(box)
    np.testing.assert_allclose([a * (box[0] + box[2]) / 2 + tx], [255], atol=1e-9)
    for scale, shift in [((1.0, 1.0), (0.0, 0.0)), ((1.1, 0.9), (30.0, -20.0))]:
        direct, b1 = pair_crop(img, box, 255, scale=scale, shift=shift)
        two, b2 = pair_crop(base, box, 255, scale=scale, shift=shift, precropped=True)
        np.testing.assert_allclose(b1, b2)
        assert np.abs(direct.astype(float) - two.astype(float)).mean() < 2.0


def test_draw_geometry_ranges():
    aug = CropAugmentation(shift=64, scale=0.18)
    rng = np.random.default_rng(0)
    draws = np.array([sum(aug.draw_geometry(rng), ()) for _ in range(2000)])
    assert np.all(np.abs(draws[:, :2] - 1) <= 0.18) and np.all(np.abs(draws[:, 2:]) <= 64)
    assert np.abs(draws[:, :2] - 1).max() > 0.17 and np.abs(draws[:, 2:]).max() > 60
    assert np.all(np.array(CropAugmentation().draw_geometry(rng), dtype=object)[0] == (1.0, 1.0))


def test_color_jitter_offsets_follow_the_pca_matrix():
    rng = np.random.default_rng(1)
    img = np.full((4, 4, 3), 100, np.uint8)
    offsets = np.array([100 - color_jitter(img, rng)[0, 0] for _ in range(4000)])  # BGR offsets
    out = color_jitter(img, rng)
    assert out.dtype == np.float64 and np.ptp(out.reshape(-1, 3), 0).max() == 0  # uniform shift
    expected_cov = (COLOR_PCA.astype(float) @ COLOR_PCA.T.astype(float))[::-1, ::-1]
    np.testing.assert_allclose(np.cov(offsets.T), expected_cov, atol=0.1 * np.abs(expected_cov).max())


def test_motion_blur_kernel_shape():
    rng = np.random.default_rng(2)
    sizes = set()
    for _ in range(300):
        k = motion_blur_kernel(rng)
        n = k.shape[0]
        sizes.add(n)
        assert k.shape == (n, n) and n % 2 == 1 and 5 <= n <= 45
        assert k.sum() == pytest.approx(1.0)
        c = n // 2
        mask = np.zeros_like(k, bool)
        mask[c, :] = mask[:, c] = True
        assert np.all(k[~mask] == 0)
    assert min(sizes) == 5 and max(sizes) == 45


def test_flip_mirrors_box_and_pixels():
    box = (30, 40, 90, 100)
    img = image_with_rect(box, (255, 255))
    flipped, fbox = flip_horizontal(img, np.array(box, float))
    np.testing.assert_allclose(fbox, [255 - 1 - 90, 40, 255 - 1 - 30, 100])
    assert flipped[70, 255 - 1 - 60, 2] == 255 and flipped[70, 60, 2] == 90
