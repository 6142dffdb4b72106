"""OPE metrics: pysot's numbers on the reference fixture, and the edge rules of spec §9.4."""
import json

import numpy as np
import pytest

from siamtrack.evaluation import load_benchmark, load_tracker_results, score_results
from siamtrack.evaluation.metrics.ope import overlap_ratio, score_sequence

TOL = 1e-9


def test_reference_fixture_reproduced(reference_dir):
    fixture = reference_dir / "ope_fixture"
    expected = json.loads((fixture / "expected.json").read_text())
    bench = load_benchmark("otb", str(fixture / "sequences"))
    assert bench.names == sorted(expected["good"]["per_sequence_auc"])
    for tracker, exp in expected.items():
        got = score_results(bench, load_tracker_results(str(fixture / "results" / tracker), bench))
        assert got.success_auc == pytest.approx(exp["success_auc"], abs=TOL)
        assert got.precision_20px == pytest.approx(exp["precision_20px"], abs=TOL)
        assert got.norm_precision_02 == pytest.approx(exp["norm_precision_0.2"], abs=TOL)
        np.testing.assert_allclose(got.success_curve, exp["success_curve"], rtol=0, atol=TOL)
        for name, auc in exp["per_sequence_auc"].items():
            assert got.per_sequence_auc[name] == pytest.approx(auc, abs=TOL)


def test_iou_without_plus_one():
    gt = np.array([[0.0, 0.0, 10.0, 10.0]])
    assert overlap_ratio(gt, np.array([[5.0, 0.0, 10.0, 10.0]]))[0] == pytest.approx(50 / 150)
    assert overlap_ratio(gt, np.array([[20.0, 0.0, 10.0, 10.0]]))[0] == 0


def test_invalid_frames_miss_success_but_hit_precision():
    gt = np.array([[10.0, 10, 20, 20], [0, 0, 0, 0], [-30, -30, 10, 10]])
    pred = np.array([[10.0, 10, 20, 20], [100, 100, 5, 5], [100, 100, 5, 5]])
    s = score_sequence(gt, pred)
    # frame 0 perfect; frame 1 (w = 0) no IoU -> a miss; frame 2 valid box, IoU 0
    assert s.success[0] == pytest.approx(1 / 3)
    # frames 1 and 2 have a gt centre <= 0 -> distance -1 -> a hit at every threshold
    assert s.precision[0] == pytest.approx(1.0)
    assert s.success[-1] == 0  # IoU is never > 1


def test_visible_frames_keep_full_length():
    gt = np.tile([10.0, 10, 20, 20], (4, 1))
    pred = gt.copy()
    s = score_sequence(gt, pred, visible=np.array([1, 1, 0, 0], bool))
    assert s.success[0] == pytest.approx(0.5)  # 2 scored frames over n_frames = 4
    assert s.precision[20] == pytest.approx(0.5)


def test_a_result_longer_or_shorter_than_the_sequence_is_rejected():
    gt = np.tile([10.0, 10, 20, 20], (3, 1))
    assert score_sequence(gt, np.tile(gt[0], (3, 1))).auc == pytest.approx(20 / 21)
    for rows in (5, 2):  # a longer one was cut silently before issue 20
        with pytest.raises(ValueError, match=f"{rows} result boxes for 3"):
            score_sequence(gt, np.tile(gt[0], (rows, 1)))


def test_per_attribute_means(tmp_path):
    from siamtrack.evaluation import evaluate_ope

    gt = {"a": np.tile([10.0, 10, 20, 20], (2, 1)), "b": np.tile([10.0, 10, 20, 20], (2, 1))}
    res = {"a": gt["a"], "b": gt["b"] + [40, 40, 0, 0]}
    out = evaluate_ope(gt, res, attributes={"a": ("OCC",), "b": ("OCC", "FM")})
    assert out.per_attribute["FM"].success_auc == 0
    assert out.per_attribute["OCC"].success_auc == pytest.approx(out.success_auc)
    assert out.per_attribute["OCC"].success_auc == pytest.approx(10 / 21)
