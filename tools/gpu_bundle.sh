#!/bin/sh
# What the GPU check needs on a GPU machine without network access (docs/gpu.md, "The prepared
# run"): .whl/site, the pure-Python packages such a machine lacks (detectron2 and its own
# dependencies) and pycocotools built for its Python; shared/, the reference AlexNet and bag.avi.
# Run from the repository root. PYTHON: the project's interpreter (default .venv/bin/python);
# SHARED: the shared test data (default ../shared); TARGET_PYTHON: the GPU machine's Python
# version (default 3.12). Both folders are ignored by git.
set -eu
PYTHON=${PYTHON:-.venv/bin/python}
SHARED=${SHARED:-../shared}
TARGET_PYTHON=${TARGET_PYTHON:-3.12}
rm -rf .whl shared
mkdir -p .whl/site shared/reference shared/data
cp -r "$SHARED/reference/pysot_siamrpn_alex_dwxcorr" shared/reference/
cp "$SHARED/data/bag.avi" shared/data/
SITE=$("$PYTHON" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
for p in detectron2 fvcore iopath yacs omegaconf antlr4 termcolor; do
    cp -r "$SITE/$p" .whl/site/
done
COCO=$("$PYTHON" -c "from importlib.metadata import version; print(version('pycocotools'))")
"$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version "$TARGET_PYTHON" --implementation cp \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
    -d .whl "pycocotools==$COCO"
"$PYTHON" -m zipfile -e .whl/pycocotools-*.whl .whl/site/
find .whl shared -name __pycache__ -prune -exec rm -rf {} +
du -sh .whl shared
