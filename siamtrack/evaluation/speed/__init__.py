"""The speed benchmark (``siamtrack-benchmark``; docs/deploy.md, "Speed"): siamtrack's tracker
timed against a pysot-equivalent baseline, interleaved in one run.

* :mod:`.measure` — :func:`measure_speed`, the timing of every candidate and its summary;
* :mod:`.pysot_baseline` — :class:`PysotBaselineTracker`, pysot's tracker step as pysot runs it
  (the one baseline of every speed figure, also the GPU check's);
* :mod:`.io` — the frames and target boxes it tracks, the machine's load and versions, the JSON.
"""
from .io import (BF16_CANDIDATE, FUSED_CANDIDATE, MAX_TARGETS, MIN_FRAME_SIDE, STAGES, TORCH_VARIANTS, WINOGRAD_CANDIDATE,
                 load_frames, target_boxes, write_result_json)
from .measure import BASELINE, check_export_matches, measure_speed, network_gflop
from .pysot_baseline import PysotBaselineTracker

__all__ = ["BASELINE", "BF16_CANDIDATE", "FUSED_CANDIDATE", "MAX_TARGETS", "MIN_FRAME_SIDE", "STAGES", "TORCH_VARIANTS",
           "WINOGRAD_CANDIDATE", "PysotBaselineTracker", "check_export_matches", "load_frames", "measure_speed",
           "network_gflop", "target_boxes", "write_result_json"]
