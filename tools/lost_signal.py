#!/usr/bin/env python
"""Measure the target-lost signal on synthetic absence clips: ``siamtrack_dev/lost_signal.py``."""
import sys

from siamtrack_dev.lost_signal import main

if __name__ == "__main__":
    sys.exit(main())
