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
    """Tracker of the SiamRPNTracker interface that keeps its box and counts calls."""

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
    import siamtrack.evaluation.runs.benchmark_job

    make_otb(tmp_path / "otb", names=("A",))
    cfg_file = tmp_path / "cfg.yaml"
    cfg_file.write_text("TRACK:\n  LR: 0.3\n")
    monkeypatch.setattr(siamtrack.evaluation.runs.benchmark_job, "build_tracker", lambda cfg: FakeTracker())
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


# --- results that cannot lie: fingerprints, default names, same-name folders -----------------

CONFIG = str(REPO / "configs" / "quickstart_synthetic.yaml")


def _run(tmp_path, *extra, weights=None, tracker_name=None):
    args = ["--config-file", CONFIG, "--dataset", "OTB100", "--dataset-root", str(tmp_path / "otb"),
            "--output", str(tmp_path / "out"), "--no-progress"]
    if tracker_name:
        args += ["--tracker-name", tracker_name]
    args += list(extra) + ["MODEL.DEVICE", "cpu"]
    if weights:
        args += ["MODEL.WEIGHTS", str(weights)]
    return load_tool().main(args)


def test_two_model_final_files_are_not_scored_with_each_others_numbers(tmp_path, capsys):
    """The issue's reproduction: a/model_final.pth, then b/model_final.pth on the same benchmark."""
    from _integrations_common import save_untrained_weights

    make_otb(tmp_path / "otb", names=("A", "B"), n=6)
    for folder, seed in (("a", 0), ("b", 1)):
        (tmp_path / folder).mkdir()
        save_untrained_weights(tmp_path / folder / "model_final.pth", seed=seed)
    assert _run(tmp_path, weights=tmp_path / "a" / "model_final.pth") == 0
    assert "| a_model_final |" in capsys.readouterr().out
    assert _run(tmp_path, weights=tmp_path / "b" / "model_final.pth") == 0
    assert "| b_model_final |" in capsys.readouterr().out
    a, b = (tmp_path / "out" / "OTB100" / n for n in ("a_model_final", "b_model_final"))
    # b was tracked (its own files, other boxes), not read back from a's folder
    assert (b / "A.txt").read_text() != (a / "A.txt").read_text()
    fa, fb = (json.loads((d / "fingerprint.json").read_text()) for d in (a, b))
    assert fa["weights_sha256"] != fb["weights_sha256"] and fa["config_sha256"] == fb["config_sha256"]
    assert fb["sequences"] == ["A", "B"] and fb["siamtrack_version"]


def _fake_build(monkeypatch, trackers):
    import siamtrack.evaluation.runs.benchmark_job

    def build(cfg):
        trackers.append(FakeTracker())
        return trackers[-1]

    monkeypatch.setattr(siamtrack.evaluation.runs.benchmark_job, "build_tracker", build)


def test_resume_needs_the_same_fingerprint(tmp_path, monkeypatch, capsys, caplog):
    import logging

    trackers = []
    _fake_build(monkeypatch, trackers)
    make_otb(tmp_path / "otb")
    w1, w2 = tmp_path / "w1.pth", tmp_path / "w2.pth"
    w1.write_bytes(b"weights one")
    w2.write_bytes(b"weights two")
    assert _run(tmp_path, weights=w1, tracker_name="trk") == 0
    folder = tmp_path / "out" / "OTB100" / "trk"
    before = (folder / "A.txt").read_text()
    with caplog.at_level(logging.INFO, logger="siamtrack"):  # same weights and config: resumed
        assert _run(tmp_path, weights=w1, tracker_name="trk") == 0
    assert trackers[-1].inits == 0 and "skipped 2 finished sequences" in caplog.text
    capsys.readouterr()
    for weights, opts, what in ((w2, [], "other weights"), (w1, ["TRACK.LR", "0.1"], "other config")):
        assert _run(tmp_path, *opts, weights=weights, tracker_name="trk") == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1 and what in err[0] and "--tracker-name" in err[0] and "--no-resume" in err[0]
        assert (folder / "A.txt").read_text() == before  # nothing touched
    # --no-resume re-runs everything into the folder under the new fingerprint
    assert _run(tmp_path, "--no-resume", weights=w2, tracker_name="trk") == 0
    assert trackers[-1].inits == 2
    assert json.loads((folder / "fingerprint.json").read_text())["weights"] == str(w2)


def test_only_sequences_finished_under_the_fingerprint_are_skipped(tmp_path, monkeypatch):
    trackers = []
    _fake_build(monkeypatch, trackers)
    make_otb(tmp_path / "otb")
    folder = tmp_path / "out" / "OTB100" / "trk"
    folder.mkdir(parents=True)
    (folder / "A.txt").write_text("1,1,1,1\n" * 4)  # a stranger's result
    assert _run(tmp_path, tracker_name="trk") == 2  # refused: results without a fingerprint
    assert _run(tmp_path, "--max-sequences", "1", "--no-resume", tracker_name="trk") == 0
    assert (folder / "A.txt").read_text().startswith("10.5,10.5")  # re-run, not trusted
    (folder / "B.txt").write_text("1,1,1,1\n" * 4)  # complete, but not made under this fingerprint
    assert _run(tmp_path, tracker_name="trk") == 0
    assert trackers[-1].inits == 1 and (folder / "B.txt").read_text().startswith("10.5,10.5")


@pytest.mark.parametrize("weights, name", [
    ("out/a/model_final.pth", "a_model_final"), ("b/model_0004999.pth", "b_model_0004999"),
    ("exp1/checkpoint_e20.pth", "exp1_checkpoint_e20"), ("siamrpn/model.pth", "siamrpn_model"),
    ("x/siamrpn_alex_dwxcorr.pth", "siamrpn_alex_dwxcorr"), ("", "cfg")])
def test_default_tracker_name(weights, name):
    from siamtrack.config import load_config
    from siamtrack.evaluation.results.fingerprint import default_tracker_name

    cfg = load_config(CONFIG, ["MODEL.WEIGHTS", weights])
    assert default_tracker_name(cfg, "configs/cfg.yaml") == name


def test_same_name_result_folders_are_kept_apart(reference_dir, tmp_path, capsys):
    import shutil

    fixture = reference_dir / "ope_fixture"
    for parent, source in (("a", "good"), ("b", "poor")):
        shutil.copytree(fixture / "results" / source, tmp_path / parent / "trk")
    out_json = tmp_path / "s.json"
    rc = load_tool().main(["--dataset", "otb", "--dataset-root", str(fixture / "sequences"),
                           "--results", str(tmp_path / "a" / "trk"), str(tmp_path / "b" / "trk"),
                           str(tmp_path / "a" / "trk"), "--output-json", str(out_json)])
    assert rc == 0
    got = json.loads(out_json.read_text())
    expected = json.loads((fixture / "expected.json").read_text())
    assert sorted(got) == ["a/trk", "b/trk"]  # both kept, the repeated folder once
    assert got["a/trk"]["success_auc"] == pytest.approx(expected["good"]["success_auc"], abs=1e-9)
    assert got["b/trk"]["success_auc"] == pytest.approx(expected["poor"]["success_auc"], abs=1e-9)
    out = capsys.readouterr().out
    assert "| a/trk " in out and "| b/trk " in out
