"""A tracker for the GOT-10k toolkit (the ``got10k`` package), see docs/integrations.md::

    from got10k.experiments import ExperimentGOT10k
    from siamtrack.integrations.got10k import SiamTrackerGOT

    tracker = SiamTrackerGOT(cfg)
    ExperimentGOT10k("data/GOT-10k", subset="val").run(tracker)

The toolkit feeds RGB PIL images and the ground-truth box of the first frame as it is in the
annotation file; by default that box goes to the tracker unchanged (``init_box="raw"``).
``init_box="pysot"`` moves it as pysot's test driver does (centre ``x + w/2``, so ``+0.5``
pixel), which reproduces the boxes of ``tools/eval_tracker.py``.
"""
import numpy as np

from ._common import make_tracker, pil_to_bgr, require, resolve_config

_got10k_trackers = require("got10k.trackers", "got10k")

__all__ = ["SiamTrackerGOT", "INIT_BOX_CONVENTIONS"]

INIT_BOX_CONVENTIONS = ("raw", "pysot")


class SiamTrackerGOT(_got10k_trackers.Tracker):
    """A ``got10k.trackers.Tracker`` around a siamtrack tracker (deterministic: the toolkit
    runs each sequence once).

    ``cfg`` is a config (``CfgNode``, YAML path or packaged config name, see
    :func:`siamtrack.integrations.opencv.create`); ``opts`` are further ``KEY VALUE``
    overrides; ``model`` an already built model to share; ``init_box`` one of
    :data:`INIT_BOX_CONVENTIONS` (see the module doc).
    """

    def __init__(self, cfg, name="siamtrack", opts=(), model=None, init_box="raw"):
        """Build the tracker of ``cfg`` (see class doc)."""
        if init_box not in INIT_BOX_CONVENTIONS:
            from ..utils.errors import InputError

            raise InputError(f"init_box must be one of {INIT_BOX_CONVENTIONS}, got {init_box!r}")
        super().__init__(name=name, is_deterministic=True)
        self.cfg = resolve_config(cfg, opts)
        self.tracker = make_tracker(self.cfg, model)
        self.init_box = init_box

    def init(self, image, box):
        """Start tracking ``box`` (x, y, w, h as the toolkit passes it) in the PIL ``image``."""
        box = [float(v) for v in box]
        if self.init_box == "pysot":
            from ..structures.boxes import init_box_from_region

            box = list(init_box_from_region(box))
        self.tracker.init(pil_to_bgr(image), box)

    def update(self, image):
        """Track into the PIL ``image``; returns the box as a numpy array (x, y, w, h)."""
        return np.asarray(self.tracker.track(pil_to_bgr(image))["bbox"], dtype=np.float64)
