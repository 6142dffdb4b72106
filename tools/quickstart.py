#!/usr/bin/env python
"""Train a small tracker on synthetic data and show that it learned (siamtrack_cli/quickstart.py)."""
import sys

from siamtrack_cli.quickstart import main

if __name__ == "__main__":
    sys.exit(main())
