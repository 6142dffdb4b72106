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
    packages=find_packages(include=["siamtrack", "siamtrack.*", "siamtrack_cli", "siamtrack_cli.*"]),
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
    extras_require={"test": ["pytest>=7"], "tune": ["optuna>=3.0"]},
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
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Image Recognition",
    ],
)
