# The two set-up commands of the README: `make setup` (install everything, then run the
# quickstart) and `make test` (run the test suite). Override PYTHON to pick the interpreter.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Every optional integration, so that `make test` runs their tests too (docs/install.md).
EXTRAS ?= test,onnx,tune,vot,got10k,cvat
# Which PyTorch build: "default" (the package index's: CUDA builds on x86-64 Linux, which run on
# the CPU too) or "cpu" (`make setup TORCH=cpu`: PyTorch's CPU-only wheels, a much smaller
# environment for a machine without a GPU). TORCH_INDEX overrides the index of the cpu choice.
TORCH ?= default
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
ifeq ($(TORCH),cpu)
TORCH_SOURCE := --index-url $(TORCH_INDEX)
else ifeq ($(TORCH),default)
TORCH_SOURCE :=
else
$(error TORCH must be default or cpu, not "$(TORCH)")
endif

.PHONY: setup install opencv quickstart test

setup: install quickstart

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip wheel "setuptools<81"
	# detectron2 imports pkg_resources, which setuptools >= 81 no longer ships.
	$(BIN)/python -m pip install $(TORCH_SOURCE) "torch>=2.0" "torchvision>=0.15"
	$(BIN)/python -m pip install "setuptools<81"
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
