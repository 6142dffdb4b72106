"""siamtrack-eval over several processes (docs/evaluation.md, "Several processes, GPUs and
machines"): the split, byte-identical result files and equal scores for 1 and 2 CPU processes
(OPE and the VOT restart protocol), a killed process and a resumed run, two commands on one
results folder at once, SIGTERM, and the launch arguments refused before any process starts."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from detectron2.modeling import build_model

from siamtrack.config import load_config
from siamtrack.evaluation.runs.shard import assign_sequences
from siamtrack_cli import eval as eval_cli

REPO = Path(__file__).resolve().parents[1]
CONFIG = str(REPO / "configs" / "quickstart_synthetic.yaml")
LENGTHS = (9, 7, 5, 4)
VOT_LENGTHS = (18, 14, 12, 8)  # long enough for failures and re-initialisations
SUBPROCESS_ENV = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")


def _write_sequence(folder, n, k, vot):
    rng = np.random.RandomState(k)
    img_dir = folder if vot else folder / "img"
    img_dir.mkdir(parents=True)
    rows = []
    for i in range(n):
        img = (rng.rand(96, 128, 3) * 60).astype(np.uint8)
        x, y = 30 + 3 * i * (k % 2 * 2 - 1) + 20 * (k % 2 == 0), 25 + i
        img[y:y + 24, x:x + 32] = (200, 90 + 20 * k, 40)
        cv2.imwrite(str(img_dir / f"{i + 1:08d}.jpg"), img)
        rows.append(f"{x},{y},32,24")
    (folder / ("groundtruth.txt" if vot else "groundtruth_rect.txt")).write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharded")
    for k, (n, n_vot) in enumerate(zip(LENGTHS, VOT_LENGTHS)):
        _write_sequence(root / "otb" / f"S{k}", n, k, vot=False)
        _write_sequence(root / "vot" / f"V{k}", n_vot, k, vot=True)
    torch.manual_seed(0)
    weights = root / "w.pth"
    torch.save({"model": build_model(load_config(CONFIG, ["MODEL.DEVICE", "cpu"])).state_dict()}, weights)
    return SimpleNamespace(root=root, weights=str(weights))


def _args(data, dataset, output, *extra):
    return ["--config-file", CONFIG, "--dataset", dataset, "--dataset-root", str(data.root / dataset.lower()[:3]),
            "--output", str(output), "--no-progress", "--threads", "1", *extra, "MODEL.WEIGHTS", data.weights]


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*.txt"))
            if not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def test_assignment_is_balanced_longest_first():
    seqs = [SimpleNamespace(name=n, n_frames=f) for n, f in (("a", 5), ("b", 9), ("c", 4), ("d", 7), ("e", 3))]
    # taken b9 d7 a5 c4 e3, each to the lighter process: 13 and 15 frames, tracked in name order
    assert assign_sequences(seqs, 2) == [["b", "c"], ["a", "d", "e"]]
    assert assign_sequences(seqs, 1) == [["a", "b", "c", "d", "e"]]
    assert assign_sequences(seqs, 7)[5:] == [[], []]


@pytest.mark.parametrize("dataset,folder", [("otb", "OTB100"), ("vot2018", "VOT2018")])
def test_one_and_two_processes_write_identical_files(data, tmp_path, dataset, folder, capsys):
    json1, json2 = tmp_path / "one.json", tmp_path / "two.json"
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:  # one process runs in the caller's: --threads 1 applies to it, then the caller's count is back
        assert eval_cli.main(_args(data, dataset, tmp_path / "one", "--output-json", str(json1))) == 0
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    assert eval_cli.main(_args(data, dataset, tmp_path / "two", "--num-gpus", "2", "--output-json", str(json2))) == 0
    one, two = _files(tmp_path / "one" / folder / "w"), _files(tmp_path / "two" / folder / "w")
    assert len(one) == len(LENGTHS) and one == two
    if dataset == "vot2018":  # the restart protocol ran: failures (2) and re-initialisations (1)
        codes = [line for text in one.values() for line in text.decode().split()]
        assert codes.count("2") >= 2 and codes.count("1") > len(VOT_LENGTHS)
    assert json1.read_text() == json2.read_text() and json.loads(json1.read_text())  # equal JSON
    record = json.loads((tmp_path / "two" / folder / "w" / "fingerprint.json").read_text())
    assert record["sequences"] == sorted(record["sequences"]) and len(record["sequences"]) == len(LENGTHS)


def _start(data, output, *extra):
    return subprocess.Popen([sys.executable, str(REPO / "tools" / "eval_tracker.py"), *_args(data, "otb", output, *extra)],
                            cwd=REPO, env=SUBPROCESS_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _children(pid):
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _wait_for(predicate, seconds=120):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def reference(data, tmp_path_factory):
    """The result files of one process (one thread)."""
    out = tmp_path_factory.mktemp("reference")
    assert eval_cli.main(_args(data, "otb", out)) == 0
    return _files(out / "OTB100" / "w")


def test_a_killed_process_loses_only_its_sequence_and_the_run_resumes(data, tmp_path, reference):
    folder = tmp_path / "out" / "OTB100" / "w"
    proc = _start(data, tmp_path / "out", "--num-gpus", "2")
    assert _wait_for(lambda: len(list(folder.glob("S*.txt"))) >= 1)
    finished = {p.name: p.stat().st_ino for p in folder.glob("S*.txt")}
    victims = [pid for pid in _children(proc.pid) if Path(f"/proc/{pid}/cmdline").read_bytes().find(b"spawn") >= 0]
    os.kill(victims[-1], signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    lines = [line for line in err.splitlines() if line.startswith("eval_tracker.py: ")]
    assert proc.returncode == 2 and len(lines) == 1 and "SIGKILL" in lines[0] and "Traceback" not in err
    assert eval_cli.main(_args(data, "otb", tmp_path / "out")) == 0
    assert _files(folder) == reference
    for name, inode in finished.items():  # finished before the kill: read back, not re-run
        assert (folder / name).stat().st_ino == inode


def test_two_commands_on_one_folder_at_once(data, tmp_path, reference):
    procs = [_start(data, tmp_path / "out") for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    folder = tmp_path / "out" / "OTB100" / "w"
    assert _files(folder) == reference
    assert json.loads((folder / "fingerprint.json").read_text())["sequences"] == ["S0", "S1", "S2", "S3"]
    assert not list(folder.glob(".tmp*"))


@pytest.mark.parametrize("group", [False, True], ids=["command", "process-group"])
def test_sigterm_stops_every_process_with_one_line(data, tmp_path, group):
    proc = _start(data, tmp_path / "out", "--num-gpus", "2")
    assert _wait_for(lambda: len(list((tmp_path / "out" / "OTB100" / "w" / ".progress").glob("rank?"))) == 2)
    workers = _children(proc.pid)
    if group:  # as `timeout` or a job scheduler does: every process gets it
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.startswith("eval_tracker.py: ")]
    assert proc.returncode == 143 and len(lines) == 1 and "terminated" in lines[0] and "Traceback" not in err
    assert "leaked" not in err
    assert _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 30)


@pytest.mark.parametrize("extra,message", [
    (["--num-machines", "2", "--machine-rank", "5"], "--machine-rank 5"),
    (["--num-gpus", "2", "--dist-url", "garbage://"], "--dist-url"),
    (["--num-machines", "2", "--dist-url", "auto"], "auto"),
])
def test_launch_arguments_refused_in_one_line(data, tmp_path, capsys, extra, message):
    assert eval_cli.main(_args(data, "otb", tmp_path / "out", *extra)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


class ShiftTracker:
    """A deterministic tracker: the init box moved one pixel right per frame."""

    def init(self, frame, box):
        self.box = list(box)

    def track(self, frame):
        self.box[0] += 1.0
        return {"bbox": list(self.box), "score": 1.0}


def _evaluate_in_process(root, report):
    """One process of the launch: the training-time evaluator, its share, rank 0's metrics."""
    from detectron2.utils import comm

    from siamtrack.evaluation import TrackingBenchmarkEvaluator

    evaluator = TrackingBenchmarkEvaluator("otb", cfg=None, root=root, tracker=ShiftTracker())
    calls = []
    evaluator.tracker.init = lambda frame, box, init=evaluator.tracker.init: calls.append(1) or init(frame, box)
    metrics = evaluator.evaluate()
    with open(f"{report}.rank{comm.get_rank()}", "w") as f:
        json.dump({"metrics": metrics, "sequences": len(calls)}, f)


def test_training_evaluator_shares_sequences_over_processes(data, tmp_path):
    from siamtrack.engine.launch import launch

    root = str(data.root / "otb")
    _evaluate_in_process(root, tmp_path / "one")
    launch(_evaluate_in_process, 2, dist_url="auto", args=(root, str(tmp_path / "two")))
    one = json.loads((tmp_path / "one.rank0").read_text())
    ranks = [json.loads((tmp_path / f"two.rank{r}").read_text()) for r in (0, 1)]
    assert ranks[0]["metrics"] == one["metrics"] and one["metrics"]["otb"]["success_auc"] > 0
    assert ranks[1]["metrics"] == {}  # scored on the main process only
    assert [r["sequences"] for r in ranks] == [2, 2] and one["sequences"] == len(LENGTHS)


def test_an_input_error_in_one_process_is_its_one_line(data, tmp_path, capsys):
    import shutil

    shutil.copytree(data.root / "otb", tmp_path / "otb")
    bad = sorted((tmp_path / "otb" / "S3" / "img").iterdir())[-1]
    bad.write_bytes(b"not an image")
    args = _args(data, "otb", tmp_path / "out", "--num-gpus", "2")
    args[args.index("--dataset-root") + 1] = str(tmp_path / "otb")
    assert eval_cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and bad.name in err[0] and "run the same command again" in err[0]
