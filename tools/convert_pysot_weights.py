#!/usr/bin/env python
"""Convert a pysot checkpoint: ``siamtrack-convert`` (siamtrack_cli/convert.py)."""
import sys

from siamtrack_cli.convert import main

if __name__ == "__main__":
    sys.exit(main())
