"""The detectron2 installer's fixes, its C++ stand-in, and siamtrack's import-time check."""
import importlib.util
import subprocess
import sys

import pytest

from conftest import REPO_ROOT

spec = importlib.util.spec_from_file_location("install_detectron2", REPO_ROOT / "tools" / "install_detectron2.py")
installer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(installer)


def test_source_fixes_cover_pillow_and_numpy_removals(tmp_path):
    source = tmp_path / "legacy.py"
    source.write_text(
        "a = Image.LINEAR\n"
        "b = np.array(x, dtype=np.bool)\n"
        "c = np.zeros(3, dtype=np.int) + np.float(2) + np.int32(1) + np.float64(1)\n"
        "d = np.array(mask, copy=False)\n"
        "e = np.array(f(x, y), copy=False)\n"
    )
    assert installer.patch_sources(tmp_path) == 1
    fixed = source.read_text()
    assert "Image.BILINEAR" in fixed and "LINEAR\n" not in fixed.replace("BILINEAR", "")
    assert "dtype=bool" in fixed and "dtype=int)" in fixed and "float(2)" in fixed
    assert "np.int32(1)" in fixed and "np.float64(1)" in fixed  # sized types untouched
    assert "np.asarray(mask)" in fixed and "np.asarray(f(x, y))" in fixed
    assert "copy=False" not in fixed
    assert installer.patch_sources(tmp_path) == 0  # idempotent


def test_c_standin_names_the_missing_op(tmp_path):
    namespace = {}
    exec(installer.C_STANDIN, namespace)
    getattr_ = namespace["__getattr__"]
    with pytest.raises(RuntimeError, match="box_iou_rotated"):
        getattr_("box_iou_rotated")(1, 2)
    with pytest.raises(AttributeError):
        getattr_("__path__")
    assert "none" in namespace["get_compiler_version"]()


def test_installed_detectron2_is_usable():
    import detectron2
    from detectron2.config import get_cfg
    from detectron2.structures import Boxes, pairwise_iou
    import torch

    assert get_cfg().MODEL.DEVICE
    boxes = Boxes(torch.tensor([[0.0, 0.0, 10.0, 10.0]]))
    assert float(pairwise_iou(boxes, boxes)) == pytest.approx(1.0)
    assert detectron2.__version__


def test_import_without_detectron2_explains_how_to_install():
    code = "import sys; sys.modules['detectron2'] = None; import siamtrack"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode != 0
    assert "tools/install_detectron2.py" in result.stderr
