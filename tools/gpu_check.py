#!/usr/bin/env python
"""Check siamtrack on a CUDA GPU: ``siamtrack_dev/gpu_check_cli.py`` (docs/gpu.md)."""
import sys

from siamtrack_dev.gpu_check_cli import main

if __name__ == "__main__":
    sys.exit(main())
