#!/usr/bin/env python
"""Check siamtrack on a CUDA GPU: ``siamtrack_cli/gpu_check.py`` (docs/gpu.md)."""
import sys

from siamtrack_cli.gpu_check import main

if __name__ == "__main__":
    sys.exit(main())
