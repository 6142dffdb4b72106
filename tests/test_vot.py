"""VOT region overlap (pixel rasterisation), restart protocol, accuracy/robustness and EAO on
small cases checked by hand."""
import math

import numpy as np
import pytest

from siamtrack.structures.boxes import init_box_from_region
from siamtrack.evaluation.metrics.vot import (accuracy_overlaps, evaluate_vot, expected_overlap_curve,
                                              rasterize_polygon, region_overlap)
from siamtrack.evaluation.runs.runner import run_restart

# VOT polygon of the box x=10, y=10, w=20, h=20: (x, y), (x, y+h-1), (x+w-1, y+h-1), (x+w-1, y)
GT = [10, 10, 10, 29, 29, 29, 29, 10]


def test_rectangle_covers_inclusive_pixels():
    mask = rasterize_polygon(np.array([2.0, 5, 5, 2]), np.array([1.0, 1, 3, 3]), 8, 5)
    assert mask.sum() == 4 * 3 and mask[1:4, 2:6].all()


def test_diamond_rows_follow_scanline_rules():
    mask = rasterize_polygon(np.array([4.0, 7, 4, 1]), np.array([0.0, 3, 6, 3]), 9, 7)
    # the top and bottom vertices give two equal nodes (skipped): rows 0 and 6 stay empty
    assert mask.sum(axis=1).tolist() == [0, 3, 5, 7, 5, 3, 0]


def test_box_overlaps_counted_in_pixels():
    # box (x, y, w, h) -> corners x..x+w: an 11 x 11 pixel square
    assert region_overlap([0, 0, 10, 10], [0, 0, 10, 10], (100, 100)) == 1.0
    assert region_overlap([0, 0, 10, 10], [5, 0, 10, 10], (100, 100)) == pytest.approx(6 / 16)
    assert region_overlap([0, 0, 10, 10], [1, 1, 4, 1, 4, 4, 1, 4]) == pytest.approx(16 / 121)
    # the pixel rasterisation is not the exact geometry (25/175 for boxes 5x5 inside 10x10 ...)
    assert region_overlap([0, 0, 10, 10], [0, 0, 5, 5], (100, 100)) == pytest.approx(36 / 121)


def test_overlap_bounds_codes_and_disjoint():
    assert math.isnan(region_overlap([1], GT, (100, 100)))
    assert region_overlap([50, 50, 10, 10], GT, (100, 100)) == 0
    # clipped by the image bounds: only columns 0..5 of the prediction lie inside W = 5
    assert region_overlap([0, 0, 10, 10], [0, 0, 5, 10], (5, 100)) == pytest.approx(1.0)
    # boxes whose rounded bounds only touch count as disjoint (the toolkit's early exit)
    assert region_overlap([0, 0, 10, 10], [10, 0, 10, 10], (100, 100)) == 0


def test_identical_region_as_box_and_polygon():
    assert region_overlap([10, 10, 19, 19], GT, (100, 100)) == 1.0
    assert region_overlap([10, 10, 9, 19], GT, (100, 100)) == pytest.approx(0.5)


def test_init_box_from_polygon_and_box():
    assert init_box_from_region(GT) == pytest.approx((10, 10, 20, 20))
    w = math.sqrt(0.5) * 20 + 1  # diamond: area ratio 1/2
    assert init_box_from_region([10, 0, 20, 10, 10, 20, 0, 10]) == pytest.approx(
        (10 - (w - 1) / 2, 10 - (w - 1) / 2, w, w))
    assert init_box_from_region([3, 4, 10, 20]) == pytest.approx((3.5, 4.5, 10, 20))


class ScriptedTracker:
    """Fake tracker returning scripted boxes; records its init boxes."""

    def __init__(self, boxes):
        self.boxes, self.inits = list(boxes), []

    def init(self, frame, box):
        self.inits.append(tuple(box))

    def track(self, frame):
        return {"bbox": self.boxes.pop(0), "score": 1.0}


def test_restart_protocol_codes():
    good, lost = [10, 10, 19, 19], [70, 70, 10, 10]
    tracker = ScriptedTracker([good, lost, good, good])
    frames = list(range(10))
    records, times = run_restart(tracker, frames, np.tile(GT, (10, 1)),
                                 read_frame=lambda _: np.zeros((100, 100, 3), np.uint8))
    assert records == [[1], good, [2], [0], [0], [0], [0], [1], good, good]
    assert len(tracker.inits) == 2 and tracker.inits[1] == pytest.approx((10, 10, 20, 20))
    assert len(times) == 10


def test_accuracy_burn_in_and_robustness():
    good, half = [10.0, 10, 19, 19], [10.0, 10, 9, 19]
    records = [[1]] + [good] * 2 + [[2], [0], [0], [0], [0], [1]] + [good] * 9 + [half] * 2
    gt = np.tile(GT, (len(records), 1))
    ov = accuracy_overlaps(records, gt, (100, 100))
    # frames 0..9 and 8..17 are burn-in: only 18 and 19 count
    assert np.isnan(ov[:18]).all() and ov[18:].tolist() == [0.5, 0.5]
    res = evaluate_vot({"s": gt}, {"s": [records]}, {"s": (100, 100)}, (1, 3))
    assert res.accuracy == pytest.approx(0.5)
    assert res.lost_number == 1 and res.robustness == pytest.approx(100 * 1 / 20)


def test_expected_overlap_without_failure():
    curve = expected_overlap_curve([(np.array([np.nan, 0.5, 0.5, 0.5]), [], np.ones(4))])
    np.testing.assert_allclose(curve, [1, 0.5, 0.5, 0.5])


def test_expected_overlap_with_failure():
    o = np.array([np.nan, 0.8, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 0.6, 0.4])
    curve = expected_overlap_curve([(o, [2], np.ones(10))])
    # fragment 1: frames 0..7 -> [0, .8, 0, ...] then zeros; fragment 2: frames 7..9 -> [0, .6, .4]
    assert curve[1] == pytest.approx((0.8 + 0.6) / 2)
    assert curve[2] == pytest.approx((0.8 / 2 + 1.0 / 2) / 2)
    assert curve[3] == pytest.approx(0.8 / 3)  # the second fragment has ended (NaN)
    assert curve[9] == pytest.approx(0.8 / 9)


def test_eao_is_mean_over_interval():
    gt = np.tile(GT, (6, 1))
    good = [10.0, 10, 19, 19]
    res = evaluate_vot({"s": gt}, {"s": [[[1]] + [good] * 5]}, {"s": (100, 100)}, (2, 4))
    # EAO overlaps use bounds (W-1, H-1) = (99, 99): still 1.0 here; Φ = 1 everywhere
    assert res.eao == pytest.approx(1.0) and res.lost_number == 0
