"""VOT short-term evaluation: region overlap, accuracy, robustness, EAO.

``region_overlap`` re-implements, in NumPy, the pixel rasterisation of the VOT toolkit's
region code (non-legacy mode; ``docs/evaluation.md``), so overlaps — and therefore accuracy,
failures and EAO — are those of the reference toolkit, not of exact polygon geometry.
"""
import contextlib
import math
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence as Seq, Tuple

import numpy as np


__all__ = ["EAO_INTERVALS", "region_overlap", "overlap_trajectory", "rasterize_polygon",
           "failure_frames", "accuracy_overlaps", "VOTResult", "evaluate_vot",
           "expected_overlap_curve"]

SKIP_FRAMES = 5  # re-initialise this many frames after a failure
BURNIN = 10  # frames after each (re-)initialisation left out of accuracy
EAO_INTERVALS = {"VOT2016": (108, 371), "VOT2017": (100, 356), "VOT2018": (100, 356),
                 "VOT2019": (46, 291)}


def _polygon(region) -> Optional[np.ndarray]:
    """float32 (n, 2) vertices of a 4-number box or 2n-number polygon; None for a code."""
    r = [float(v) for v in region]
    if len(r) == 1:
        return None
    if len(r) == 4:
        x, y, w, h = r
        r = [x, y, x + w, y, x + w, y + h, x, y + h]  # summed in double, then single precision
    return np.asarray(r, dtype=np.float32).reshape(-1, 2)


def _round_half_away(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _cdiv(a: float, b: float) -> float:
    """Floating division with C semantics (x/0 -> ±inf, 0/0 -> nan)."""
    if b != 0:
        return a / b
    return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)


def rasterize_polygon(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> np.ndarray:
    """Boolean ``height x width`` mask of a polygon with integer vertices, VOT scanline rules:
    a non-horizontal edge gives row Y a node ``int(x_i + (Y - y_i)/(y_j - y_i)·(x_j - x_i))``
    when Y lies in its closed y-range; nodes are sorted and filled pairwise, inclusive, a node
    equal to its successor being skipped."""
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)  # edge (i, i-1)
    rows = np.arange(height, dtype=np.float64)[:, None]
    lo, hi = np.minimum(ys, yj), np.maximum(ys, yj)
    dy = yj - ys
    has_node = (lo <= rows) & (rows <= hi) & (dy != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = np.trunc(xs + (rows - ys) / dy * (xj - xs))
    nodes = np.sort(np.where(has_node, x_at, np.inf), axis=1)
    nodes = np.where(np.isfinite(nodes), nodes, 2.0 ** 62).astype(np.int64)  # unused slots last
    count = has_node.sum(axis=1)

    diff = np.zeros((height, width + 1), dtype=np.int32)
    pos = np.zeros(height, dtype=np.int64)
    active = count >= 2
    for _ in range(nodes.shape[1]):
        r = np.nonzero(active & (pos < count - 1))[0]
        if r.size == 0:
            break
        a, b = nodes[r, pos[r]], nodes[r, pos[r] + 1]
        same = a == b
        pos[r[same]] += 1
        r, a, b = r[~same], a[~same], b[~same]
        active[r[a >= width]] = False
        fill = (a < width) & (b >= 0)
        rf = r[fill]
        np.add.at(diff, (rf, np.maximum(a[fill], 0)), 1)
        np.add.at(diff, (rf, np.minimum(b[fill], width - 1) + 1), -1)
        pos[r[a < width]] += 2
    return np.cumsum(diff[:, :width], axis=1) > 0


def _bounds(poly: np.ndarray) -> List[float]:
    """floor/ceil bounding box ``[left, top, right, bottom]`` of float32 vertices."""
    return [math.floor(poly[:, 0].min()), math.floor(poly[:, 1].min()),
            math.ceil(poly[:, 0].max()), math.ceil(poly[:, 1].max())]


def region_overlap(a, b, bounds: Optional[Tuple[float, float]] = None) -> float:
    """VOT overlap of two regions (``[code]``, ``x, y, w, h`` or polygon ``x1, y1, ...``)
    within ``bounds = (W, H)`` (left 0, top 0, right W, bottom H); NaN when either is a code."""
    pa, pb = _polygon(a), _polygon(b)
    if pa is None or pb is None:
        return math.nan
    limit = (0.0, 0.0, float(bounds[0]), float(bounds[1])) if bounds is not None else \
        (-math.inf, -math.inf, math.inf, math.inf)
    boxes = []
    for poly in (pa, pb):
        l, t, r, btm = _bounds(poly)
        boxes.append((max(l, limit[0]), max(t, limit[1]), min(r, limit[2]), min(btm, limit[3])))
    (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes
    x, y = min(l1, l2), min(t1, t2)
    if not all(math.isfinite(v) for v in (x, y, r1, r2, b1, b2)):
        return 0.0
    width, height = int(max(r1, r2) - x) + 1, int(max(b1, b2) - y) + 1
    a1, a2 = (r1 - l1) * (b1 - t1), (r2 - l2) * (b2 - t2)
    if _cdiv(a1, a2) < 1e-10 or _cdiv(a2, a1) < 1e-10 or width < 1 or height < 1:
        return 0.0
    inter = np.float32(min(r1, r2) - max(l1, l2)) * np.float32(min(b1, b2) - max(t1, t2))
    ratio = _cdiv(float(inter), float(np.float32(a1) + np.float32(a2) - inter))
    if (0.0 if 0 > ratio else ratio) == 0:
        return 0.0
    masks = []
    for poly in (pa, pb):
        shifted = poly + np.array([-x, -y], dtype=np.float32)  # single-precision offset
        masks.append(rasterize_polygon(_round_half_away(shifted[:, 0]),
                                       _round_half_away(shifted[:, 1]), width, height))
    inter_px = int(np.count_nonzero(masks[0] & masks[1]))
    union_px = int(np.count_nonzero(masks[0] | masks[1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float32(inter_px) / np.float32(union_px))


def overlap_trajectory(records: Seq, gt: Seq, bounds=None) -> np.ndarray:
    """Per-frame :func:`region_overlap` of result records against ground truth."""
    return np.array([region_overlap(r, g, bounds) for r, g in zip(records, gt)], dtype=np.float64)


def failure_frames(records: Seq) -> List[int]:
    """Frames recorded as failures (code 2)."""
    return [i for i, r in enumerate(records) if len(r) == 1 and r[0] == 2]


def accuracy_overlaps(records: Seq, gt: Seq, bounds, burnin: int = BURNIN) -> np.ndarray:
    """Per-frame overlaps for accuracy: every ``[1]`` at frame i blanks frames i..i+burnin-1,
    codes give NaN."""
    records = list(records)
    for i in [i for i, r in enumerate(records) if len(r) == 1 and r[0] == 1]:
        for j in range(i, min(i + burnin, len(records))):
            records[j] = [0]
    return overlap_trajectory(records, gt, bounds)


def expected_overlap_curve(sequences: Seq[Tuple[np.ndarray, List[int], np.ndarray]],
                           runs: int = 1, skip: int = SKIP_FRAMES) -> np.ndarray:
    """Expected-overlap curve Φ (``docs/evaluation.md``) from ``(overlaps, failures, tags)``
    per run of every sequence; overlaps NaN on codes, tags 0/1 per frame."""
    max_len = max(len(o) for o, _, _ in sequences)
    rows, weights = [], []
    for overlaps, fails, tags in sequences:
        n = len(overlaps)
        tags = np.asarray(tags, dtype=np.float64)
        if not fails:
            row = np.full(max_len, np.nan)
            row[:n] = overlaps
            rows.append(row)
            weights.append(np.sum(tags[:n]) / n)
            continue
        points = [0] + [f + skip for f in fails if f + skip <= n]
        for k, p in enumerate(points):
            last = k == len(points) - 1
            frag = np.array(overlaps[p:] if last else overlaps[p:points[k + 1] + 1], dtype=np.float64)
            frag[np.isnan(frag)] = 0
            row = np.full(max_len, np.nan) if last else np.zeros(max_len)
            row[:len(frag)] = frag
            rows.append(row)
            if last:
                weights.append(np.sum(tags[p:n]) / (n - p + 1e-16))
            else:
                weights.append(np.sum(tags[p:points[k + 1] + 1]) / (points[k + 1] - p + 1))
    fragments = np.asarray(rows)
    weights = np.asarray(weights) * (1.0 / (runs + 1e-10))
    curve = np.zeros(max_len)
    curve[0] = 1
    for i in range(1, max_len):
        mask = ~np.isnan(fragments[:, i])
        if np.any(mask):
            means = np.sum(fragments[mask, 1:i + 1], axis=1) / i
            curve[i] = np.sum(means * weights[mask]) / np.sum(weights[mask])
    return curve


@dataclass
class VOTResult:
    """VOT scores of one tracker: accuracy (pooled mean overlap), robustness (failures per
    100 frames), lost number (total failures), EAO and its expected-overlap curve."""

    accuracy: float
    robustness: float
    lost_number: float
    eao: float
    eao_curve: np.ndarray
    per_sequence_failures: Dict[str, float] = field(default_factory=dict)
    per_sequence_accuracy: Dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready dict of the scores."""
        return {"accuracy": self.accuracy, "robustness": self.robustness,
                "lost_number": self.lost_number, "eao": self.eao,
                "per_sequence_failures": self.per_sequence_failures,
                "per_sequence_accuracy": self.per_sequence_accuracy}


def evaluate_vot(gt: Mapping[str, np.ndarray], results: Mapping[str, Seq[Seq]],
                 sizes: Mapping[str, Tuple[int, int]], interval: Tuple[int, int],
                 tags: Optional[Mapping[str, np.ndarray]] = None) -> VOTResult:
    """Score restart-protocol results. ``results[name]`` is a list of runs, each a list of
    per-frame records; ``sizes[name] = (W, H)``; ``interval = (low, high)`` of the EAO
    (:data:`EAO_INTERVALS`); ``tags[name]`` selects frames for the EAO (default: all)."""
    missing = [name for name in gt if name not in results]
    if missing:
        raise KeyError(f"no result for {len(missing)} sequence(s), e.g. {missing[0]}")
    pooled, fail_counts, total_frames, eao_input = [], [], 0, []
    per_fail, per_acc = {}, {}
    runs = 1
    for name, seq_gt in gt.items():
        width, height = sizes[name]
        run_overlaps, run_fails = [], []
        runs = len(results[name])
        for records in results[name]:
            if len(records) != len(seq_gt):
                raise ValueError(f"sequence {name}: {len(records)} records for {len(seq_gt)} frames")
            run_overlaps.append(accuracy_overlaps(records, seq_gt, (width, height)))
            fails = failure_frames(records)
            run_fails.append(len(fails))
            eao_overlaps = overlap_trajectory(records, seq_gt, (width - 1, height - 1))
            seq_tags = np.ones(len(seq_gt)) if tags is None else tags[name]
            eao_input.append((eao_overlaps, fails, seq_tags))
        with np.errstate(invalid="ignore"), _quiet():
            overlaps = np.nanmean(np.asarray(run_overlaps), axis=0)
            per_acc[name] = float(np.nanmean(overlaps))
        pooled.append(overlaps)
        fail_counts.append(run_fails)
        per_fail[name] = float(np.mean(run_fails))
        total_frames += len(seq_gt)
    with _quiet():
        accuracy = float(np.nanmean(np.concatenate(pooled)))
    fails_per_run = np.sum(np.asarray(fail_counts, dtype=np.float64), axis=0)
    curve = expected_overlap_curve(eao_input, runs=runs)
    low, high = interval
    with _quiet():
        eao = float(np.nanmean(curve[low - 1:high]))
    return VOTResult(accuracy=accuracy, robustness=float(np.mean(fails_per_run / total_frames) * 100),
                     lost_number=float(np.mean(fails_per_run)), eao=eao, eao_curve=curve,
                     per_sequence_failures=per_fail, per_sequence_accuracy=per_acc)


@contextlib.contextmanager
def _quiet():
    """Silence NumPy's RuntimeWarnings (means of all-NaN slices are NaN on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
