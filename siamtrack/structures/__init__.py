"""Bottom layer (beside ``siamtrack.utils``): box conventions and THE crop.

* :mod:`.boxes` — corner / centre-size / top-left-size boxes, the tracker's centre convention
  and the init box of a ground-truth region;
* :mod:`.crop` — the context window around a target and its crop, with OpenCV
  (:func:`crop_window`) and as its bit-exact torch twin (:func:`torch_crops`) for frames already
  on the GPU;
* :mod:`.upload` — one pinned, non-blocking host-to-device copy (frames, crop tables, batches).

Nothing here imports another siamtrack package but ``siamtrack.utils`` (see
``docs/architecture.md``).
"""
from .boxes import (
    axis_aligned_center_size, center_size_to_xywh, cxcywh_to_xyxy, init_box_from_region, init_center_size,
    xyxy_to_cxcywh,
)
from .crop import context_side, crop_window, opencv_crops, torch_crops, window_origin
from .upload import upload

__all__ = [
    "axis_aligned_center_size", "center_size_to_xywh", "cxcywh_to_xyxy", "init_box_from_region",
    "init_center_size", "xyxy_to_cxcywh", "context_side", "crop_window", "opencv_crops", "torch_crops", "upload",
    "window_origin",
]
