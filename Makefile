# The two set-up commands of the README: `make setup` (install everything, then run the
# quickstart) and `make test` (run the test suite). Override PYTHON to pick the interpreter.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Every optional integration, so that `make test` runs their tests too (docs/install.md).
EXTRAS ?= test,onnx,tune,vot,got10k,cvat

.PHONY: setup install opencv quickstart test

setup: install quickstart

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip wheel "setuptools<81"
	# detectron2 imports pkg_resources, which setuptools >= 81 no longer ships.
	$(BIN)/python -m pip install "torch>=2.0" "torchvision>=0.15" "setuptools<81"
	$(BIN)/python tools/install_detectron2.py
	$(BIN)/python -m pip install -e ".[$(EXTRAS)]"
	$(MAKE) opencv

# vot-toolkit requires opencv-python (the GUI build) beside siamtrack's opencv-python-headless.
# Both write the same cv2/ folder, and uninstalling either deletes it: drop the GUI build, then
# reinstall the same headless version over what is left, so exactly one OpenCV remains.
opencv:
	$(BIN)/python -m pip uninstall -y opencv-python
	headless=$$($(BIN)/python -c "from importlib.metadata import version; print(version('opencv-python-headless'))") && \
	$(BIN)/python -m pip install --force-reinstall --no-deps "opencv-python-headless==$$headless"
	$(BIN)/python -c "import cv2; cv2.dnn.readNetFromONNX; print('OpenCV', cv2.__version__, '(headless, with dnn)')"

quickstart:
	$(BIN)/python tools/quickstart.py

test:
	$(BIN)/python -m pytest tests
