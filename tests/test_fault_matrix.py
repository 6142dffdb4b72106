"""The fault matrix of issue 20, walked case by case (the fast cases; each failed before its fix).

Each case names its item: data lost or misreported (1-5), silently wrong (6-8), tracebacks and
hangs, a new user's path. A case is a hostile input or situation and the clean outcome it must
give: one line with status 2 (an ``InputError`` from the library), nothing finished lost,
nothing written over a good file. The next matrix starts from this one.
"""
import ast
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO_ROOT
from siamtrack.utils.errors import InputError

QUICK = str(REPO_ROOT / "configs" / "quickstart_synthetic.yaml")  # AlexNet x0.25: fast everywhere
ALEX = "pysot/siamrpn_alex_dwxcorr"
BOX = "40,30,50,40"


def one_line(status, err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def run_python(code, timeout=120):
    """``code`` in a fresh interpreter with this tree first on the path; (status, stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=f"{REPO_ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=REPO_ROOT)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A folder of 4 small frames (a square drifting over noise)."""
    import cv2

    folder = tmp_path_factory.mktemp("matrix") / "frames"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        frame = rng.integers(0, 60, (120, 160, 3), dtype=np.uint8)
        frame[30 + i:70 + i, 40 + 2 * i:90 + 2 * i] = (40, 200, 230)
        cv2.imwrite(str(folder / f"frame{i}.png"), frame)
    return folder


def track(capsys, *args):
    from siamtrack_cli import track as track_cli

    status = track_cli.main(["--no-progress", *map(str, args), "MODEL.DEVICE", "cpu"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---------------------------------------------------------------- 1-5: data lost or misreported

@pytest.mark.parametrize("suffix", [".avi", ".mp4"])
def test_1_full_disk_video_is_an_error_and_keeps_the_partial(tmp_path, suffix):
    """A disk that fills while the annotated video is written (a file-size limit here): OpenCV
    reports nothing, the read-back finds the missing frames: one line, partial kept."""
    status, out, err = run_python(f"""
        import resource, signal
        import numpy as np
        from siamtrack.tracking.outputs import VideoWriter
        from siamtrack.utils.errors import InputError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        writer = VideoWriter({str(tmp_path / ('x' + suffix))!r}, 10, (160, 120), codec="auto")
        resource.setrlimit(resource.RLIMIT_FSIZE, (30000, resource.RLIM_INFINITY))
        rng = np.random.default_rng(0)
        for i in range(30):
            writer.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), i, [])
        try:
            writer.finish()
            print("finished")
        except InputError as exc:
            print("error:", exc)
    """)
    assert status == 0, err
    assert out.startswith(f"error: cannot write video {tmp_path / ('x' + suffix)}: only ") and "of its 30 frames" in out
    assert not (tmp_path / ("x" + suffix)).exists() and (tmp_path / f"x.partial{suffix}").exists()


def test_2_a_device_or_fifo_output_is_written_not_replaced(tmp_path):
    """An atomic write (eval's --output-json, the converter) onto a FIFO named *.json writes
    into it; before, the rename replaced it with a regular file."""
    from siamtrack.checkpoint import save_checkpoint
    from siamtrack.utils.fileio import atomic_write

    for name, write in (("scores.json", lambda p: atomic_write(p, ['{"auc": 0.5}'])),
                        ("model.pth", lambda p: save_checkpoint({"model": {"w": torch.ones(2)}}, p))):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(target=lambda p=fifo: got.append(open(p, "rb").read()), daemon=True)
        reader.start()
        write(fifo)
        reader.join(10)
        assert stat.S_ISFIFO(os.stat(fifo).st_mode) and got and got[0], name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pth", "scores.json"]


def test_3_a_second_writer_of_an_output_is_refused(tmp_path):
    """Two runs writing the same outputs: the second is refused at once (the partial files are
    locked), and the first one's file is untouched."""
    from siamtrack.tracking.outputs import TargetResult, open_writers
    from siamtrack.utils.fileio import OutputBusyError

    frame = np.zeros((48, 64, 3), np.uint8)
    first = open_writers([0], frame, 10, [tmp_path / "out.csv"], tmp_path / "out.avi")
    for writer in first:
        writer.write(frame, 0, [TargetResult(0, [1, 2, 3, 4], None)])
    for outputs, video in (([tmp_path / "out.csv"], None), ((), tmp_path / "out.avi")):
        with pytest.raises(OutputBusyError, match="is being written by another running process"):
            open_writers([0], frame, 10, outputs, video)
    for writer in first:
        writer.finish()
    assert (tmp_path / "out.csv").read_text().splitlines()[1] == "0,0,1.0,2.0,3.0,4.0,,0"


def test_3_a_second_training_into_one_output_dir_is_refused(tmp_path, capsys):
    from siamtrack_cli import train
    from siamtrack.utils.fileio import folder_lock

    with folder_lock(tmp_path / "run"):
        status = train.main(["--config-file", QUICK, "OUTPUT_DIR", str(tmp_path / "run")])
    line = one_line(status, capsys.readouterr().err)
    assert line.endswith(f"OUTPUT_DIR {tmp_path / 'run'} is being written by another running process: wait for "
                         "it to finish or choose another output")


def test_4_training_refuses_start_weights_it_would_overwrite(tmp_path):
    from siamtrack.config import ConfigError
    from siamtrack.engine.train_job import check_training_config, load_training_config

    out = tmp_path / "r38"
    out.mkdir()
    torch.save({"model": {}}, out / "model_final.pth")
    cfg = load_training_config(QUICK, ["OUTPUT_DIR", str(out), "MODEL.WEIGHTS", str(out / "model_final.pth")])
    with pytest.raises(ConfigError, match=r"MODEL.WEIGHTS .*model_final.pth is a file this run writes in OUTPUT_DIR"):
        check_training_config(cfg)


def test_5_a_finished_output_stays_until_the_new_one_completes(tmp_path):
    from siamtrack.tracking.outputs import TargetResult, open_writers

    out = tmp_path / "boxes.txt"
    out.write_text("1.0,2.0,3.0,4.0\n")
    frame = np.zeros((48, 64, 3), np.uint8)
    writers = open_writers([0], frame, 10, [out])
    writers[0].write(frame, 0, [TargetResult(0, [5, 6, 7, 8], None)])
    writers[0].close()  # Ctrl-C: the new run's frames in the partial file, the old result intact
    assert out.read_text() == "1.0,2.0,3.0,4.0\n"
    assert (tmp_path / "boxes.txt.partial").read_text() == "5.0,6.0,7.0,8.0\n"


def test_5_leftovers_of_killed_runs_are_removed(tmp_path):
    """What SIGKILL leaves: the checkpointer's and atomic writes' temporary files (removed by the
    next training, under OUTPUT_DIR's lock), an export's partial folder (by the next export)."""
    from siamtrack.engine.checkpointer import LEFTOVERS
    from siamtrack.utils.fileio import remove_leftovers

    for name in (".model_0000199.pth.tmp-4242", ".last_checkpoint.tmp-4242", ".tmp_abc.json", "model_final.pth"):
        (tmp_path / name).write_text("x")
    removed = remove_leftovers(tmp_path, LEFTOVERS)
    assert len(removed) == 3 and [p.name for p in tmp_path.iterdir()] == ["model_final.pth"]
    (tmp_path / ".x20.partial-abc").mkdir()
    (tmp_path / ".x20.partial-abc" / "track.onnx").write_text("x")
    assert remove_leftovers(tmp_path, [".x20.partial-*"]) == [str(tmp_path / ".x20.partial-abc")]


# ---------------------------------------------------------------- 6-8: silently wrong

@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """The quickstart network (AlexNet x0.25, random weights) exported through the command, into
    a parent folder that does not exist yet."""
    pytest.importorskip("onnxruntime")
    from siamtrack_cli import export as export_cli

    folder = tmp_path_factory.mktemp("exports") / "new" / "parent" / "tiny"
    assert export_cli.main(["--config-file", QUICK, "--output", str(folder)]) == 0
    return folder


def test_6_swapped_or_reweighted_graphs_are_refused(export, tmp_path):
    from siamtrack.export import ExportError, OnnxSiamModel
    from siamtrack.export.manifest import check_export

    assert check_export(export)["sha256"].keys() == {"template.onnx", "track.onnx"}
    swapped, reweighted = shutil.copytree(export, tmp_path / "swapped"), shutil.copytree(export, tmp_path / "rew")
    shutil.copy(swapped / "template.onnx", swapped / "track.onnx")
    data = bytearray((reweighted / "track.onnx").read_bytes())
    data[-100] ^= 0xFF  # a weight's bytes changed
    (reweighted / "track.onnx").write_bytes(bytes(data))
    for folder in (swapped, reweighted):
        with pytest.raises(ExportError, match=r"track.onnx is not the graph exported with .*content hash differs"):
            OnnxSiamModel(folder)


def test_6_an_export_of_another_width_is_refused(export):
    from siamtrack.config import load_config
    from siamtrack.export import ExportError
    from siamtrack.export.manifest import check_export

    cfg = load_config(ALEX, ["MODEL.DEVICE", "cpu", "MODEL.WEIGHTS", str(export), "TRACK.BACKEND", "onnxruntime"])
    with pytest.raises(ExportError) as info:
        check_export(export, cfg)
    assert str(info.value).startswith(f"MODEL.WEIGHTS {export} was exported with MODEL.SIAM_ALEXNET.LAYOUT layered "
                                      "but the config has legacy")


def _nan_checkpoint(path):
    from siamtrack.config import load_config
    from siamtrack.modeling import SiamRPN

    state = SiamRPN(load_config(QUICK, ["MODEL.DEVICE", "cpu"])).state_dict()
    first = next(k for k, v in state.items() if v.is_floating_point())
    state[first] = torch.full_like(state[first], float("nan"))
    torch.save({"model": state}, path)
    return path


def test_7_nan_weights_are_refused_when_tracking(tmp_path, capsys, clip):
    weights = _nan_checkpoint(tmp_path / "nan.pth")
    status, _, err = track(capsys, "--config-file", QUICK, "--video", clip, "--init-box", BOX,
                           "--output-boxes", tmp_path / "out.csv", "MODEL.WEIGHTS", weights)
    assert "hold NaN or infinity in 1 of" in one_line(status, err)
    assert not (tmp_path / "out.csv").exists()


def test_7_nan_checkpoint_is_refused_on_resume(tmp_path):
    from siamtrack.checkpoint import WeightsError
    from siamtrack.engine.train_job import check_training_config, load_training_config

    out = tmp_path / "run"
    out.mkdir()
    _nan_checkpoint(out / "model_0000009.pth")
    (out / "last_checkpoint").write_text("model_0000009.pth")
    cfg = load_training_config(QUICK, ["OUTPUT_DIR", str(out)])
    with pytest.raises(WeightsError, match="hold NaN or infinity"):
        check_training_config(cfg, resume=True)


def test_7_a_diverged_model_is_never_saved(tmp_path):
    from siamtrack.engine.checkpointer import SiamCheckpointer, TrainingDivergedError

    model = torch.nn.Linear(2, 2)
    checkpointer = SiamCheckpointer(model, save_dir=str(tmp_path))
    checkpointer.save("model_0000009")
    with torch.no_grad():
        model.weight[0, 0] = float("inf")
    with pytest.raises(TrainingDivergedError, match=r"training diverged: .* so model_final.pth was not saved .* "
                                                    r"the last good checkpoint is .*model_0000009.pth"):
        checkpointer.save("model_final")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last_checkpoint", "model_0000009.pth"]


BAD_TRACK = {"PENALTY_K": "-5.0", "WINDOW_INFLUENCE": "2.0", "LR": "1e999", "LOST_SCORE": "1.5",
             "CONTEXT_AMOUNT": "-1.0", "LOST_FRAMES": "0", "SIAMFC.SCALE_NUM": "0"}


@pytest.mark.parametrize("key", list(BAD_TRACK) + ["LR-1"])
def test_8_tracker_settings_are_range_checked_when_read(key):
    from siamtrack.config import load_config
    from siamtrack.utils.value_checks import TrackValueError

    name, value = ("LR", "-1.0") if key == "LR-1" else (key, BAD_TRACK[key])
    with pytest.raises(TrackValueError, match=rf"^TRACK.{name} must be .*, got "):
        load_config(ALEX, ["MODEL.DEVICE", "cpu", f"TRACK.{name}", value])


def test_8_half_precision_on_the_cpu_is_said(caplog):
    from siamtrack.tracking.video_job import load_tracking_config

    load_tracking_config(ALEX, ["MODEL.DEVICE", "cpu", "TRACK.HALF", "True"])
    assert "TRACK.HALF True has no effect on the CPU" in caplog.text


# ---------------------------------------------------------------- tracebacks and hangs

def test_full_disk_during_a_checkpoint_save_is_one_line():
    """torch.save reports a full disk as "unexpected pos"; the error says why and what is kept."""
    status, out, err = run_python("""
        import os, resource, signal, tempfile
        import torch
        from siamtrack.engine.checkpointer import SiamCheckpointer, CheckpointWriteError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        folder = tempfile.mkdtemp()
        checkpointer = SiamCheckpointer(torch.nn.Linear(4, 4), save_dir=folder)
        checkpointer.save("model_0000009")
        checkpointer.model = torch.nn.Linear(400, 400)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, resource.RLIM_INFINITY))
        try:
            checkpointer.save("model_0000019")
        except CheckpointWriteError as exc:
            print(exc)
        print(sorted(os.listdir(folder)), open(os.path.join(folder, "last_checkpoint")).read())
    """)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("cannot write checkpoint ") and ": File too large; the earlier checkpoints are kept, "
    assert "the last is " in lines[0] and lines[0].endswith("model_0000009.pth (continue with --resume)")
    assert lines[1] == "['last_checkpoint', 'model_0000009.pth'] model_0000009.pth"


@pytest.mark.parametrize("override, message", [
    (["SOLVER.CHECKPOINT_PERIOD", "0"], "SOLVER.CHECKPOINT_PERIOD must be a positive number of iterations, got 0"),
    (["DATALOADER.NUM_WORKERS", "-1"], "DATALOADER.NUM_WORKERS must be 0 (load in the main process) or positive, got -1"),
    (["MODEL.SIAM_PRETRAINED", "nope/resnet50.model"], "MODEL.SIAM_PRETRAINED nope/resnet50.model does not exist"),
    (["SOLVER.BASE_LR", "1e999"], "SOLVER.BASE_LR must be a finite number >= 0, got inf"),
])
def test_training_settings_that_crashed_later_are_one_line(tmp_path, capsys, override, message):
    from siamtrack_cli import train

    status = train.main(["--config-file", QUICK, "OUTPUT_DIR", str(tmp_path / "run"), *override])
    assert one_line(status, capsys.readouterr().err) == f"siamtrack-train: error: {message}"


def test_binary_ground_truth_file_is_one_line(tmp_path, capsys, clip):
    gt = tmp_path / "gt.txt"
    gt.write_bytes(bytes(range(256)) * 4)
    status, _, err = track(capsys, "--config-file", QUICK, "--video", clip, "--gt-file", gt,
                           "--output-boxes", tmp_path / "out.csv")
    assert one_line(status, err).endswith(f"cannot read ground-truth file {gt}: not a text file")


def test_a_data_loader_worker_error_names_the_file():
    from torch.utils.data import DataLoader, Dataset

    from siamtrack.utils.errors import first_line
    from siamtrack.utils.frames import FrameError

    class Broken(Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            raise FrameError("cannot read image /data/vid/0001.JPEG: not an image OpenCV can decode")

    with pytest.raises(FrameError) as info:
        next(iter(DataLoader(Broken(), num_workers=1)))
    assert first_line(info.value) == ("cannot read image /data/vid/0001.JPEG: not an image OpenCV can decode "
                                      "(in DataLoader worker process 0)")


# ---------------------------------------------------------------- a new user's path

def test_instant_errors_before_heavy_imports(tmp_path, monkeypatch):
    """Checked on the arguments alone: nothing to write, a missing camera, no init box without a
    display, the converter's output = input."""
    from siamtrack_cli import convert, track as track_cli

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    parse = track_cli.build_parser().parse_args
    clip = str(tmp_path)
    assert track_cli._argument_problem(parse(["--video", clip, "--init-box", BOX])).startswith("nothing to write")
    if sys.platform.startswith("linux") and not os.path.exists("/dev/video97"):
        assert track_cli._argument_problem(parse(["--video", "97", "--init-box", BOX, "--output-boxes", "o.csv"])) \
            == "camera 97 not found (no /dev/video97)"
    assert track_cli._argument_problem(parse(["--video", clip, "--output-boxes", "o.csv"])).startswith(
        "no init box: pass --init-box x,y,w,h or --gt-file")
    weights = tmp_path / "in.pth"
    weights.write_bytes(b"x")
    args = convert.build_parser().parse_args([str(weights), str(weights)])
    assert convert._argument_problem(args).startswith(f"output {weights} is the input {weights}: refusing")


def test_the_convert_output_folder_is_created(tmp_path, capsys):
    from siamtrack.checkpoint.pysot import save_checkpoint
    from siamtrack_cli import convert

    source = tmp_path / "pysot.pth"
    save_checkpoint({"model": {}}, source)
    status = convert.main([str(source), str(tmp_path / "new" / "out.pth")])
    err = capsys.readouterr().err
    assert "does not exist" not in err and (tmp_path / "new").is_dir(), err  # the content is judged after


def test_messages_name_the_commands_not_tools_scripts():
    """Errors and warnings reach installed users, who have no tools/ folder: no string of the
    library but a docstring names a tools/ script (unless it sends users to the repository)."""
    offenders = []
    for path in sorted((REPO_ROOT / "siamtrack").rglob("*.py")) + sorted((REPO_ROOT / "siamtrack_cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for const in ast.walk(tree):
            if (isinstance(const, ast.Constant) and isinstance(const.value, str) and id(const) not in docstrings
                    and "tools/" in const.value and "repository" not in const.value):
                offenders.append(f"{path.relative_to(REPO_ROOT)}:{const.lineno}")
    assert not offenders, offenders


def test_score_threshold_that_is_not_a_number_is_an_input_error():
    from siamtrack.integrations._common import lost_score_opts

    for bad in ("high", -0.1, 2, True):
        with pytest.raises(InputError, match="score_threshold must be a number from 0 to 1"):
            lost_score_opts(bad)
    assert lost_score_opts(0.5) == ["TRACK.LOST_SCORE", "0.5"]


def test_threads_option(monkeypatch):
    from siamtrack_cli import train, track as track_cli
    from siamtrack_cli.common import set_threads

    assert track_cli.build_parser().parse_args(["--video", "v", "--threads", "1"]).threads == 1
    assert train.build_parser().parse_args(["--threads", "3"]).threads == 3
    before = torch.get_num_threads()
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", ""))
    try:
        set_threads(1)
        assert torch.get_num_threads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
    finally:
        torch.set_num_threads(before)


def test_readme_and_install_doc_slips():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    install = (REPO_ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    assert "six commands" not in install
    from siamtrack.utils.fileio import OutputClashError, check_outputs_spare_inputs

    with pytest.raises(OutputClashError) as info:  # the converter names its input "input"
        check_outputs_spare_inputs([("output", REPO_ROOT / "README.md")], [("input", REPO_ROOT / "README.md")])
    assert "input input" not in str(info.value)
    license_section = readme.split("## License", 1)[1].strip()
    assert license_section and not license_section.startswith("#")
    assert "seven commands" in install


def test_boxes_to_dev_stdout_are_clean_csv(clip):
    """README promises /dev/stdout: the boxes are CSV rows on stdout, the report goes to stderr."""
    proc = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "track_video.py"), "--config-file", QUICK,
                           "--video", str(clip), "--init-box", BOX, "--output-boxes", "/dev/stdout", "--no-progress"],
                          capture_output=True, text=True, timeout=120, cwd=REPO_ROOT,
                          env=dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore"))
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    assert rows[0] == "frame,target_id,x,y,w,h,score,lost" and len(rows) == 5 and rows[1].startswith("0,0,40.0,")
    assert "wrote /dev/stdout" in proc.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_setup_has_a_cpu_only_variant():
    def dry_run(*args):
        return subprocess.run(["make", "-n", "install", *args], capture_output=True, text=True, cwd=REPO_ROOT)

    cpu, default = dry_run("TORCH=cpu"), dry_run()
    assert '--index-url https://download.pytorch.org/whl/cpu "torch>=2.0"' in cpu.stdout
    assert "--index-url" not in default.stdout and '"torch>=2.0"' in default.stdout
    assert "TORCH must be default or cpu" in dry_run("TORCH=gpu").stderr


def test_sigterm_to_the_process_group_during_training_is_one_line(tmp_path, monkeypatch):
    """`timeout` signals every process of the group: the data-loader workers (forked during the
    launch) ignore it, so no second error; an interrupt that surfaces as a loader error still
    ends as the interrupt, naming the last checkpoint."""
    from siamtrack.engine import train_job
    from siamtrack_cli import train

    def launch(*args, **kwargs):
        assert train_job._launching
        pid = os.fork()
        if pid == 0:
            os._exit(0 if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN else 1)
        assert os.waitpid(pid, 0)[1] == 0  # the forked child ignores SIGTERM
        (tmp_path / "run" / "model_0000002.pth").write_bytes(b"x")
        (tmp_path / "run" / "last_checkpoint").write_text("model_0000002.pth")
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("DataLoader worker (pid 1) is killed by signal: Terminated.")

    monkeypatch.setattr(train_job, "launch", launch)
    args = train.build_parser().parse_args(["--config-file", QUICK, "OUTPUT_DIR", str(tmp_path / "run")])
    with pytest.raises(KeyboardInterrupt) as info:
        train_job.run_training(args)
    assert str(info.value) == (f"the checkpoints written so far are kept, the last is "
                               f"{tmp_path / 'run' / 'model_0000002.pth'} (continue with --resume)")
    assert not train_job._launching


def test_a_missing_camera_prints_no_opencv_warnings(capfd):
    from siamtrack.utils.video_io import VideoSourceError, open_video

    with pytest.raises(VideoSourceError, match="^cannot open camera 97$"):
        open_video("97")
    assert capfd.readouterr().err == ""


def test_5_an_export_removes_what_a_killed_export_left(export):
    """SIGKILL during an export leaves `.NAME.partial-*` beside the destination (39 MB for x20):
    the next export to that name removes it (under the folder's lock)."""
    from siamtrack_cli import export as export_cli

    stale = export.parent / ".again.partial-k1ll3d"
    stale.mkdir()
    (stale / "track.onnx").write_bytes(b"x" * 1000)
    assert export_cli.main(["--config-file", QUICK, "--output", str(export.parent / "again")]) == 0
    assert not stale.exists() and (export.parent / "again" / "model.json").is_file()
