#!/usr/bin/env python
"""Tune the tracker's hyper-parameters with Optuna: ``siamtrack-tune`` (siamtrack_cli/tune.py)."""
import sys

from siamtrack_cli.tune import main

if __name__ == "__main__":
    sys.exit(main())
