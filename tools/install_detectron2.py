#!/usr/bin/env python
"""Give the current Python environment a working detectron2.

detectron2 is not published on PyPI under its own name, so ``pip install siamtrack`` cannot
pull it in. This script, run by ``make setup``, tries in order:

1. keep an importable detectron2 that is already installed;
2. detectron2's official source install from GitHub (``--github-timeout`` seconds at most);
3. the registry's ``pb1-detectron2==0.6`` source distribution, a republication of the
   detectron2 v0.6 release that lacks the C++ sources and so cannot build as published. Its
   pure-Python ``detectron2`` package is repackaged and installed as a real distribution named
   ``detectron2`` (``pip show detectron2`` / ``pip uninstall detectron2`` work), with

   * a ``detectron2._C`` stand-in whose ops raise a clear error naming the op (rotated boxes,
     deformable convolution and the fast COCOeval need the C++ build; siamtrack needs none);
   * detectron2's own later fixes for current Pillow and NumPy (``Image.LINEAR``,
     the removed ``np.bool``/``np.int``/``np.float`` aliases, ``np.array(..., copy=False)``);
   * detectron2's real runtime dependencies instead of that sdist's pins.

Run it with the interpreter of the environment to install into:
``.venv/bin/python tools/install_detectron2.py``.
"""
import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

GITHUB_URL = "git+https://github.com/facebookresearch/detectron2.git"
SDIST_REQUIREMENT = "pb1-detectron2==0.6"
FALLBACK_VERSION = "0.6+pb1.purepython"

# detectron2's runtime dependencies (its setup.py minus the build-only and dev pins).
RUNTIME_DEPENDENCIES = [
    "Pillow>=7.1",
    "matplotlib",
    "pycocotools>=2.0.2",
    "termcolor>=1.1",
    "yacs>=0.1.8",
    "tabulate",
    "cloudpickle",
    "tqdm>4.29.0",
    "tensorboard",
    "fvcore>=0.1.5",
    "iopath>=0.1.7",
    "omegaconf>=2.1",
    "hydra-core>=1.1",
]

C_STANDIN = '''"""Stand-in for detectron2's compiled ``_C`` extension (pure-Python install).

This detectron2 was installed by siamtrack's ``tools/install_detectron2.py`` from the
``pb1-detectron2`` source distribution, which ships no C++ sources. Everything written in
Python works; the few operators implemented in C++ (rotated-box IoU, ROIAlignRotated,
deformable convolution, the fast COCOeval) raise an error naming the operator.
To get them, install detectron2 from source:
    pip install --no-build-isolation 'git+https://github.com/facebookresearch/detectron2.git'
"""

_MESSAGE = (
    "detectron2 C++ op '{name}' is not available: this detectron2 is the pure-Python build "
    "installed by siamtrack (from pb1-detectron2 0.6, which ships no C++ sources). Install "
    "detectron2 from source for it: pip install --no-build-isolation "
    "'git+https://github.com/facebookresearch/detectron2.git'"
)


def get_compiler_version():
    """No compiler: this is the pure-Python stand-in."""
    return "none (pure-Python detectron2, C++ ops unavailable)"


def get_cuda_version():
    """No CUDA build: this is the pure-Python stand-in."""
    return "none"


def has_cuda():
    """The stand-in has no CUDA kernels."""
    return False


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    def unavailable_op(*args, **kwargs):
        raise RuntimeError(_MESSAGE.format(name=name))

    unavailable_op.__name__ = name
    return unavailable_op
'''

SETUP_PY = '''from setuptools import find_packages, setup

setup(
    name="detectron2",
    version={version!r},
    author="FAIR",
    url="https://github.com/facebookresearch/detectron2",
    description="detectron2 v0.6, pure-Python build (from pb1-detectron2), installed by siamtrack",
    license="Apache-2.0",
    packages=find_packages(include=["detectron2", "detectron2.*"]),
    package_data={{"detectron2.model_zoo": ["configs/**/*.yaml", "configs/**/*.py"]}},
    include_package_data=True,
    python_requires=">=3.7",
    install_requires={requires!r},
)
'''

# (pattern, replacement) applied to every .py file: detectron2's later upstream fixes.
SOURCE_FIXES = [
    (re.compile(r"\bImage\.LINEAR\b"), "Image.BILINEAR"),
    (re.compile(r"\bnp\.bool\b"), "bool"),
    (re.compile(r"\bnp\.int\b"), "int"),
    (re.compile(r"\bnp\.float\b"), "float"),
    (re.compile(r"\bnp\.array\(([^()]*(?:\([^()]*\)[^()]*)*), copy=False\)"), r"np.asarray(\1)"),
]


def log(message):
    """Print one progress line prefixed with the script name."""
    print(f"[install_detectron2] {message}", flush=True)


def pip(*args, timeout=None):
    """Run ``python -m pip`` of this interpreter; return True on success."""
    cmd = [sys.executable, "-m", "pip", *args]
    try:
        return subprocess.run(cmd, timeout=timeout).returncode == 0
    except subprocess.TimeoutExpired:
        log(f"gave up after {timeout}s: {' '.join(args)}")
        return False


def detectron2_importable():
    """Return True when ``import detectron2`` works in this interpreter (checked in a subprocess)."""
    probe = "import detectron2, detectron2.config, detectron2.engine"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


def install_from_github(timeout):
    """Try detectron2's official source install; give up after ``timeout`` seconds."""
    if shutil.which("git") is None:
        log("git not found: skipping the GitHub source install")
        return False
    log(f"trying the official source install from GitHub (at most {timeout}s)")
    try:
        reachable = subprocess.run(
            ["git", "ls-remote", "https://github.com/facebookresearch/detectron2.git", "HEAD"],
            capture_output=True,
            timeout=min(timeout, 20),
        ).returncode == 0
    except subprocess.TimeoutExpired:
        reachable = False
    if not reachable:
        log("GitHub is not reachable")
        return False
    return pip("install", "--no-build-isolation", GITHUB_URL, timeout=timeout)


def fetch_sdist(workdir):
    """Download the pb1-detectron2 source archive into ``workdir`` and return its path.

    ``pip download`` would run the sdist's setup.py to read metadata (which fails without
    its C++ sources), so the archive is located through the package index's JSON API
    instead, honouring ``PIP_INDEX_URL``.
    """
    import json
    import urllib.request

    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    name, version = SDIST_REQUIREMENT.split("==")
    request = urllib.request.Request(
        f"{index}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    wanted = [f for f in files if f["filename"] in (f"{name}-{version}.tar.gz", f"{name.replace('-', '_')}-{version}.tar.gz")]
    if not wanted:
        raise RuntimeError(f"{SDIST_REQUIREMENT} source archive not found on {index}")
    target = Path(workdir) / wanted[0]["filename"]
    with urllib.request.urlopen(wanted[0]["url"], timeout=120) as response, open(target, "wb") as out:
        shutil.copyfileobj(response, out)
    return target


def patch_sources(package_dir):
    """Apply ``SOURCE_FIXES`` to every Python file below ``package_dir``; return files changed."""
    changed = 0
    for path in Path(package_dir).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        fixed = text
        for pattern, replacement in SOURCE_FIXES:
            fixed = pattern.sub(replacement, fixed)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
            changed += 1
    return changed


def build_pure_python_package(sdist, workdir):
    """Unpack ``sdist`` and lay out an installable pure-Python ``detectron2`` project."""
    with tarfile.open(sdist) as archive:
        archive.extractall(workdir)
    source = next(Path(workdir).glob("pb1*detectron2-*"))
    project = Path(workdir) / "detectron2-purepython"
    project.mkdir()
    shutil.copytree(source / "detectron2", project / "detectron2")
    shutil.copy(source / "LICENSE", project / "LICENSE")
    (project / "detectron2" / "_C.py").write_text(C_STANDIN, encoding="utf-8")
    log(f"patched {patch_sources(project / 'detectron2')} files for current Pillow/NumPy")
    (project / "setup.py").write_text(
        SETUP_PY.format(version=FALLBACK_VERSION, requires=RUNTIME_DEPENDENCIES), encoding="utf-8"
    )
    (project / "MANIFEST.in").write_text("recursive-include detectron2/model_zoo/configs *.yaml *.py\n")
    return project


def install_from_sdist():
    """Install the pure-Python detectron2 built from the pb1-detectron2 sdist."""
    log(f"installing the pure-Python detectron2 from {SDIST_REQUIREMENT}")
    with tempfile.TemporaryDirectory() as workdir:
        sdist = fetch_sdist(workdir)
        project = build_pure_python_package(sdist, workdir)
        return pip("install", "--no-build-isolation", str(project))


def main():
    """Install detectron2 by the first strategy that works; exit 1 if none does."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--github-timeout", type=int, default=120, help="seconds for the GitHub install")
    parser.add_argument("--skip-github", action="store_true", help="go straight to the sdist fallback")
    args = parser.parse_args()
    if importlib.util.find_spec("torch") is None:
        sys.exit("[install_detectron2] install torch and torchvision first")

    if detectron2_importable():
        log("an importable detectron2 is already installed: keeping it")
        return
    if not args.skip_github and install_from_github(args.github_timeout) and detectron2_importable():
        log("installed detectron2 from GitHub")
        return
    try:
        installed = install_from_sdist()
    except Exception as exc:  # network or archive problems: one clear line
        sys.exit(f"[install_detectron2] could not install {SDIST_REQUIREMENT}: {exc}")
    if not (installed and detectron2_importable()):
        sys.exit("[install_detectron2] detectron2 could not be installed; see the messages above")
    log(f"installed the pure-Python detectron2 {FALLBACK_VERSION}")


if __name__ == "__main__":
    main()
