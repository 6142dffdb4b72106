"""Deprecated location (kept for one release): the init box of a region now lives in
:mod:`siamtrack.structures.boxes`."""
from ..structures.boxes import axis_aligned_center_size, init_box_from_region

__all__ = ["axis_aligned_center_size", "init_box_from_region"]
