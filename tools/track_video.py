#!/usr/bin/env python
"""Track targets through a video: ``siamtrack-track`` (siamtrack_cli/track.py)."""
import sys

from siamtrack_cli.track import main

if __name__ == "__main__":
    sys.exit(main())
