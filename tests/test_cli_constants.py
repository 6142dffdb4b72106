"""Pointers that must stay true: the commands' copies of library constants (kept so that
``--help`` and argument errors answer before importing torch) equal the library's, the command
list of ``siamtrack_cli`` is setup.py's, and docs/architecture.md names every package."""
import argparse
import re

from conftest import REPO_ROOT
import siamtrack_cli
from siamtrack.evaluation.speed import BF16_CANDIDATE, FUSED_CANDIDATE, MAX_TARGETS, TORCH_VARIANTS, WINOGRAD_CANDIDATE
from siamtrack.evaluation.tuning.search import METRICS
from siamtrack.export import DEFAULT_OPSET, LAYOUTS
from siamtrack.model_zoo import list_configs
from siamtrack.tracking.build import BACKENDS
from siamtrack.tracking.outputs import BOX_SUFFIXES
from siamtrack.utils.video_encode import CODECS
from siamtrack_cli import benchmark, export, track, tune
from siamtrack_dev import gpu_check, gpu_check_cli


def _option(parser, flag):
    """The argparse action of ``flag``."""
    return next(a for a in parser._actions if flag in a.option_strings)


def test_command_constants_equal_the_librarys():
    assert benchmark.BACKENDS == BACKENDS
    assert set(benchmark.CANDIDATES) == set(BACKENDS) | set(TORCH_VARIANTS)
    assert {BF16_CANDIDATE, WINOGRAD_CANDIDATE, FUSED_CANDIDATE} <= set(benchmark.CANDIDATES) and benchmark.MAX_TARGETS == MAX_TARGETS
    assert export.LAYOUTS == LAYOUTS and _option(export.build_parser(), "--opset").default == DEFAULT_OPSET
    assert track.BOX_SUFFIXES == BOX_SUFFIXES and track.CODECS == CODECS
    assert set(tune.METRICS) == set(METRICS)
    assert gpu_check_cli.SECTIONS == gpu_check.SECTIONS
    configs = set(list_configs())
    assert track.DEFAULT_CONFIG in configs
    for parser in (benchmark.build_parser(), track.build_parser()):
        assert _option(parser, "--config-file").default in configs


def test_every_declared_command_is_listed():
    """siamtrack_cli's docstring names every console script of setup.py and its module."""
    scripts = re.findall(r'"(siamtrack-[a-z]+) = siamtrack_cli\.([a-z_]+):main"', (REPO_ROOT / "setup.py").read_text())
    assert len(scripts) >= 7
    for command, module in scripts:
        assert f"``{command}`` (:mod:`.{module}`)" in " ".join(siamtrack_cli.__doc__.split()), command
        assert isinstance(__import__(f"siamtrack_cli.{module}", fromlist=["build_parser"]).build_parser(),
                          argparse.ArgumentParser)


def test_architecture_page_names_every_package():
    """docs/architecture.md has a row (or a named sub-package) for every package folder."""
    assert "`siamtrack/__init__.py`" in (REPO_ROOT / "docs" / "architecture.md").read_text()
    page = (REPO_ROOT / "docs" / "architecture.md").read_text()
    missing = []
    for init in sorted((REPO_ROOT / "siamtrack").rglob("__init__.py"))[1:]:  # the root has its own row
        folder = init.parent.relative_to(REPO_ROOT).as_posix()
        name = folder.rsplit("/", 1)[-1]
        if f"`{folder}/`" not in page and f"`{name}/`" not in page:
            missing.append(folder)
    assert not missing, f"docs/architecture.md does not name: {missing}"
