"""Adapters to the tools trackers are used with (docs/integrations.md):

* :mod:`.opencv` — ``siamtrack.create(name, weights=...)``: an OpenCV-style tracker
  (``init`` / ``update -> (ok, box)`` / ``getTrackingScore``).
* :mod:`.vot` — ``python -m siamtrack.integrations.vot``: a TraX tracker for the VOT toolkit.
* :mod:`.got10k` — ``SiamTrackerGOT``: a tracker for the GOT-10k toolkit (``got10k`` package).
* :mod:`.cvat` — a tracking function for CVAT (``cvat_sdk.auto_annotation``, ``cvat-cli``).

Only :mod:`.opencv` is imported here; the others need their optional packages (extras
``vot``, ``got10k``, ``cvat``) and are imported by name.
"""
from .opencv import SiamTrackerCV, create

__all__ = ["SiamTrackerCV", "create"]
