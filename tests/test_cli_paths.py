"""Outputs of every command (issues 9.8 / 14.1 / 14.8): read-only folders, outputs that are inputs.

**How a read-only folder is tested as root.** The tests run as root, whom permission bits do
not stop (and ``chattr +i`` needs a file system that supports it). A read-only *mount* stops
root too: the commands run in a child process inside a private mount namespace
(``unshare --mount``) in which the output folder is bind-mounted read-only, so every write
there fails with ``EROFS``, exactly as on a read-only disk. As another user (no root), the
folder is simply made ``0o555``. Where neither works (no ``unshare``, no privilege for it),
the test skips, saying why.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from test_track_video_cli import ALEX, QUICK, assert_one_line_error, synthetic_frames, write_folder

from siamtrack_cli import benchmark, eval as eval_cli, export

REPO = Path(__file__).resolve().parents[1]
FIXTURE = "ope_fixture"

DRIVER = """
import contextlib, io, json, sys
from siamtrack_cli import convert, eval, export, track, benchmark


def library(kind, path):  # the library's own checks, behind the commands' early ones
    import numpy as np
    from siamtrack.checkpoint import save_checkpoint
    from siamtrack.tracking.outputs import open_writers
    from siamtrack.utils.errors import InputError
    from siamtrack.utils.fileio import atomic_write
    try:
        if kind == "video":
            open_writers([0], np.zeros((48, 64, 3), np.uint8), 10, output_video=path)
        elif kind == "checkpoint":
            save_checkpoint({"model": {}}, path)
        else:
            atomic_write(path, ["{}"])
    except (InputError, OSError) as exc:
        return type(exc).__name__ + ": " + (str(exc) if isinstance(exc, InputError) else f"{exc.filename}: {exc.strerror}")
    return "written"


report = []
for name, args in json.loads(sys.argv[1]):
    if name == "library":
        report.append([name, 0, library(*args)])
        continue
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = getattr(sys.modules["siamtrack_cli." + name], "main")(args)
    report.append([name, status, err.getvalue()])
print(json.dumps(report))
"""


def run_read_only(folder, calls):
    """Run ``calls`` (``[command, argv]``) in one child process in which ``folder`` is read-only;
    returns ``[[command, status, stderr], ...]``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-c", DRIVER, json.dumps(calls)]
    if os.geteuid() != 0:
        folder.chmod(0o555)
    else:
        if shutil.which("unshare") is None:
            pytest.skip("running as root without unshare: cannot make a folder read-only for root")
        mount = f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} && exec \"$@\""
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh", *command]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    if proc.returncode != 0 and "unshare" in proc.stderr:
        pytest.skip(f"no mount namespace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_read_only_output_folder_is_one_line_naming_the_path(tmp_path, reference_dir):
    """--output-boxes / --output of track, convert's output, eval's --plot-dir and
    --output-json, benchmark's --json, export's --output: status 2, one line with the user's
    path and the real cause (never "OpenCV has no encoder", never a temporary name)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    clip = write_folder(tmp_path / "clip", synthetic_frames(2))
    weights = tmp_path / "w.pth"
    weights.write_bytes(b"\x80 never read: the output is checked first")
    fixture = reference_dir / FIXTURE
    scoring = ["--dataset", "otb", "--dataset-root", str(fixture / "sequences"), "--results",
               str(fixture / "results" / "good")]
    track_args = ["--config-file", QUICK, "--video", str(clip), "--init-box", "40,30,50,40", "--no-progress"]
    calls = [
        ["track", track_args + ["--output-boxes", f"{locked}/b.txt"]],
        ["track", track_args + ["--output", f"{locked}/v.mp4"]],
        ["track", track_args + ["--output-boxes", f"{locked}/new/b.csv"]],
        ["convert", [str(weights), f"{locked}/o.pth"]],
        ["eval", scoring + ["--plot-dir", str(locked)]],
        ["eval", scoring + ["--plot-dir", f"{locked}/plots"]],
        ["eval", scoring + ["--output-json", f"{locked}/s.json"]],
        ["benchmark", ["--config-file", QUICK, "--json", f"{locked}/b.json"]],
        ["export", ["--config-file", QUICK, "--output", f"{locked}/onnx"]],
    ]
    library = [["library", ["video", f"{locked}/v.mp4"]], ["library", ["checkpoint", f"{locked}/o.pth"]],
               ["library", ["json", f"{locked}/s.json"]]]
    report = run_read_only(locked, calls + library)
    for (name, args), (_, status, err) in zip(calls, report):
        assert_one_line_error(status, err)
        path = next(a for a in args if a.startswith(str(locked)))
        assert "cannot write --" in err or "cannot write output" in err, err
        assert path in err and ("read-only file system" in err or "not writable" in err), err
        assert ".tmp" not in err and "OpenCV" not in err
    reason = "Read-only file system" if os.geteuid() == 0 else "Permission denied"
    assert [message for _, _, message in report[len(calls):]] == [
        f"InputError: cannot write {locked}/v.mp4: {reason}",  # not "OpenCV has no encoder"
        f"ConversionError: cannot write {locked}/o.pth: {reason}",
        f"PermissionError: {locked}/s.json: {reason}" if reason == "Permission denied" else
        f"OSError: {locked}/s.json: {reason}"]  # the user's path, not the temporary file's
    assert list(locked.iterdir()) == []


def test_plot_dir_and_output_json_problems_come_before_scoring(tmp_path, capsys, reference_dir):
    fixture = reference_dir / FIXTURE
    (tmp_path / "file").write_text("x")
    scoring = ["--dataset", "otb", "--dataset-root", str(fixture / "sequences"), "--results",
               str(fixture / "results" / "good")]
    for extra, message in ((["--plot-dir", str(tmp_path / "file")], "it exists and is not a folder"),
                           (["--plot-dir", str(tmp_path / "file" / "p")], "is not a folder"),
                           (["--output-json", str(tmp_path / "s.txt")], "--output-json must end in .json")):
        status = eval_cli.main(scoring + extra)
        out = capsys.readouterr()
        assert_one_line_error(status, out.err)
        assert message in out.err and "Success" not in out.out  # nothing scored


def test_every_command_refuses_an_output_that_is_an_input(tmp_path, capsys, reference_dir):
    """14.1 for benchmark, eval and export (track and convert: their own test files)."""
    frames = write_folder(tmp_path / "frames", synthetic_frames(3))
    config = tmp_path / "alex.yaml"
    config.write_text(Path(ALEX).read_text())
    weights = tmp_path / "weights.json"
    weights.write_text("{}")
    fixture = tmp_path / "fixture"
    shutil.copytree(reference_dir / FIXTURE / "sequences", fixture)
    meta = fixture / "meta.json"
    meta.write_text("{}")
    export_dir = tmp_path / "export"
    export_dir.mkdir()
    (export_dir / "model.json").write_text("{}")
    kept = export_dir / "w.pth"
    torch.save({"model": {}}, kept)
    cases = [
        (benchmark, ["--config-file", str(config), "--video", str(frames), "--json", str(weights),
                     "MODEL.WEIGHTS", str(weights)]),
        (eval_cli, ["--config-file", str(config), "--dataset", "otb", "--dataset-root", str(fixture),
                    "--output-json", str(weights), "MODEL.WEIGHTS", str(weights)]),
        (eval_cli, ["--dataset", "otb", "--dataset-root", str(fixture), "--results", str(tmp_path),
                    "--output-json", str(meta)]),
        (export, ["--config-file", str(config), "--output", str(export_dir), "--overwrite", "MODEL.WEIGHTS",
                  str(kept)]),
    ]
    before = {p: p.read_bytes() for p in (config, weights, meta, kept)}
    for command, args in cases:
        status = command.main(args)
        err = capsys.readouterr().err
        assert_one_line_error(status, err)
        assert "refusing to" in err and "input" in err, err
    assert {p: p.read_bytes() for p in before} == before
