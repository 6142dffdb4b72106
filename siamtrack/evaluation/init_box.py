"""Init box of the test driver from a ground-truth region (spec §9.1)."""
import numpy as np

__all__ = ["axis_aligned_center_size", "init_box_from_region"]


def axis_aligned_center_size(region):
    """``(cx, cy, w, h)`` pysot derives from a 4-number box or an 8-number polygon.

    Box: ``cx = x + w/2``. Polygon: centre = mean of the corners; the corners' bounding box is
    shrunk so that its area equals the polygon's (edge lengths |p1-p2|·|p2-p3|), plus 1 px.
    """
    region = np.asarray(region, dtype=np.float64)
    if region.size == 8:
        cx, cy = np.mean(region[0::2]), np.mean(region[1::2])
        x1, x2 = min(region[0::2]), max(region[0::2])
        y1, y2 = min(region[1::2]), max(region[1::2])
        a1 = np.linalg.norm(region[0:2] - region[2:4]) * np.linalg.norm(region[2:4] - region[4:6])
        a2 = (x2 - x1) * (y2 - y1)
        s = np.sqrt(a1 / a2)
        return float(cx), float(cy), float(s * (x2 - x1) + 1), float(s * (y2 - y1) + 1)
    if region.size == 4:
        x, y, w, h = region
        return float(x + w / 2), float(y + h / 2), float(w), float(h)
    raise ValueError(f"a region has 4 or 8 numbers, got {region.size}")


def init_box_from_region(region):
    """``(x, y, w, h)`` passed to ``tracker.init``: ``(cx - (w-1)/2, cy - (h-1)/2, w, h)``, so
    that the tracker's centre ``x + (w-1)/2`` is the ground-truth centre."""
    cx, cy, w, h = axis_aligned_center_size(region)
    return (cx - (w - 1) / 2, cy - (h - 1) / 2, w, h)
