"""Every fenced ```python block of README.md and docs/*.md runs, verbatim, on a CPU-only machine.

Each block runs as a user pastes it: ``exec`` of the block's text, unchanged, in a fresh
namespace, in an empty temporary working folder (so a path into the repository, such as
``configs/...``, does not resolve: snippets use packaged config names). The only help a block
gets is a marker comment on the line before the fence:

* ``<!-- snippet: needs NAME ... -->`` — files the reader is assumed to have, which this test
  lays in the working folder before the block runs; only the names of :data:`PROVIDED` exist:
  ``bag.avi`` (the first 10 frames of the real ``bag.avi``), ``siamrpn_alex.pth`` (pysot's
  AlexNet checkpoint of ``reference/pysot_siamrpn_alex_dwxcorr`` — seeded random weights in
  pysot's format — converted as ``siamtrack-convert`` converts it) and
  ``datasets/OTB100`` (two 5-frame OTB-layout sequences cut from ``bag.avi``). Nothing in the
  block's text is replaced.
* ``<!-- snippet: continues -->`` — the block goes on from the previous block of the same page
  (same namespace, same working folder), as a reader following the page does;
  ``<!-- snippet: continues; needs ... -->`` combines both.

Blocks that another test runs are left to it and only counted here: every block of
docs/integrations.md (tests/test_integrations_docs.py, which replaces the ResNet-50 names by a
tiny model) and the blocks marked ``<!-- example: NAME -->`` (tests/test_export_opencv.py runs
docs/deploy.md's OpenCV-only tracker script). A block that shows a data layout rather than code
is fenced as ``text``, not ``python``.
"""
import contextlib
import io
import re
import textwrap
from pathlib import Path

import cv2
import pytest
import torch

from _integrations_common import short_clip
from conftest import BAG_VIDEO, REFERENCE_DIR, REPO_ROOT

PAGES = [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md"))
# Pages or markers whose blocks another test runs (checked to still name them).
RUN_ELSEWHERE = {"docs/integrations.md": "tests/test_integrations_docs.py"}
EXAMPLE_ELSEWHERE = {"opencv-tracker": "tests/test_export_opencv.py"}
PROVIDED = ("bag.avi", "siamrpn_alex.pth", "datasets/OTB100")
CLIP_FRAMES, OTB_FRAMES = 10, 5

FENCE = re.compile(r"^(?P<indent>[ \t]*)```python[ \t]*\n(?P<code>.*?)^(?P=indent)```", re.S | re.M)
MARKER = re.compile(r"<!--\s*(?P<kind>snippet|example):\s*(?P<body>.*?)\s*-->\s*$")


def page_blocks(page):
    """``[(line, marker kind, marker body, code)]`` of the python blocks of ``page``."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        blocks.append((text.count("\n", 0, match.start()) + 1, marker and marker["kind"],
                       marker["body"] if marker else "", textwrap.dedent(match["code"])))
    return blocks


def _parse_snippet_marker(body):
    """``(continues, [needed names])`` of a ``snippet:`` marker body."""
    continues, needs = False, []
    for part in filter(None, (p.strip() for p in body.split(";"))):
        if part == "continues":
            continues = True
        elif part.startswith("needs "):
            needs += part[len("needs "):].split()
        else:
            raise AssertionError(f"unknown snippet marker part {part!r}")
    return continues, needs


def runs():
    """One pytest param per run: a block and the blocks that continue it, ``[(line, needs, code)]``."""
    params = []
    for page in PAGES:
        name = page.relative_to(REPO_ROOT).as_posix()
        if name in RUN_ELSEWHERE:
            continue
        for line, kind, body, code in page_blocks(page):
            if kind == "example":
                assert body in EXAMPLE_ELSEWHERE, f"{name}:{line}: no test runs example {body!r}"
                continue
            continues, needs = _parse_snippet_marker(body) if kind == "snippet" else (False, [])
            if continues:
                assert params and params[-1].values[0] == name, f"{name}:{line}: nothing to continue"
                params[-1].values[1].append((line, needs, code))
            else:
                params.append(pytest.param(name, [(line, needs, code)], id=f"{name}:{line}"))
    return params


RUNS = runs()


def test_blocks_run_elsewhere_are_still_run_there():
    for page, test in RUN_ELSEWHERE.items():
        assert page in (REPO_ROOT / test).read_text() or Path(page).name in (REPO_ROOT / test).read_text()
        assert page_blocks(REPO_ROOT / page), f"{page} has no python block left"
    for example, test in EXAMPLE_ELSEWHERE.items():
        assert f"<!-- example: {example} -->" in (REPO_ROOT / test).read_text(), test
    assert len(RUNS) >= 8  # README's and the docs' examples (a regex that found nothing would pass)


def _otb(root, frames):
    """Two sequences, ``bag`` and ``bag_late`` (frames 0.. and 10..), ground truth = pysot's boxes."""
    import json

    boxes = json.loads((REFERENCE_DIR / "pysot_siamrpn_alex_dwxcorr" / "track.json").read_text())["boxes"]
    capture = cv2.VideoCapture(str(BAG_VIDEO))
    images = [capture.read()[1] for _ in range(10 + frames)]
    for name, start in (("bag", 0), ("bag_late", 10)):
        (root / name / "img").mkdir(parents=True)
        for i in range(frames):
            cv2.imwrite(str(root / name / "img" / f"{i + 1:04d}.jpg"), images[start + i])
        (root / name / "groundtruth_rect.txt").write_text(
            "".join(",".join(f"{v:.2f}" for v in box) + "\n" for box in boxes[start:start + frames]))


def _provide(name, folder):
    from siamtrack.checkpoint import convert_pysot_file

    target = folder / name
    if target.exists():
        return
    weights = REFERENCE_DIR / "pysot_siamrpn_alex_dwxcorr" / "weights.pth"
    if name == "bag.avi":
        short_clip(BAG_VIDEO, target, CLIP_FRAMES)
    elif name == "siamrpn_alex.pth":
        convert_pysot_file(weights, target)
    elif name == "datasets/OTB100":
        _otb(target, OTB_FRAMES)
    else:
        raise AssertionError(f"a snippet needs {name!r}; this test provides only {PROVIDED}")


@pytest.mark.parametrize("page, blocks", RUNS)
def test_snippet_runs_verbatim(page, blocks, reference_dir, bag_video, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as tests/test_tracker_reference.py: small convolutions, a shared machine
    namespace = {"__name__": "__snippet__"}
    try:
        for line, needs, code in blocks:
            for name in needs:
                _provide(name, tmp_path)
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"{page}:{line}", "exec"), namespace)  # noqa: S102 - the doc's own code
    finally:
        torch.set_num_threads(threads)  # a snippet may set it
