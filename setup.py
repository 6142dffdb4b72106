"""siamtrack: SiamRPN++ single-object tracking as a detectron2 extension."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def read_version():
    """Read ``__version__`` from ``siamtrack/__init__.py`` without importing the package."""
    for line in (HERE / "siamtrack" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=")[1].strip().strip("\"'")
    raise RuntimeError("siamtrack/__init__.py has no __version__")


# Optional integrations (docs/install.md, "Extras"). Each feature that needs one fails with a
# one-line error naming its extra when it is missing.
EXTRAS = {
    "onnx": ["onnx>=1.14", "onnxruntime>=1.16"],  # siamtrack-export, TRACK.BACKEND onnxruntime
    "tune": ["optuna>=3"],  # hyper-parameter search
    # vot-toolkit 0.8 / 0.9 cannot run supervised experiments with single-target TraX trackers;
    # attributee 0.1.10 breaks `import vot` on Python 3.11.
    "vot": ["vot-trax>=4.0.1,<5", "vot-toolkit>=0.7.4,<0.8", "attributee>=0.1.8,<0.1.10"],
    "got10k": ["got10k>=0.1.3"],
    # cvat-sdk / cvat-cli 2.80 need Python >= 3.11: on older interpreters the extra installs nothing.
    "cvat": ['cvat-sdk>=2.80,<3; python_version >= "3.11"', 'cvat-cli>=2.80,<3; python_version >= "3.11"'],
}
EXTRAS["all"] = sorted({req for reqs in EXTRAS.values() for req in reqs})
# The test suite runs every integration's tests, so it needs every extra (got10k also serves as
# the reference for the GOT-10k metrics).
EXTRAS["test"] = ["pytest>=7"] + EXTRAS["all"]

# The YAML files of the repository's configs/ ship inside the package as siamtrack/configs
# (siamtrack.model_zoo finds them there in a wheel, and in configs/ in a checkout or an
# editable install): configs/ stays the one source.
CONFIG_PACKAGES = {"siamtrack.configs": "configs", "siamtrack.configs.pysot": "configs/pysot",
                   "siamtrack.configs.dasiamrpn": "configs/dasiamrpn"}

setup(
    name="siamtrack",
    version=read_version(),
    description="SiamRPN++ Siamese single-object tracking for detectron2, exact to pysot",
    long_description=(HERE / "README.md").read_text(encoding="utf-8") if (HERE / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.8",
    # siamtrack_cli holds the commands; it sits beside siamtrack so that `--help` and argument
    # errors answer before `import siamtrack` (which imports torch and detectron2).
    packages=find_packages(include=["siamtrack", "siamtrack.*", "siamtrack_cli", "siamtrack_cli.*"])
    + list(CONFIG_PACKAGES),
    package_dir=CONFIG_PACKAGES,
    package_data={name: ["*.yaml"] for name in CONFIG_PACKAGES},
    # detectron2 is not on PyPI under its own name: `make setup` (tools/install_detectron2.py)
    # installs it, and `import siamtrack` explains how when it is missing.
    install_requires=[
        "torch>=1.10",
        "torchvision>=0.11",
        "numpy",
        "opencv-python-headless>=4.5",
        "fvcore",
        "pycocotools",
        "tqdm",
        "matplotlib",
    ],
    extras_require=EXTRAS,
    entry_points={
        "console_scripts": [
            "siamtrack-track = siamtrack_cli.track:main",
            "siamtrack-train = siamtrack_cli.train:main",
            "siamtrack-eval = siamtrack_cli.eval:main",
            "siamtrack-convert = siamtrack_cli.convert:main",
            "siamtrack-benchmark = siamtrack_cli.benchmark:main",
            "siamtrack-export = siamtrack_cli.export:main",
            "siamtrack-tune = siamtrack_cli.tune:main",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Image Recognition",
    ],
)
