#!/usr/bin/env python
"""README table rows from a siamtrack-benchmark JSON result: ``siamtrack_dev/benchmark_rows.py``."""
import sys

from siamtrack_dev.benchmark_rows import main

if __name__ == "__main__":
    sys.exit(main())
