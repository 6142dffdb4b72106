#!/usr/bin/env python
"""Export a model to ONNX: ``siamtrack-export`` (siamtrack_cli/export.py)."""
import sys

from siamtrack_cli.export import main

if __name__ == "__main__":
    sys.exit(main())
