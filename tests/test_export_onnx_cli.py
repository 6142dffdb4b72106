"""tools/export_onnx.py: an export from the command line, and one-line errors with status 2."""
import importlib.util
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from siamtrack.export import read_manifest

TOOL = REPO_ROOT / "tools" / "export_onnx.py"
TINY = str(REPO_ROOT / "configs" / "quickstart_synthetic.yaml")


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("export_onnx", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(tool, capsys, *args):
    status = tool.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_exports_a_config(tool, capsys, tmp_path):
    status, out, err = run_tool(tool, capsys, "--config-file", TINY, "--output", tmp_path / "tiny",
                                "--opset", 13, "TRACK.PENALTY_K", 0.2)
    assert status == 0, err
    assert out.startswith(f"wrote {tmp_path / 'tiny'}: template.onnx, track.onnx, model.json")
    manifest = read_manifest(tmp_path / "tiny")
    assert manifest["opset"] == 13 and manifest["config"]["TRACK"]["PENALTY_K"] == 0.2
    status, out, err = run_tool(tool, capsys, "--config-file", TINY, "--output", tmp_path / "tiny")
    assert status == 2 and err.strip().endswith("exists; choose another output folder or overwrite it")
    status, out, err = run_tool(tool, capsys, "--config-file", TINY, "--output", tmp_path / "tiny", "--overwrite")
    assert status == 0 and read_manifest(tmp_path / "tiny")["opset"] == 17


@pytest.mark.parametrize("args,message", [
    (["--config-file", "missing.yaml"], "config file not found: missing.yaml"),
    (["--config-file", TINY, "MODEL.NO_SUCH_KEY", "1"], "bad config or overrides"),
    (["--config-file", TINY, "--opset", "99"], "opset must be an integer from 11 to 20"),
    (["--config-file", TINY, "--layout", "opencv", "MODEL.SIAM_HEAD.NAME", "SiamFCHead"],
     "the opencv layout needs a depthwise RPN head"),
    (["--config-file", TINY, "MODEL.WEIGHTS", "no_such.pth"], "MODEL.WEIGHTS no_such.pth: no_such.pth: no such file"),
])
def test_bad_input_is_one_line_with_status_2(tool, capsys, tmp_path, args, message):
    status, out, err = run_tool(tool, capsys, "--output", tmp_path / "out", *args)
    lines = err.strip().splitlines()
    assert status == 2 and lines[-1].startswith("siamtrack-export: error: ") and message in lines[-1]
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_missing_extra_and_bad_arguments_from_a_shell(tmp_path):
    """As users run it: the missing extra is one line naming it; argparse refuses a bad layout."""
    script = (f"import runpy, sys; sys.modules['onnx'] = None; sys.argv[0] = {str(TOOL)!r}; "
              f"runpy.run_path({str(TOOL)!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", script, "--config-file", TINY, "--output", str(tmp_path / "x")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("export_onnx.py: error: ONNX export needs the 'onnx' extra (") and last.endswith(
        "): pip install 'siamtrack[onnx]'"), last
    result = subprocess.run([sys.executable, str(TOOL), "--config-file", TINY, "--output", str(tmp_path / "x"),
                             "--layout", "tensorrt"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "invalid choice: 'tensorrt'" in result.stderr
