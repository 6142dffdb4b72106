"""siamtrack-eval / siamtrack-tune faults of the second fault matrix (issue 20): results never
written inside a dataset, annotation and result files whose length disagrees with the frames,
names that would leave their folder, output folders that cannot be written (one line, status
2), config overrides mixed with options, and launch arguments that cannot make a process group."""
import errno

import cv2
import numpy as np
import pytest

import siamtrack.evaluation.runs.benchmark_job as benchmark_job
from siamtrack.engine.launch import LaunchError, launch
from siamtrack.evaluation import BenchmarkError, load_benchmark
from siamtrack_cli import eval as eval_cli
from siamtrack_cli import tune as tune_cli

CONFIG = "pysot/siamrpn_alex_dwxcorr"


class StillTracker:
    """Keeps its init box."""

    def init(self, frame, box):
        self.box = list(box)

    def track(self, frame):
        return {"bbox": self.box, "score": 1.0}


def make_otb(root, names=("A", "B"), n=3):
    for name in names:
        (root / name / "img").mkdir(parents=True)
        for i in range(n):
            cv2.imwrite(str(root / name / "img" / f"{i + 1:04d}.jpg"), np.zeros((40, 50, 3), np.uint8))
        (root / name / "groundtruth_rect.txt").write_text("10,10,20,20\n" * n)
    return root


@pytest.fixture
def otb(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark_job, "build_tracker", lambda cfg: StillTracker())
    return make_otb(tmp_path / "otb")


def run(capsys, root, *extra, opts=("MODEL.DEVICE", "cpu")):
    status = eval_cli.main(["--config-file", CONFIG, "--dataset", "otb", "--dataset-root", str(root),
                            "--no-progress", *extra, *opts])
    err = capsys.readouterr().err.strip().splitlines()
    return status, err


def one_line(status, err, *words):
    assert status == 2 and len(err) == 1 and "Traceback" not in err[0], err
    for word in words:
        assert word in err[0]


def test_results_never_go_inside_the_dataset(otb, capsys):
    one_line(*run(capsys, otb, "--output", str(otb)), "inside the dataset folder")
    assert not (otb / "OTB100").exists()


def test_got10k_cover_label_of_another_length_is_an_error(tmp_path):
    seq = tmp_path / "val" / "GOT-10k_Val_000001"
    seq.mkdir(parents=True)
    for i in range(8):
        cv2.imwrite(str(seq / f"{i + 1:08d}.jpg"), np.zeros((40, 50, 3), np.uint8))
    (seq / "groundtruth.txt").write_text("10,10,20,20\n" * 8)
    (seq / "cover.label").write_text("8\n8\n")
    with pytest.raises(BenchmarkError, match="cover.label has 2 values for 8 frames"):
        load_benchmark("got10k_val", str(tmp_path))


def test_a_result_longer_than_its_sequence_is_refused(tmp_path, capsys):
    root = make_otb(tmp_path / "otb")
    results = tmp_path / "res" / "trk"
    results.mkdir(parents=True)
    (results / "A.txt").write_text("10,10,20,20\n" * 3)
    (results / "B.txt").write_text("10,10,20,20\n" * 4)
    status = eval_cli.main(["--dataset", "otb", "--dataset-root", str(root), "--results", str(results)])
    one_line(status, capsys.readouterr().err.strip().splitlines(), "4 result boxes for 3")


@pytest.mark.parametrize("name", ["../../escape", "..", "a/b"])
def test_tracker_names_stay_in_their_folder(otb, tmp_path, capsys, name):
    one_line(*run(capsys, otb, "--output", str(tmp_path / "out"), "--tracker-name", name), "--tracker-name")
    assert not (tmp_path / "escape").exists()


def test_study_names_stay_in_their_folder(tmp_path, capsys):
    status = tune_cli.main(["--config-file", CONFIG, "--dataset", "otb", "--study", "../../escape",
                            "--trials", "1", "--output", str(tmp_path / "out")])
    one_line(status, capsys.readouterr().err.strip().splitlines(), "--study")


def test_output_that_is_a_file(otb, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    one_line(*run(capsys, otb, "--output", str(tmp_path / "file")), "cannot write")


def test_fingerprint_that_is_a_folder(otb, tmp_path, capsys):
    (tmp_path / "out" / "OTB100" / "trk" / "fingerprint.json").mkdir(parents=True)
    one_line(*run(capsys, otb, "--output", str(tmp_path / "out"), "--tracker-name", "trk"), "not a file")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_full_or_read_only_disk_during_the_run(otb, tmp_path, capsys, monkeypatch, code):
    import siamtrack.evaluation.results.files as files

    def fail(path, lines):
        raise OSError(code, "cannot", path)

    monkeypatch.setattr(files, "atomic_write", fail)
    one_line(*run(capsys, otb, "--output", str(tmp_path / "out"), "--tracker-name", "trk"), "cannot write", "A.txt")
    assert (tmp_path / "out" / "OTB100" / "trk" / "fingerprint.json").is_file()  # what was done is kept


def test_overrides_are_not_read_as_result_folders(tmp_path):
    parser = eval_cli.build_parser()
    args = parser.parse_args(["--config-file", CONFIG, "--dataset", "otb", "--results", str(tmp_path),
                              "MODEL.WEIGHTS", "w.pth", "--output-json", "s.json", "TRACK.LR", "-0.5"])
    assert args.results == [str(tmp_path)] and args.output_json == "s.json"
    assert args.opts == ["MODEL.WEIGHTS", "w.pth", "TRACK.LR", "-0.5"]


def test_an_unknown_option_after_the_overrides_is_argparse_s_error(capsys):
    with pytest.raises(SystemExit) as exc:
        eval_cli.build_parser().parse_args(["--config-file", CONFIG, "--dataset", "otb", "MODEL.WEIGHTS", "w.pth",
                                            "--output-boxes", "b.txt"])
    assert exc.value.code == 2 and "unrecognized arguments: --output-boxes" in capsys.readouterr().err
    assert "Non-existent key" not in capsys.readouterr().err


@pytest.mark.parametrize("kwargs,message", [
    (dict(num_machines=2, machine_rank=5), "--machine-rank 5"),
    (dict(num_machines=1, machine_rank=-1), "--machine-rank -1"),
    (dict(dist_url="garbage://"), "--dist-url 'garbage://'"),
    (dict(dist_url="tcp://127.0.0.1:99999"), "PORT"),
])
def test_launch_refuses_arguments_that_cannot_make_a_process_group(kwargs, message):
    def never(*args):
        raise AssertionError("launched")

    with pytest.raises(LaunchError, match=message.replace("(", r"\(")):
        launch(never, 2, **kwargs)


def test_a_folder_that_is_not_the_whole_benchmark_is_labelled_as_such(tmp_path):
    bench = load_benchmark("otb", str(make_otb(tmp_path / "mine", names=("A", "B", "C"))))
    assert bench.label == f"OTB100 layout: 3 sequences of {tmp_path / 'mine'} (the benchmark has 100)"
    assert bench.results_name == "OTB100"  # pysot's folder name: a later complete run resumes there
