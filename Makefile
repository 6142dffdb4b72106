# The two set-up commands of the README: `make setup` (install everything, then run the
# quickstart) and `make test` (run the test suite). Override PYTHON to pick the interpreter.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup install quickstart test

setup: install quickstart

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip wheel "setuptools<81"
	# detectron2 imports pkg_resources, which setuptools >= 81 no longer ships.
	$(BIN)/python -m pip install "torch>=2.0" "torchvision>=0.15" "setuptools<81"
	$(BIN)/python tools/install_detectron2.py
	$(BIN)/python -m pip install -e ".[test]"

quickstart:
	$(BIN)/python tools/quickstart.py

test:
	$(BIN)/python -m pytest tests
