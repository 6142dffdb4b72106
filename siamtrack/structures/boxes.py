"""Box conventions.

* ``xyxy``: corners ``(x1, y1, x2, y2)``, size ``x2 - x1`` (no +1), as detectron2;
* ``cxcywh``: centre and size;
* ``xywh``: top-left corner and size in 0-based pixels: the boxes trackers take and report.

The tracker turns an init box into its centre with pysot's ``x + (w - 1) / 2`` but reports
``cx - w / 2`` (:func:`init_center_size` / :func:`center_size_to_xywh`); the benchmark driver
compensates with :func:`init_box_from_region` (docs/tracking.md, "Boxes").
"""
import numpy as np

__all__ = ["cxcywh_to_xyxy", "xyxy_to_cxcywh", "init_center_size", "center_size_to_xywh",
           "axis_aligned_center_size", "init_box_from_region"]


def cxcywh_to_xyxy(boxes):
    """Convert (..., 4) centre-size boxes to corners, keeping the array type (NumPy / torch) and dtype."""
    half_w, half_h = boxes[..., 2] * 0.5, boxes[..., 3] * 0.5
    out = boxes.copy() if isinstance(boxes, np.ndarray) else boxes.clone()
    out[..., 0] = boxes[..., 0] - half_w
    out[..., 1] = boxes[..., 1] - half_h
    out[..., 2] = boxes[..., 0] + half_w
    out[..., 3] = boxes[..., 1] + half_h
    return out


def xyxy_to_cxcywh(boxes):
    """Convert (..., 4) corner boxes to centre-size, keeping the array type (NumPy / torch) and dtype."""
    out = boxes.copy() if isinstance(boxes, np.ndarray) else boxes.clone()
    out[..., 0] = (boxes[..., 0] + boxes[..., 2]) / 2
    out[..., 1] = (boxes[..., 1] + boxes[..., 3]) / 2
    out[..., 2] = boxes[..., 2] - boxes[..., 0]
    out[..., 3] = boxes[..., 3] - boxes[..., 1]
    return out


def init_center_size(box):
    """The tracker's float64 ``(center, size)`` arrays of an init box ``(x, y, w, h)``: pysot's
    centre ``(x + (w - 1) / 2, y + (h - 1) / 2)`` and size ``(w, h)``."""
    x, y, w, h = box
    return (np.array([x + (w - 1) / 2, y + (h - 1) / 2], dtype=np.float64),
            np.array([w, h], dtype=np.float64))


def center_size_to_xywh(cx, cy, width, height):
    """``[x, y, w, h]`` with the top-left corner at ``c - size / 2`` (the boxes trackers report)."""
    return [cx - width / 2, cy - height / 2, width, height]


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
    """``(x, y, w, h)`` passed to ``tracker.init`` for a ground-truth region (pysot's test driver):
    ``(cx - (w-1)/2, cy - (h-1)/2, w, h)``, so that the tracker's centre ``x + (w-1)/2`` is the
    ground-truth centre."""
    cx, cy, w, h = axis_aligned_center_size(region)
    return (cx - (w - 1) / 2, cy - (h - 1) / 2, w, h)
