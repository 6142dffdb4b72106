#!/usr/bin/env python
"""Measure tracker speed: ``siamtrack-benchmark`` (siamtrack_cli/benchmark.py)."""
import sys

from siamtrack_cli.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
