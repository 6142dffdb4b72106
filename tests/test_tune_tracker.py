"""siamtrack-tune (tools/tune_tracker.py): Optuna studies shared by processes, resumed after a
kill, scored by the evaluation runner (OPE AUC and VOT EAO), the best trial as a config, and
one-line errors. A tiny generated benchmark and the quickstart network (random weights: its
boxes still depend on the tuned values)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

optuna = pytest.importorskip("optuna", reason="needs the 'tune' extra: pip install 'siamtrack[tune]'")

from siamtrack.config import load_config  # noqa: E402
from siamtrack.data.datasets.synthetic import synthetic_sequence, write_synthetic_otb  # noqa: E402
from siamtrack.evaluation.tuning.search import open_study, tracker_fingerprint  # noqa: E402
from siamtrack.utils.errors import InputError  # noqa: E402
from siamtrack_cli import tune as tune_cli  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "tools" / "tune_tracker.py"
CONFIG = str(REPO / "configs" / "quickstart_synthetic.yaml")
SIZE, FRAMES = (160, 120), 16


@pytest.fixture(scope="module")
def otb(tmp_path_factory):
    root = tmp_path_factory.mktemp("otb")
    write_synthetic_otb(str(root), num_videos=2, num_frames=FRAMES, size=SIZE)
    return root


@pytest.fixture(scope="module")
def long_otb(tmp_path_factory):
    """Trials of several seconds: a signal sent while one runs lands in it, not between two."""
    root = tmp_path_factory.mktemp("long_otb")
    write_synthetic_otb(str(root), num_videos=2, num_frames=10 * FRAMES, size=SIZE)
    return root


@pytest.fixture(scope="module")
def vot(tmp_path_factory):
    """Two VOT-layout sequences of 50 frames (VOT2019's EAO interval starts at 46 frames)."""
    root = tmp_path_factory.mktemp("vot")
    for index in range(2):
        frames, boxes = synthetic_sequence(index, num_frames=50, size=SIZE)
        folder = root / f"seq{index}" / "color"
        folder.mkdir(parents=True)
        for i, frame in enumerate(frames):
            cv2.imwrite(str(folder / f"{i + 1:08d}.jpg"), frame)
        (root / f"seq{index}" / "groundtruth.txt").write_text(
            "".join(f"{x:.0f},{y:.0f},{w:.0f},{h:.0f}\n" for x, y, w, h in boxes))
    return root


def _args(root, storage, study, trials, *extra, dataset="otb", output=None):
    return ["--config-file", CONFIG, "--dataset", dataset, "--dataset-root", str(root), "--study", study,
            "--storage", storage, "--trials", str(trials), "--no-progress",
            "--output", str(output or Path(root).parent / "tune_out"), *extra, "MODEL.DEVICE", "cpu"]


def _start(args, cwd):
    return subprocess.Popen([sys.executable, str(TOOL), *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _ran(stdout):
    lines = [line for line in stdout.splitlines() if "trials completed by this process" in line]
    assert len(lines) == 1, stdout
    return int(lines[0].split()[0])


def _trials(storage, study, *states):
    return optuna.load_study(study_name=study, storage=storage).get_trials(states=states or None)


COMPLETE, RUNNING, FAIL = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.RUNNING,
                           optuna.trial.TrialState.FAIL)


def test_two_processes_share_one_study_and_the_best_config_loads(otb, tmp_path):
    storage, trials = f"sqlite:///{tmp_path / 'tune.db'}", 6
    procs = [_start(_args(otb, storage, "shared", trials, "--seed", str(seed), output=tmp_path / "out"), tmp_path)
             for seed in (1, 2)]
    outputs = [p.communicate(timeout=900) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, out + err
    complete = _trials(storage, "shared", COMPLETE)
    ran = [_ran(out) for out, _ in outputs]
    # every trial one process completed is in the study once; together they reach --trials
    # (one more at most: both may start a last trial at the same time)
    assert sum(ran) == len(complete) and trials <= len(complete) <= trials + 1, ran
    assert len({tuple(sorted(t.params.items())) for t in complete}) == len(complete)
    assert len({t.user_attrs["pid"] for t in complete}) == sum(1 for n in ran if n)
    # the best trial as a config: _BASE_ the input config, the tuned TRACK keys its values
    best = optuna.load_study(study_name="shared", storage=storage).best_trial
    assert best.value == max(t.value for t in complete) and best.value == best.user_attrs["success_auc"]
    yaml_path = tmp_path / "out" / "shared_best.yaml"
    cfg, base = load_config(str(yaml_path)), load_config(CONFIG)
    for key in ("PENALTY_K", "WINDOW_INFLUENCE", "LR"):
        assert cfg.TRACK[key] == best.params[key] and cfg.TRACK[key] != base.TRACK[key]
    cfg.TRACK.PENALTY_K, cfg.TRACK.WINDOW_INFLUENCE, cfg.TRACK.LR = (base.TRACK.PENALTY_K,
                                                                     base.TRACK.WINDOW_INFLUENCE, base.TRACK.LR)
    assert cfg.dump() == base.dump()  # nothing else changed
    assert "MODEL.DEVICE cpu" in yaml_path.read_text()  # the overrides it does not carry are named
    assert f"best: trial {best.number}," in outputs[0][0] + outputs[1][0]
    png = cv2.imread(str(tmp_path / "out" / "shared_trials.png"))
    assert png is not None and png.shape[1] > 800
    umask = os.umask(0o022)
    os.umask(umask)  # the tuners inherited this process's umask; their PNG honours it
    assert (tmp_path / "out" / "shared_trials.png").stat().st_mode & 0o777 == 0o666 & ~umask
    # the study is complete: running again runs nothing and reports the same best trial
    proc = _start(_args(otb, storage, "shared", trials, output=tmp_path / "out"), tmp_path)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0 and _ran(out) == 0 and f"best: trial {best.number}," in out, out + err


def _stop_during_a_trial(proc, storage, study, sig, after_completed=1):
    """Send ``sig`` to the tuner ``proc`` while a trial of ``study`` runs (its parameters and
    process recorded), once ``after_completed`` trials are complete; returns its output."""
    while not proc.stdout.readline().startswith("study "):  # the study exists from this line on
        assert proc.poll() is None, proc.communicate()
    deadline = time.time() + 600
    while True:
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        done, running = _trials(storage, study, COMPLETE), _trials(storage, study, RUNNING)
        if len(done) >= after_completed and running and "pid" in running[0].user_attrs:
            proc.send_signal(sig)
            return proc.communicate(timeout=300)
        time.sleep(0.2)


def test_a_killed_run_resumes_without_rerunning_trials(long_otb, tmp_path):
    otb = long_otb  # 16-frame trials (~0.3 s) could all end between two polls (CI saw it once)
    storage, trials = f"sqlite:///{tmp_path / 'tune.db'}", 4
    proc = _start(_args(otb, storage, "resume", trials), tmp_path)
    _stop_during_a_trial(proc, storage, "resume", signal.SIGKILL)
    before = {t.number: (t.params, t.value, t.datetime_complete) for t in _trials(storage, "resume", COMPLETE)}
    killed = _trials(storage, "resume", RUNNING)
    assert len(killed) == 1 and 1 <= len(before) < trials

    proc = _start(_args(otb, storage, "resume", trials), tmp_path)
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, out + err
    complete = {t.number: t for t in _trials(storage, "resume", COMPLETE)}
    assert len(complete) == trials and _ran(out) == trials - len(before)
    for number, (params, value, finished) in before.items():  # kept as they were, not re-run
        assert (complete[number].params, complete[number].value, complete[number].datetime_complete) == (
            params, value, finished)
    # the trial the kill interrupted is marked failed and its parameters are tried again
    (failed,) = _trials(storage, "resume", FAIL)
    assert failed.number == killed[0].number
    (retry,) = [t for t in complete.values() if t.user_attrs.get("retry_of") == failed.number]
    assert retry.params == failed.params and retry.number not in before


def test_ctrl_c_queues_the_interrupted_trial_again(long_otb, tmp_path):
    otb = long_otb  # 16-frame trials ended before the signal on an idle machine (none failed)
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    # many trials, so that the signal always lands in one
    proc = _start(_args(otb, storage, "interrupt", 50), tmp_path)
    out, err = _stop_during_a_trial(proc, storage, "interrupt", signal.SIGINT)
    assert proc.returncode == 130, out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "run the same command to resume" in lines[0], err
    (failed,) = _trials(storage, "interrupt", FAIL)
    (queued,) = _trials(storage, "interrupt", optuna.trial.TrialState.WAITING)
    assert queued.user_attrs["retry_of"] == failed.number and failed.params
    # resumed for one more trial: the queued parameters run first
    completed = len(_trials(storage, "interrupt", COMPLETE))
    assert tune_cli.main(_args(otb, storage, "interrupt", completed + 1, output=tmp_path)) == 0
    (done,) = [t for t in _trials(storage, "interrupt", COMPLETE) if t.number == queued.number]
    assert done.params == failed.params and len(_trials(storage, "interrupt", COMPLETE)) == completed + 1


def test_eao_on_a_vot_benchmark(vot, tmp_path, capsys):
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    assert tune_cli.main(_args(vot, storage, "vot", 2, "--metric", "eao", dataset="VOT2019",
                               output=tmp_path)) == 0
    complete = _trials(storage, "vot", COMPLETE)
    assert len(complete) == 2
    assert all(t.value == t.user_attrs["eao"] and "accuracy" in t.user_attrs for t in complete)
    assert "eao" in capsys.readouterr().out
    cfg = load_config(str(tmp_path / "vot_best.yaml"))
    best = max(complete, key=lambda t: t.value)
    assert cfg.TRACK.LR == best.params["LR"]
    # VOT2018's EAO interval starts at 100 frames: NaN for these sequences, said in one line
    _one_line_error(capsys, _args(vot, f"sqlite:///{tmp_path / 'other.db'}", "vot", 2, "--metric", "eao",
                                  dataset="VOT2018", output=tmp_path), "eao on VOT2018 is nan")


def _one_line_error(capsys, args, expected):
    assert tune_cli.main(args) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("siamtrack-tune: error:") and expected in lines[0], err
    return lines[0]


def test_bad_input_is_one_line(otb, tmp_path, capsys, monkeypatch):
    good = f"sqlite:///{tmp_path / 'tune.db'}"
    _one_line_error(capsys, _args(otb, good, "s", 2, "--metric", "iou"), "unknown --metric 'iou'")
    _one_line_error(capsys, _args(otb, good, "s", 0), "--trials must be at least 1")
    _one_line_error(capsys, _args(tmp_path / "nope", good, "s", 2), "does not exist")
    _one_line_error(capsys, _args(tmp_path, good, "s", 2), "OTB100")  # a folder without sequences
    _one_line_error(capsys, _args(otb, good, "s", 2, "--metric", "eao"), "--metric eao is not scored on OTB100")
    for storage in (f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", "tune.db",
                    "postgresql://user:secret@localhost:1/db"):
        line = _one_line_error(capsys, _args(otb, storage, "s", 2), "cannot open study storage")
        assert "secret" not in line
    assert not (tmp_path / "tune.db").exists()  # no study was made by any of these
    monkeypatch.setattr(tune_cli, "find_spec", lambda name: None if name == "optuna" else os.path)
    _one_line_error(capsys, _args(otb, good, "s", 2), "needs the 'tune' extra")


def test_a_study_is_not_resumed_with_other_settings(tmp_path, monkeypatch):
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    cfg = load_config(CONFIG)
    keys = ["PENALTY_K", "WINDOW_INFLUENCE", "LR"]
    identity = {"metric": "auc", "benchmark": "OTB100 (2 sequences)", "tuned": " ".join(keys),
                "tracker": tracker_fingerprint(cfg, keys)}
    open_study("s", storage, identity)
    assert open_study("s", storage, dict(identity)).user_attrs == identity  # the same: resumed
    # the tuned values themselves do not change the fingerprint; the rest of the tracker does
    tuned = cfg.clone()
    tuned.TRACK.LR = 0.55
    assert tracker_fingerprint(tuned, keys) == identity["tracker"]
    other = load_config(CONFIG, ["TRACK.CONTEXT_AMOUNT", "0.6"])
    for change in ({"metric": "eao"}, {"tracker": tracker_fingerprint(other, keys)}):
        with pytest.raises(InputError, match="use another --study") as info:
            open_study("s", storage, {**identity, **change})
        assert "\n" not in str(info.value)
    monkeypatch.setitem(sys.modules, "optuna", None)  # not installed
    with pytest.raises(InputError, match=r"needs the 'tune' extra .*pip install 'siamtrack\[tune\]'"):
        open_study("s", storage, identity)
