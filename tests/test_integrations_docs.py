"""The Python examples of docs/integrations.md run as written, offline: the ResNet-50 config
and weights are replaced by the tiny quickstart model, the paths by bag.avi and a generated
GOT-10k folder (``substitute`` fails if the doc no longer contains what it replaces)."""
import ast
import contextlib
import io

import pytest

from _integrations_common import (CONFIG, doc_blocks, save_untrained_weights, short_clip, substitute,
                                  write_got10k_val)

BLOCKS = doc_blocks("python")


def _run(code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/integrations.md", "exec"), {"__name__": "__doc_example__"})
    return out.getvalue()


@pytest.fixture
def weights(tmp_path):
    return save_untrained_weights(tmp_path / "model.pth")


def test_the_doc_has_the_three_python_examples():
    assert len(BLOCKS) == 3
    assert "siamtrack.create(" in BLOCKS[0]
    assert "SiamTrackerGOT(" in BLOCKS[1]
    assert "init_tracking_state(" in BLOCKS[2]


def test_opencv_style_example(weights, bag_video, tmp_path):
    clip = short_clip(bag_video, tmp_path / "clip.avi")
    code = substitute(BLOCKS[0], {
        '"siamrpnpp_r50", weights="siamrpnpp_r50.pth"': f'"{CONFIG}", weights="{weights}"',
        '"bag.avi"': f'"{clip}"'})
    last = _run(code).strip().splitlines()[-1]  # print(found, box, score)
    found, rest = last.split(" ", 1)
    assert found in ("True", "False") and rest.startswith("(")


def test_got10k_example(weights, tmp_path, monkeypatch):
    pytest.importorskip("got10k", reason="needs the got10k package: pip install 'siamtrack[got10k]'")
    write_got10k_val(str(tmp_path / "GOT-10k"))
    monkeypatch.chdir(tmp_path)  # the example writes results/ and reports/ where it runs
    code = substitute(BLOCKS[1], {
        '"siamrpnpp_r50", opts=["MODEL.WEIGHTS", "siamrpnpp_r50.pth"]':
            f'"{CONFIG}", opts=["MODEL.WEIGHTS", "{weights}"]',
        '"data/GOT-10k"': f'"{tmp_path / "GOT-10k"}"'})
    ao = float(_run(code).strip().splitlines()[-1])
    assert 0.0 <= ao <= 1.0
    assert (tmp_path / "reports" / "GOT-10k" / "siamtrack" / "performance.json").is_file()


def test_cvat_example(weights, bag_video):
    pytest.importorskip("cvat_sdk", reason="needs cvat-sdk: pip install 'siamtrack[cvat]'")
    code = substitute(BLOCKS[2], {
        'config="siamrpnpp_r50", weights="siamrpnpp_r50.pth"':
            f'config="{CONFIG}", weights="{weights}"',
        '"bag.avi"': f'"{bag_video}"'})
    lines = _run(code).strip().splitlines()
    assert len(lines) == 4  # one line per tracked frame
    assert all(line == "lost" or len(ast.literal_eval(line)) == 4 for line in lines)
