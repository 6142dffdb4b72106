#!/usr/bin/env python
"""Evaluate a tracker on a benchmark: ``siamtrack-eval`` (siamtrack_cli/eval.py)."""
import sys

from siamtrack_cli.eval import main

if __name__ == "__main__":
    sys.exit(main())
