"""GOT-10k AO / SR0.5 / SR0.75 equal the numbers of the GOT-10k toolkit (``got10k`` package,
run in the test on a generated GOT-10k folder) on sequences with absent frames, boxes partly
or fully outside the image, zero-size boxes, NaN rows and repetitions."""
import os

import numpy as np
import pytest

try:
    from got10k.experiments import ExperimentGOT10k
    from got10k.utils.metrics import rect_iou
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip("needs the got10k package (a test dependency): pip install 'siamtrack[test]'",
                allow_module_level=True)

from siamtrack.evaluation.metrics.got10k import (GOT10K_THRESHOLDS, clip_boxes_to_image,
                                                 evaluate_got10k, got10k_iou)


def _sequence(rng, n, size, absent=(), outside=(), zero=()):
    """Ground truth, cover labels and a jittered result of one generated sequence."""
    w_img, h_img = size
    wh = rng.uniform(5, 0.5 * min(size), (n, 2))
    xy = rng.uniform(-0.1, 0.9, (n, 2)) * [w_img, h_img] - wh * 0.2
    gt = np.concatenate([xy, wh], 1)
    pred = gt + rng.normal(0, 4, (n, 4))
    cover = rng.integers(1, 9, n).astype(float)
    cover[list(absent)] = 0
    for i, f in enumerate(outside):  # fully outside: right, bottom, left, top in turn
        pred[f] = [[w_img + 5, 3, 10, 10], [3, h_img + 2, 10, 10], [-40, 3, 20, 10],
                   [3, -30, 10, 10]][i % 4]
    for f in zero:
        pred[f, 2] = 0
    return gt, cover, pred


def _generated(seed=0):
    rng = np.random.default_rng(seed)
    specs = {  # name: (frames, image size, absent frames, outside frames, zero-size frames)
        "GOT-10k_Val_000001": (2, (64, 48), (), (), ()),
        "GOT-10k_Val_000002": (7, (50, 50), (3,), (2,), (5,)),
        "GOT-10k_Val_000003": (40, (120, 90), range(10, 19), (20, 21, 22, 23), (30,)),
        "GOT-10k_Val_000004": (9, (80, 60), range(1, 9), (), ()),  # nothing scored
        "GOT-10k_Val_000005": (57, (200, 100), (0, 5, 6), (40, 41), (50, 51)),
    }
    seqs = {}
    for name, (n, size, absent, outside, zero) in specs.items():
        gt, cover, pred = _sequence(rng, n, size, absent, outside, zero)
        seqs[name] = dict(gt=gt, cover=cover, size=size, runs=[pred],
                          times=rng.uniform(0.005, 0.05, n))
    seqs["GOT-10k_Val_000003"]["gt"][25, 2:] = 0  # a zero-size ground-truth box
    last = seqs["GOT-10k_Val_000005"]
    last["runs"].append(last["runs"][0] + rng.normal(0, 3, last["runs"][0].shape))
    last["times"][[3, 4]] = [0.0, np.nan]  # the toolkit drops non-positive / NaN times
    return seqs


def _write_got10k(root, results_root, seqs):
    """GOT-10k val folder (list.txt, empty frames, labels, meta_info.ini) and result files."""
    val = os.path.join(root, "val")
    os.makedirs(val)
    with open(os.path.join(val, "list.txt"), "w") as f:
        f.write("\n".join(seqs))
    for name, s in seqs.items():
        d = os.path.join(val, name)
        os.makedirs(d)
        for i in range(len(s["gt"])):
            open(os.path.join(d, "%08d.jpg" % (i + 1)), "w").close()
        np.savetxt(os.path.join(d, "groundtruth.txt"), s["gt"], fmt="%.17g", delimiter=",")
        np.savetxt(os.path.join(d, "cover.label"), s["cover"], fmt="%d")
        np.savetxt(os.path.join(d, "absence.label"), (s["cover"] == 0).astype(int), fmt="%d")
        np.savetxt(os.path.join(d, "cut_by_image.label"), np.zeros(len(s["gt"])), fmt="%d")
        with open(os.path.join(d, "meta_info.ini"), "w") as f:
            f.write("[METAINFO]\nresolution: (%d, %d)\n" % s["size"])
        out = os.path.join(results_root, "GOT-10k", "mine", name)
        os.makedirs(out)
        for r, boxes in enumerate(s["runs"]):
            np.savetxt(os.path.join(out, "%s_%03d.txt" % (name, r + 1)), boxes, fmt="%.17g",
                       delimiter=",")
        np.savetxt(os.path.join(out, "%s_time.txt" % name), s["times"], fmt="%.17g")


def _toolkit_report(tmp_path, seqs):
    _write_got10k(str(tmp_path / "data"), str(tmp_path / "results"), seqs)
    exp = ExperimentGOT10k(str(tmp_path / "data"), subset="val",
                           result_dir=str(tmp_path / "results"), report_dir=str(tmp_path / "reports"))
    return exp.report(["mine"])["mine"]


def _ours(seqs):
    return evaluate_got10k({n: s["gt"] for n, s in seqs.items()},
                           {n: s["runs"] for n, s in seqs.items()},
                           covers={n: s["cover"] for n, s in seqs.items()},
                           sizes={n: s["size"] for n, s in seqs.items()},
                           times={n: s["times"] for n, s in seqs.items()})


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value")
def test_equals_got10k_toolkit_report(tmp_path):
    seqs = _generated()
    theirs = _toolkit_report(tmp_path, seqs)
    ours = _ours(seqs)
    summary = ours.summary()
    overall = theirs["overall"]
    # The toolkit pools repetitions in directory-listing order (glob), which changes the
    # summation order of the mean: AO may differ in the last bit, counts are exact.
    assert summary["ao"] == pytest.approx(overall["ao"], rel=1e-15)
    assert summary["sr_0.5"] == overall["sr"]
    assert summary["success_curve_101"] == overall["succ_curve"]
    assert len(summary["success_curve_101"]) == 101
    assert summary["sr_0.75"] == overall["succ_curve"][75]  # IoU > 0.75, the toolkit's curve
    assert summary["speed_fps"] == pytest.approx(overall["speed_fps"], rel=1e-12)
    assert summary["nan_frames"] == 0 and ours.nan_note() == ""
    for name, seq in theirs["seq_wise"].items():
        mine = summary["per_sequence"][name]
        np.testing.assert_allclose(mine["ao"], seq["ao"], rtol=1e-15)
        np.testing.assert_array_equal(mine["sr_0.5"], seq["sr"])
    # sequence 4 has no visible frame after the first: NaN there, as in the toolkit
    assert np.isnan(summary["per_sequence"]["GOT-10k_Val_000004"]["ao"])
    # repetitions are pooled: sequence 5 contributes both runs' scored frames
    n5 = int(np.sum(seqs["GOT-10k_Val_000005"]["cover"][1:] > 0))
    assert summary["per_sequence"]["GOT-10k_Val_000005"]["num_frames"] == 2 * n5


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value")
def test_nan_results_score_zero_and_are_counted(tmp_path):
    seqs = _generated(seed=1)
    nan_rows = {"GOT-10k_Val_000002": [1, 3, 4], "GOT-10k_Val_000003": [0, 12, 30, 31]}
    expected_nan = 0
    for name, rows in nan_rows.items():
        seqs[name]["runs"][0][rows] = np.nan
        expected_nan += sum(1 for r in rows if r > 0 and seqs[name]["cover"][r] > 0)
    theirs = _toolkit_report(tmp_path, seqs)["overall"]
    ours = _ours(seqs)
    # the toolkit's AO turns NaN; its SR and success curve count the frames as misses
    assert np.isnan(theirs["ao"])
    assert ours.sr_05 == theirs["sr"]
    assert ours.success_curve_101.tolist() == theirs["succ_curve"]
    # our AO: the toolkit's IoUs with NaN set to 0
    pooled = []
    for s in seqs.values():
        for run in s["runs"]:
            iou = rect_iou(run[1:].copy(), s["gt"][1:].copy(), bound=s["size"])[s["cover"][1:] > 0]
            pooled.append(np.nan_to_num(iou, nan=0.0))
    assert ours.ao == np.mean(np.concatenate(pooled))
    assert ours.nan_frames == expected_nan > 0
    assert ours.nan_note() == f"{expected_nan} frames with NaN results scored as IoU 0"


def test_clipping_moves_left_overflow_and_cuts_right_overflow():
    size = (100, 80)
    boxes = np.array([[-10.0, 5, 30, 20], [90, 70, 30, 20], [120, 5, 10, 10]])
    assert clip_boxes_to_image(boxes, size).tolist() == [[0, 5, 30, 20], [90, 70, 10, 10],
                                                         [100, 5, 0, 10]]
    gt = np.array([[0.0, 5, 30, 20], [90, 70, 10, 10], [95, 5, 5, 10]])
    ours = got10k_iou(boxes, gt, size)
    assert ours.tolist() == [1.0, 1.0, 0.0]
    np.testing.assert_array_equal(ours, rect_iou(boxes.copy(), gt.copy(), bound=size))
    # without an image size nothing is clipped
    assert got10k_iou(boxes[:1], gt[:1])[0] == pytest.approx(20 / 40)


def test_zero_size_boxes_score_zero():
    zero = np.array([[5.0, 5, 0, 0]])
    assert got10k_iou(zero, zero)[0] == 0.0
    assert got10k_iou(zero, np.array([[0.0, 0, 10, 10]]))[0] == 0.0


def test_thresholds_and_first_frame():
    assert len(GOT10K_THRESHOLDS) == 101 and GOT10K_THRESHOLDS[50] == 0.5
    gt = np.array([[0.0, 0, 10, 10]] * 3)
    pred = np.array([[50.0, 50, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]])  # frame 0 wrong: ignored
    result = evaluate_got10k({"a": gt}, {"a": pred})
    assert result.ao == pytest.approx(1.0) and result.num_frames == 2
    assert result.success_curve_101[-1] == 0.0  # IoU > 1 never holds


def test_bad_input_is_refused():
    gt = np.zeros((4, 4)) + [0, 0, 10, 10]
    with pytest.raises(KeyError, match="no result"):
        evaluate_got10k({"a": gt}, {})
    with pytest.raises(ValueError, match="sequence a: 3 result boxes for 4"):
        evaluate_got10k({"a": gt}, {"a": gt[:3]})
    with pytest.raises(ValueError, match="nothing to score"):
        evaluate_got10k({"a": gt}, {"a": gt}, covers={"a": np.zeros(4)})
