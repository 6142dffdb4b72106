#!/usr/bin/env python
"""Train or evaluate a tracker: ``siamtrack-train`` (siamtrack_cli/train.py)."""
import sys

from siamtrack_cli.train import main

if __name__ == "__main__":
    sys.exit(main())
