"""Long-term precision / recall / F1 over confidence thresholds (pysot's F1Benchmark
definition): a case derived by hand, invariants on generated sequences with absences, and the
long-term result files."""
import json
import os

import numpy as np
import pytest

from siamtrack.evaluation.metrics.longterm import (confidence_thresholds, evaluate_longterm,
                                           precision_recall_curves)
from siamtrack.evaluation.results.longterm import (is_longterm_tracker_dir, load_longterm_results,
                                                   longterm_paths, longterm_sequence_finished,
                                                   read_longterm_results, write_longterm_results)
from siamtrack.evaluation.results.files import ResultsError
from siamtrack.evaluation.metrics.vot import region_overlap

SIZE = (100, 100)
BOX = [10.0, 10, 20, 20]  # rasterised as columns/rows 10..30: 21 x 21 pixels
SHIFTED = [20.0, 10, 20, 20]  # columns 20..40: 11 of 31 columns shared
FAR = [70.0, 70, 10, 10]  # disjoint from BOX
ABSENT = [np.nan] * 4
# VOT overlaps are single precision: 231 / 651 pixels
O = float(np.float32(11) / np.float32(31))


def _hand_case():
    """Two videos, 98 confidences in all, so that every confidence is a threshold.

    A (60 frames): target visible on 0..39 (N_vis = 40), absent on 40..59. Frames 1..39 are
    tracked exactly (overlap 1) with confidence 0.8; on 40..59 the tracker still reports BOX
    (overlap 0: the target is absent) with confidence 0.3.
    B (40 frames, N_vis = 40): frames 1..19 overlap O = 11/31 with confidence 0.6, frames
    20..39 overlap 0 (FAR) with confidence 0.2.
    """
    gt_a = np.array([BOX] * 40 + [ABSENT] * 20)
    res_a = np.array([ABSENT] + [BOX] * 59)
    conf_a = np.array([np.nan] + [0.8] * 39 + [0.3] * 20)
    gt_b = np.array([BOX] * 40)
    res_b = np.array([ABSENT] + [SHIFTED] * 19 + [FAR] * 20)
    conf_b = np.array([np.nan] + [0.6] * 19 + [0.2] * 20)
    return {"A": gt_a, "B": gt_b}, {"A": (res_a, conf_a), "B": (res_b, conf_b)}


def test_hand_checked_precision_recall_f1():
    gt, results = _hand_case()
    r = evaluate_longterm(gt, results, {"A": SIZE, "B": SIZE})
    # thresholds, highest first: +inf, 0.8 (x39), 0.6 (x19), 0.3 (x20), 0.2 (x20), -inf
    expected_t = [np.inf] + [0.8] * 39 + [0.6] * 19 + [0.3] * 20 + [0.2] * 20 + [-np.inf]
    assert r.thresholds.tolist() == expected_t
    p, rc = r.precision_curve, r.recall_curve
    # +inf selects nothing: precision 1, recall 0 for both videos
    assert (p[0], rc[0]) == (1.0, 0.0)
    # 0.8: A selects its 39 exact frames (P 1, R 39/40); B nothing (P 1, R 0)
    assert p[1] == 1.0 and rc[1] == pytest.approx((39 / 40 + 0) / 2, rel=1e-12)
    # 0.6: B adds 19 frames of overlap O: P_B = O, R_B = 19 O / 40
    assert p[40] == pytest.approx((1 + O) / 2, rel=1e-12)
    assert rc[40] == pytest.approx((39 / 40 + 19 * O / 40) / 2, rel=1e-12)
    # 0.3: A adds its 20 absent frames (overlap 0): P_A = 39/59, R_A unchanged
    assert p[59] == pytest.approx((39 / 59 + O) / 2, rel=1e-12)
    assert rc[59] == pytest.approx(rc[40], rel=1e-12)
    # 0.2 and -inf (all confidences > 0): B adds 20 zero frames: P_B = 19 O / 39
    for i in (79, 98, 99):
        assert p[i] == pytest.approx((39 / 59 + 19 * O / 39) / 2, rel=1e-12)
        assert rc[i] == pytest.approx(rc[40], rel=1e-12)
    # F1 = 2PR/(P+R): at 0.8, 2 (39/80) / (1 + 39/80) = 78/119 ~ 0.655, the maximum (at 0.6
    # it is ~0.620, at 0.3 ~0.538, at 0.2 ~0.482)
    assert r.best_index == 1 and r.threshold == 0.8
    assert r.f1 == pytest.approx(78 / 119, rel=1e-12)
    assert (r.precision, r.recall) == (1.0, pytest.approx(39 / 80, rel=1e-12))
    # per video, each at its own maximum: A 78/79 at 0.8; B 38 O / 59 at 0.6 (P O, R 19 O / 40)
    best = r.per_sequence_best()
    assert best["A"]["f1"] == pytest.approx(78 / 79, rel=1e-12)
    assert best["B"] == pytest.approx({"precision": O, "recall": 19 * O / 40, "f1": 38 * O / 59},
                                      rel=1e-12)
    summary = json.loads(json.dumps(r.summary(), allow_nan=False))  # strict JSON
    assert summary["f1"] == r.f1 and summary["thresholds"][0] is None
    assert len(summary["precision_curve"]) == len(summary["recall_curve"]) == 100


def test_threshold_sampling():
    scores = np.arange(1, 99) / 100.0  # 98 values: d = 1, indices 0..97 = all of them
    t = confidence_thresholds(np.concatenate([[np.nan], scores]))
    assert len(t) == 100 and t[0] == np.inf and t[-1] == -np.inf
    assert t[1:-1].tolist() == scores[::-1].tolist()
    scores = np.arange(196) * 1.0  # d = 2: indices floor(linspace(1, 194, 98) + 0.5)
    t = confidence_thresholds(scores[::-1])  # order of the input does not matter
    assert t[1] == 194 and t[98] == 1 and np.all(np.diff(t) <= 0)
    # fewer than 98 values (where pysot fails): indices clipped, every value kept
    t = confidence_thresholds([0.5, 0.1, 0.9])
    assert sorted(set(t[1:-1].tolist())) == [0.1, 0.5, 0.9] and np.all(np.diff(t) <= 0)
    with pytest.raises(ValueError, match="no confidence"):
        confidence_thresholds([np.nan, np.nan])


def test_nothing_selected_and_zero_scores():
    overlaps = np.array([0.0, 0.5, 1.0, 0.0])
    scores = np.array([np.nan, 0.5, 0.0, 0.7])
    p, r = precision_recall_curves(overlaps, scores, np.array([np.inf, 0.6, 0.0, -np.inf]), 4)
    # +inf: nothing; 0.6: frame 3; 0.0: frames 0 (NaN -> 0), 1, 2, 3; -inf: score > 0 only
    assert p.tolist() == [1.0, 0.0, 0.375, 0.25]
    assert r.tolist() == [0.0, 0.0, 0.375, 0.125]


def _generated(seed, n_videos=4):
    """Videos with absent stretches, noisy boxes, random positive confidences."""
    rng = np.random.default_rng(seed)
    gt, results, sizes = {}, {}, {}
    for v in range(n_videos):
        n = int(rng.integers(20, 90))
        size = (int(rng.integers(60, 200)), int(rng.integers(60, 200)))
        wh = rng.uniform(8, 30, (n, 2))
        xy = rng.uniform(0, 1, (n, 2)) * (np.array(size) - wh)
        g = np.concatenate([xy, wh], 1)
        absent = np.zeros(n, bool)
        start = int(rng.integers(1, n))
        absent[start:start + int(rng.integers(1, n))] = True
        g[absent] = np.nan
        pred = np.where(absent[:, None], rng.uniform(0, 50, (n, 4)) + [0, 0, 5, 5],
                        np.nan_to_num(g) + rng.normal(0, 5, (n, 4)))
        pred[rng.random(n) < 0.1] = np.nan  # frames without a prediction
        conf = np.where(absent, rng.uniform(0.01, 0.6, n), rng.uniform(0.3, 1.0, n))
        name = f"video{v}"
        gt[name], results[name], sizes[name] = g, (pred, conf), size
    return gt, results, sizes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_invariants_on_generated_sequences(seed):
    gt, results, sizes = _generated(seed)
    r = evaluate_longterm(gt, results, sizes)
    t, p, rc, f1 = r.thresholds, r.precision_curve, r.recall_curve, r.f1_curve
    assert len(t) == 100 and t[0] == np.inf and t[-1] == -np.inf and np.all(np.diff(t) <= 0)
    assert np.all((0 <= p) & (p <= 1)) and np.all(np.diff(rc) >= 0)
    for name in gt:  # nothing selected at +inf; recall grows as the threshold falls
        sp, sr = r.per_sequence_precision[name], r.per_sequence_recall[name]
        assert sp[0] == 1.0 and sr[0] == 0.0
        assert np.all(np.diff(sr) >= 0) and np.all((0 <= sp) & (sp <= 1)) and sr[-1] <= 1
    assert r.f1 == f1.max() and r.f1 == pytest.approx(2 * r.precision * r.recall /
                                                      (r.precision + r.recall), rel=1e-12)
    # recall at -inf, computed frame by frame: all frames with a prediction count
    expected = []
    for name, g in gt.items():
        pred, conf = results[name]
        n_vis = np.sum(~np.isnan(g[:, 0]))
        total = sum(region_overlap(pred[i], g[i], sizes[name]) for i in range(1, len(g))
                    if not np.isnan(g[i, 0]) and not np.isnan(pred[i, 0]))
        expected.append(total / n_vis)
    assert rc[-1] == pytest.approx(np.mean(expected), rel=1e-12)


def test_only_confidence_order_and_visible_frames_matter():
    gt, results, sizes = _generated(5)
    r = evaluate_longterm(gt, results, sizes)
    # confidences replaced by their rank among all: same selections, same curves
    names = list(results)
    pooled = np.concatenate([results[n][1][1:] for n in names])
    ranks = np.unique(pooled, return_inverse=True)[1] + 1.0
    ranked, start = {}, 0
    for n in names:
        boxes, conf = results[n]
        ranked[n] = (boxes, np.concatenate([[np.nan], ranks[start:start + len(conf) - 1]]))
        start += len(conf) - 1
    r2 = evaluate_longterm(gt, ranked, sizes)
    assert r2.precision_curve.tolist() == r.precision_curve.tolist()
    assert r2.recall_curve.tolist() == r.recall_curve.tolist()
    # boxes reported while the target is absent never count (overlap 0 there)
    moved = {}
    for n, (boxes, conf) in results.items():
        boxes = boxes.copy()
        boxes[np.isnan(gt[n][:, 0])] = [1, 2, 3, 4]
        moved[n] = (boxes, conf)
    r3 = evaluate_longterm(gt, moved, sizes)
    assert r3.precision_curve.tolist() == r.precision_curve.tolist()


def test_perfect_tracker_misses_only_frame_zero():
    # exact boxes when visible, confidences above every absent frame's: precision 1 and
    # recall (N_vis - 1) / N_vis per video, because frame 0 counts as visible but is never scored
    gt = {"a": np.array([BOX] * 30 + [ABSENT] * 20), "b": np.array([BOX] * 10 + [ABSENT] * 39)}
    results = {n: (np.nan_to_num(g, nan=5.0), np.where(np.isnan(g[:, 0]), 0.1, 0.9))
               for n, g in gt.items()}  # 49 + 49 = 98 confidences: all are thresholds
    r = evaluate_longterm(gt, results, {"a": SIZE, "b": SIZE})
    recall = (29 / 30 + 9 / 10) / 2
    assert r.precision == 1.0 and r.recall == pytest.approx(recall, rel=1e-12)
    assert r.f1 == pytest.approx(2 * recall / (1 + recall), rel=1e-12)


def test_bad_input_is_refused():
    gt, results = _hand_case()
    with pytest.raises(KeyError, match="no result"):
        evaluate_longterm(gt, {"A": results["A"]}, {"A": SIZE, "B": SIZE})
    short = {"A": results["A"], "B": (results["B"][0][:-1], results["B"][1])}
    with pytest.raises(ValueError, match="sequence B: 39 result boxes and 40 confidences"):
        evaluate_longterm(gt, short, {"A": SIZE, "B": SIZE})
    with pytest.raises(ValueError, match="no target in the first frame"):
        evaluate_longterm({"A": gt["A"][::-1]}, {"A": results["A"]}, {"A": SIZE})


def test_result_files_in_pysot_layout(tmp_path):
    boxes = np.array([[3.5, 4.5, 10, 20], [1.25, 2, 3, 4], [0.1, 0.2, 0.3, 0.4]])
    scores = [None, 0.98765432, 0.5]
    write_longterm_results(str(tmp_path), "car1", boxes, scores, times=[0.01, 0.002, 0.003])
    box_path, conf_path, time_path = longterm_paths(str(tmp_path), "car1")
    assert box_path == os.path.join(str(tmp_path), "longterm", "car1", "car1_001.txt")
    assert open(box_path).read() == "1\n1.25,2.0,3.0,4.0\n0.1,0.2,0.3,0.4\n"
    assert open(conf_path).read() == "\n0.987654\n0.500000\n"
    assert open(time_path).read() == "0.010000\n0.002000\n0.003000\n"
    assert sorted(os.listdir(os.path.dirname(box_path))) == [
        "car1_001.txt", "car1_001_confidence.value", "car1_time.txt"]  # no temporary left
    read_boxes, read_scores = read_longterm_results(str(tmp_path), "car1")
    assert np.isnan(read_boxes[0]).all() and read_boxes[1:].tolist() == boxes[1:].tolist()
    assert np.isnan(read_scores[0]) and read_scores[1:].tolist() == [0.987654, 0.5]
    assert longterm_sequence_finished(str(tmp_path), "car1", 3)
    assert not longterm_sequence_finished(str(tmp_path), "car1", 4)
    assert is_longterm_tracker_dir(str(tmp_path), ["bike", "car1"])
    assert not is_longterm_tracker_dir(str(tmp_path), ["bike"])
    assert list(load_longterm_results(str(tmp_path), ["car1"])) == ["car1"]


def test_result_files_errors(tmp_path):
    with pytest.raises(ResultsError, match="no long-term result for 1 of 1 sequences"):
        load_longterm_results(str(tmp_path), ["bike"])
    box_path, conf_path, _ = longterm_paths(str(tmp_path), "bike")
    os.makedirs(os.path.dirname(box_path))
    with open(box_path, "w") as f:
        f.write("1\n1,2,3,4\n0\n5,6,7,8\n")  # a code line reads as NaN
    with open(conf_path, "w") as f:
        f.write("\n0.5\n0.1\n")
    with pytest.raises(ResultsError, match="2 confidences after the first line for 3 tracked"):
        read_longterm_results(str(tmp_path), "bike")
    with open(conf_path, "w") as f:
        f.write("\n0.5\nhigh\n0.2\n")
    with pytest.raises(ResultsError, match=r"confidence.value:3: not a confidence value"):
        read_longterm_results(str(tmp_path), "bike")
    with open(conf_path, "w") as f:
        f.write("\n0.5\n0.1\n0.2\n\n")
    boxes, _ = read_longterm_results(str(tmp_path), "bike")
    assert np.isnan(boxes[2]).all() and boxes[3].tolist() == [5, 6, 7, 8]
    with open(box_path, "w") as f:
        f.write("1\n1,2,3\n")
    with pytest.raises(ResultsError, match="expected a code or 4 numbers"):
        read_longterm_results(str(tmp_path), "bike")
    with pytest.raises(ValueError, match="2 boxes but 1 confidences"):
        write_longterm_results(str(tmp_path), "x", np.zeros((2, 4)), [None])
