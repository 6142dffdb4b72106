"""siamtrack-eval scores GOT-10k folders with AO / SR (equal to the got10k toolkit) and
VOT2018-LT folders with long-term precision / recall / F1, in run and --results modes, in the
table, --output-json and the training evaluator."""
import json
import os

import numpy as np
import pytest

from _integrations_common import generated_sequences, save_untrained_weights, write_got10k_val, write_jpegs
from conftest import REPO_ROOT
from test_eval_cli import FakeTracker
from test_got10k_metrics import _generated, _write_got10k

from siamtrack.evaluation import (GOT10kResult, LongTermResult, ResultsError, TrackingBenchmarkEvaluator,
                                  evaluate_got10k, evaluate_longterm, load_benchmark, load_tracker_results,
                                  metric_of, metrics_of, run_benchmark, score_result_dirs, score_results)
from siamtrack_cli import eval as eval_cli

CONFIG = str(REPO_ROOT / "configs" / "quickstart_synthetic.yaml")


def _got10k_folder(tmp_path, seqs):
    _write_got10k(str(tmp_path / "data"), str(tmp_path / "results"), seqs)
    return tmp_path / "data", tmp_path / "results" / "GOT-10k" / "mine"


def _reference(seqs):
    return evaluate_got10k({n: s["gt"] for n, s in seqs.items()}, {n: s["runs"] for n, s in seqs.items()},
                           covers={n: s["cover"] for n, s in seqs.items()},
                           sizes={n: s["size"] for n, s in seqs.items()},
                           times={n: s["times"] for n, s in seqs.items()}).summary()


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value")
def test_results_mode_prints_and_writes_the_toolkits_ao_sr(tmp_path, capsys):
    from got10k.experiments import ExperimentGOT10k

    seqs = _generated()
    data, mine = _got10k_folder(tmp_path, seqs)
    out_json = tmp_path / "scores.json"
    rc = eval_cli.main(["--dataset", "GOT-10k-val", "--dataset-root", str(data), "--results", str(mine),
                        "--output-json", str(out_json), "--plot-dir", str(tmp_path / "plots")])
    assert rc == 0
    got = json.loads(out_json.read_text())["mine"]
    ours = _reference(seqs)  # repetitions _001/_002, covers, meta_info.ini bounds, times
    for key in ("ao", "sr_0.5", "sr_0.75", "success_curve_101", "speed_fps", "num_frames"):
        assert got[key] == ours[key], key
    toolkit = ExperimentGOT10k(str(data), subset="val", result_dir=str(tmp_path / "results"),
                               report_dir=str(tmp_path / "reports")).report(["mine"])["mine"]["overall"]
    assert got["ao"] == pytest.approx(toolkit["ao"], rel=1e-15)  # pooled: summation order only
    assert got["sr_0.5"] == toolkit["sr"] and got["success_curve_101"] == toolkit["succ_curve"]
    out = capsys.readouterr().out
    assert "| Tracker | AO" in out and "SR0.5" in out and "SR0.75" in out
    assert f"| mine    | {got['ao']:.3f} | {got['sr_0.5']:.3f}" in out
    assert (tmp_path / "plots" / "GOT-10k-val_success.png").stat().st_size > 1000
    # the same folder named by its layout gives the same numbers
    rc = eval_cli.main(["--dataset", f"got10k:{data / 'val'}", "--results", str(mine),
                        "--output-json", str(tmp_path / "layout.json")])
    assert rc == 0 and json.loads((tmp_path / "layout.json").read_text())["mine"]["ao"] == got["ao"]


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value")
def test_nan_results_are_said(tmp_path, capsys):
    seqs = _generated(seed=1)
    seqs["GOT-10k_Val_000003"]["runs"][0][[12, 30, 31]] = np.nan
    data, mine = _got10k_folder(tmp_path, seqs)
    assert eval_cli.main(["--dataset", "got10k_val", "--dataset-root", str(data), "--results", str(mine)]) == 0
    n = evaluate_got10k({k: s["gt"] for k, s in seqs.items()}, {k: s["runs"] for k, s in seqs.items()},
                        covers={k: s["cover"] for k, s in seqs.items()}).nan_frames
    assert n > 0 and f"mine: {n} frames with NaN results scored as IoU 0" in capsys.readouterr().out


def test_run_mode_and_evaluator_on_a_got_layout_folder(tmp_path, monkeypatch, capsys):
    import siamtrack.evaluation.runs.benchmark_job

    write_got10k_val(str(tmp_path / "GOT-10k"))
    monkeypatch.setattr(siamtrack.evaluation.runs.benchmark_job, "build_tracker", lambda cfg: FakeTracker())
    rc = eval_cli.main(["--config-file", CONFIG, "--dataset", "GOT-10k-val", "--dataset-root",
                        str(tmp_path / "GOT-10k"), "--output", str(tmp_path / "out"), "--no-progress",
                        "--tracker-name", "fake", "--output-json", str(tmp_path / "s.json"), "MODEL.DEVICE", "cpu"])
    assert rc == 0 and "| fake " in capsys.readouterr().out
    bench = load_benchmark("GOT-10k-val", str(tmp_path / "GOT-10k"))
    folder = tmp_path / "out" / "GOT-10k-val" / "fake"
    assert (folder / "seq1" / "seq1_001.txt").is_file() and (folder / "seq1" / "seq1_time.txt").is_file()
    files = load_tracker_results(str(folder), bench)
    expected = evaluate_got10k({s.name: s.gt for s in bench}, files,
                               covers={s.name: s.tags["cover"] for s in bench},
                               sizes={s.name: (160, 120) for s in bench})
    assert json.loads((tmp_path / "s.json").read_text())["fake"]["ao"] == expected.ao
    # in training: the evaluator reports GOT-10k's metrics, equal to scoring the files
    evaluator = TrackingBenchmarkEvaluator("got10k_val", cfg=None, root=str(tmp_path / "GOT-10k"),
                                           tracker=FakeTracker())
    metrics = evaluator.evaluate()["got10k_val"]
    assert metrics == {"ao": expected.ao, "sr_0.5": expected.sr_05, "sr_0.75": expected.sr_075}


def _write_longterm(root, count=2, frames=12, size=(160, 120)):
    """A VOT-LT folder: list.txt, <seq>/color/*.jpg, groundtruth.txt with NaN rows (absent)."""
    for index, (name, images, boxes) in enumerate(generated_sequences(count, frames, size)):
        write_jpegs(os.path.join(root, name, "color"), images, "%08d.jpg")
        gt = boxes.astype(float)
        gt[4 + index:8] = np.nan
        np.savetxt(os.path.join(root, name, "groundtruth.txt"), gt, fmt="%.4f", delimiter=",")
    with open(os.path.join(root, "list.txt"), "w") as f:
        f.write("seq0\nseq1\n")


def test_vot2018_lt_end_to_end_with_the_quickstart_model(tmp_path, capsys):
    _write_longterm(str(tmp_path / "lt"))
    weights = save_untrained_weights(tmp_path / "model.pth")
    out_json = tmp_path / "lt.json"
    rc = eval_cli.main(["--config-file", CONFIG, "--dataset", "VOT2018-LT", "--dataset-root", str(tmp_path / "lt"),
                        "--output", str(tmp_path / "out"), "--no-progress", "--output-json", str(out_json),
                        "--tracker-name", "lt", "MODEL.WEIGHTS", weights, "TRACK.TYPE", "SiamRPNLTTracker"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "| Tracker | Precision | Recall | F1" in out
    got = json.loads(out_json.read_text())["lt"]
    folder = tmp_path / "out" / "VOT2018-LT" / "lt" / "longterm" / "seq0"
    lines = (folder / "seq0_001.txt").read_text().splitlines()
    assert lines[0] == "1" and len(lines) == 12
    assert (folder / "seq0_001_confidence.value").read_text().splitlines()[0] == ""
    bench = load_benchmark("vot2018lt", str(tmp_path / "lt"))
    assert bench.protocol == "longterm" and np.isnan(bench["seq1"].gt[5]).all()
    files = load_tracker_results(str(tmp_path / "out" / "VOT2018-LT" / "lt"), bench)
    expected = evaluate_longterm({s.name: s.gt for s in bench}, files, {s.name: (160, 120) for s in bench})
    for key in ("precision", "recall", "f1", "threshold"):
        assert got[key] == expected.summary()[key]
    assert f"| lt      | {expected.precision:.3f}" in out


def test_longterm_in_memory_scores_equal_file_scores(tmp_path):
    class Confident(FakeTracker):
        def track(self, frame):
            self.tracks += 1
            return {"bbox": [b + 0.37 * self.tracks for b in self.box], "score": 1 / (1 + self.tracks) + 1e-7 / 3}

    _write_longterm(str(tmp_path / "lt"))
    bench = load_benchmark("VOT2018-LT", str(tmp_path / "lt"), need_frames=True)
    in_memory = run_benchmark(Confident(), bench, str(tmp_path / "out"), "c", progress=False)
    from_files = score_result_dirs(bench, [str(tmp_path / "out" / "VOT2018-LT" / "c")])["c"]
    ours = score_results(bench, in_memory)
    assert isinstance(ours, LongTermResult)
    assert ours.summary() == from_files.summary()  # confidences rounded like the files (%.6f)
    # the evaluator (training) reports the long-term metrics
    evaluator = TrackingBenchmarkEvaluator("vot2018_lt", cfg=None, root=str(tmp_path / "lt"), tracker=Confident())
    assert evaluator.evaluate() == {"vot2018_lt": metrics_of(ours)}
    assert set(metrics_of(ours)) == {"precision", "recall", "f1"}
    # resume reads the files back, with the same scores
    again = run_benchmark(FakeTracker(), bench, str(tmp_path / "out"), "c", progress=False)
    assert score_results(bench, again).summary() == ours.summary()


def test_pysot_json_longterm_rows_are_absent(tmp_path):
    os.makedirs(tmp_path / "s" / "color")
    meta = {"s": {"img_names": [f"s/color/{i:08d}.jpg" for i in range(1, 5)],
                  "gt_rect": [[1, 2, 10, 10], [0], [float("nan")] * 4, [2, 3, 10, 10]]}}
    (tmp_path / "VOT2019-LT.json").write_text(json.dumps(meta))
    seq = load_benchmark("VOT2019-LT", str(tmp_path))["s"]
    assert seq.gt.shape == (4, 4) and np.isnan(seq.gt[1:3]).all() and seq.gt[3].tolist() == [2, 3, 10, 10]


def test_metric_names_and_wrong_folders_are_one_line(tmp_path, capsys):
    gt = np.array([[0.0, 0, 10, 10]] * 3)
    got = evaluate_got10k({"a": gt}, {"a": gt})
    assert metric_of(got, "AO") == 1.0 and metric_of(got, "sr") == 1.0
    with pytest.raises(ResultsError, match=r"unknown metric 'eao' for these results; they have: ao, sr_0.5, sr_0.75"):
        metric_of(got, "eao")
    _write_longterm(str(tmp_path / "lt"))
    (tmp_path / "other" / "trk").mkdir(parents=True)
    (tmp_path / "other" / "trk" / "seq0.txt").write_text("1,2,3,4\n")  # an OPE file, not long-term
    rc = eval_cli.main(["--dataset", "VOT2018-LT", "--dataset-root", str(tmp_path / "lt"),
                        "--results", str(tmp_path / "other")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 2 and len(err) == 1 and "holds no results for any VOT2018-LT sequence" in err[0]
    assert "longterm layout" in err[0]
    rc = eval_cli.main(["--dataset", "VOT2018-LT", "--dataset-root", str(tmp_path / "other"),
                        "--results", str(tmp_path / "other")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 2 and len(err) == 1 and "no list.txt" in err[0]
