#!/usr/bin/env python
"""Time 2 evaluation processes against 1 on this machine: ``siamtrack_dev/eval_processes.py``."""
import sys

from siamtrack_dev.eval_processes import main

if __name__ == "__main__":
    sys.exit(main())
