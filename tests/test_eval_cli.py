"""siamtrack-eval (tools/eval_tracker.py): scoring mode against the reference fixture, bad input,
plots, and the runner's resume / result layouts with a fake tracker."""
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from siamtrack.evaluation import ResultsError, load_benchmark, run_benchmark
from siamtrack_cli import eval as eval_cli

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "tools" / "eval_tracker.py"


def load_tool():
    return eval_cli


def test_output_json_reproduces_fixture(reference_dir, tmp_path, capsys):
    fixture = reference_dir / "ope_fixture"
    out_json, plots = tmp_path / "scores.json", tmp_path / "plots"
    rc = load_tool().main(["--dataset", "otb", "--dataset-root", str(fixture / "sequences"),
                           "--results", str(fixture / "results" / "good"), str(fixture / "results" / "poor"),
                           "--output-json", str(out_json), "--plot-dir", str(plots)])
    assert rc == 0
    got, expected = json.loads(out_json.read_text()), json.loads((fixture / "expected.json").read_text())
    for tracker, exp in expected.items():
        for key in ("success_auc", "precision_20px", "norm_precision_0.2"):
            assert got[tracker][key] == pytest.approx(exp[key], abs=1e-9)
        np.testing.assert_allclose(got[tracker]["success_curve"], exp["success_curve"], rtol=0, atol=1e-9)
        for name, auc in exp["per_sequence_auc"].items():
            assert got[tracker]["per_sequence_auc"][name] == pytest.approx(auc, abs=1e-9)
    for kind in ("success", "precision"):
        png = plots / f"OTB100_{kind}.png"
        assert png.stat().st_size > 1000 and cv2.imread(str(png)) is not None
    assert "good" in capsys.readouterr().out


def test_bad_input_exits_2_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, str(TOOL), "--dataset", "otb", "--dataset-root",
                           str(tmp_path / "nope"), "--results", str(tmp_path)],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "does not exist" in lines[0] and "Traceback" not in proc.stderr


def test_missing_results_exit_2(tmp_path, capsys):
    (tmp_path / "seqs" / "A").mkdir(parents=True)
    (tmp_path / "seqs" / "A" / "groundtruth_rect.txt").write_text("1,2,3,4\n")
    (tmp_path / "res").mkdir()
    rc = load_tool().main(["--dataset", "otb", "--dataset-root", str(tmp_path / "seqs"),
                           "--results", str(tmp_path / "res")])
    assert rc == 2 and "no results" in capsys.readouterr().err


class FakeTracker:
    """Tracker of the SiamTracker interface that keeps its box and counts calls."""

    def __init__(self):
        self.inits, self.tracks = 0, 0

    def init(self, frame, box):
        assert frame.dtype == np.uint8 and frame.ndim == 3
        self.inits, self.box = self.inits + 1, list(box)

    def track(self, frame):
        self.tracks += 1
        return {"bbox": self.box, "score": 0.9}


def make_otb(root, names=("A", "B"), n=4):
    for name in names:
        img_dir = root / name / "img"
        img_dir.mkdir(parents=True)
        for i in range(n):
            cv2.imwrite(str(img_dir / f"{i + 1:04d}.jpg"), np.zeros((40, 50, 3), np.uint8))
        (root / name / "groundtruth_rect.txt").write_text("10,10,20,20\n" * n)


def test_resume_skips_finished_sequences(tmp_path):
    make_otb(tmp_path / "otb")
    bench = load_benchmark("otb", str(tmp_path / "otb"), need_frames=True)
    out = tmp_path / "results"
    first = run_benchmark(FakeTracker(), bench, str(out), "fake", progress=False)
    result_file = out / "OTB100" / "fake" / "A.txt"
    lines = result_file.read_text().splitlines()
    assert lines[0] == "10.5,10.5,20.0,20.0" and len(lines) == 4  # init box x+0.5, y+0.5
    os.remove(out / "OTB100" / "fake" / "B.txt")
    tracker = FakeTracker()
    second = run_benchmark(tracker, bench, str(out), "fake", progress=False)
    assert tracker.inits == 1 and tracker.tracks == 3  # only B was run again
    np.testing.assert_array_equal(first["A"], second["A"])
    assert not [p for p in (out / "OTB100" / "fake").iterdir() if p.name.startswith(".tmp")]


def test_cli_run_mode_with_fake_tracker(tmp_path, monkeypatch, capsys):
    import siamtrack.evaluation.benchmark_job

    make_otb(tmp_path / "otb", names=("A",))
    cfg_file = tmp_path / "cfg.yaml"
    cfg_file.write_text("TRACK:\n  LR: 0.3\n")
    monkeypatch.setattr(siamtrack.evaluation.benchmark_job, "build_tracker", lambda cfg: FakeTracker())
    rc = load_tool().main(["--config-file", str(cfg_file), "--dataset", "OTB100", "--dataset-root",
                           str(tmp_path / "otb"), "--output", str(tmp_path / "out"), "--no-progress",
                           "--tracker-name", "fake", "MODEL.DEVICE", "cpu"])
    assert rc == 0
    assert (tmp_path / "out" / "OTB100" / "fake" / "A.txt").is_file()
    assert "fake" in capsys.readouterr().out


def test_got10k_submission_layout(tmp_path):
    seq_dir = tmp_path / "got" / "test" / "GOT-10k_Test_000001"
    seq_dir.mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(seq_dir / f"{i + 1:08d}.jpg"), np.zeros((30, 30, 3), np.uint8))
    (seq_dir / "groundtruth.txt").write_text("1,2,10,12\n")
    (tmp_path / "got" / "test" / "list.txt").write_text("GOT-10k_Test_000001\n")
    bench = load_benchmark("GOT-10k-test", str(tmp_path / "got"), need_frames=True)
    run_benchmark(FakeTracker(), bench, str(tmp_path / "out"), "fake", progress=False)
    sub = tmp_path / "out" / "GOT-10k" / "fake" / "GOT-10k_Test_000001"
    assert len((sub / "GOT-10k_Test_000001_001.txt").read_text().splitlines()) == 3
    assert len((sub / "GOT-10k_Test_000001_time.txt").read_text().splitlines()) == 3


def test_vot_baseline_layout_and_scoring(tmp_path):
    from siamtrack.evaluation import score_result_dirs

    seq_dir = tmp_path / "vot" / "s1" / "color"
    seq_dir.mkdir(parents=True)
    for i in range(6):
        cv2.imwrite(str(seq_dir / f"{i + 1:08d}.jpg"), np.zeros((100, 100, 3), np.uint8))
    (tmp_path / "vot" / "s1" / "groundtruth.txt").write_text("10,10,10,29,29,29,29,10\n" * 6)
    bench = load_benchmark("vot2018", str(tmp_path / "vot"), need_frames=True)
    run_benchmark(FakeTracker(), bench, str(tmp_path / "out"), "fake", progress=False)
    path = tmp_path / "out" / "VOT2018" / "fake" / "baseline" / "s1" / "s1_001.txt"
    assert path.read_text().splitlines()[:2] == ["1", "10.0000,10.0000,20.0000,20.0000"]
    scores = score_result_dirs(bench, [str(tmp_path / "out" / "VOT2018")])
    assert scores["fake"].lost_number == 0
    path.write_text("\n".join(path.read_text().splitlines()[:4]) + "\n")  # a truncated result
    with pytest.raises(ResultsError, match="4 records for 6 frames"):
        score_result_dirs(bench, [str(tmp_path / "out" / "VOT2018")])


def test_dataset_evaluator_reports_metrics(tmp_path):
    from detectron2.evaluation import DatasetEvaluator

    from siamtrack.evaluation import TrackingBenchmarkEvaluator

    make_otb(tmp_path / "otb", names=("A",))
    evaluator = TrackingBenchmarkEvaluator("otb100", cfg=None, root=str(tmp_path / "otb"),
                                           tracker=FakeTracker())
    assert isinstance(evaluator, DatasetEvaluator)
    evaluator.reset()
    metrics = evaluator.evaluate()["otb100"]
    # a still box offset by (0.5, 0.5) from the 20x20 ground truth: IoU 19.5^2 / (800 - 19.5^2)
    iou = 19.5 ** 2 / (800 - 19.5 ** 2)
    assert metrics["success_auc"] == pytest.approx(np.mean(np.arange(0, 1.05, 0.05) < iou))
    assert metrics["precision_20px"] == 1.0


@pytest.mark.parametrize("opts, expected", [
    (["MODEL.NOPE", "1"], "bad config or overrides: Non-existent key"),
    (["MODEL.DEVICE"], "bad config or overrides: Override list"),
])
def test_cli_bad_overrides_exit_2(tmp_path, capsys, opts, expected):
    make_otb(tmp_path / "otb", names=("A",))
    cfg_file = tmp_path / "cfg.yaml"
    cfg_file.write_text("TRACK:\n  LR: 0.3\n")
    rc = load_tool().main(["--config-file", str(cfg_file), "--dataset", "OTB100", "--dataset-root",
                           str(tmp_path / "otb"), "--no-progress", *opts])
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("siamtrack-eval")]
    assert rc == 2 and len(err) == 1 and expected in err[0]
