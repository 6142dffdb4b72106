"""Long-term tracking metrics (VOT2018-LT / VOT2019-LT): precision, recall and F1 over
confidence thresholds, and the maximum-F1 point, as pysot's toolkit (``F1Benchmark``)
computes them; see docs/evaluation.md.

* Thresholds: all confidences of all sequences (frame 0 has none) sorted; ``d = N // 98``;
  98 of them at indices ``floor(linspace(d - 1, N - d, 98) + 0.5)``, then ``-inf`` and
  ``+inf`` added at the ends and the whole reversed (``+inf`` first). pysot fails with fewer
  than 98 confidences; here the indices are then clipped to the sorted list.
* Per sequence: ``N_vis`` = frames whose ground truth is a box (frame 0 included, although
  it is never scored); VOT overlaps (pixel rasterisation, bounds ``(W, H)``) of every frame,
  0 where either side is absent or a code (frame 0's ``1``); confidences NaN -> 0. At
  threshold t the selected frames are those with confidence >= t (> 0 for ``-inf``);
  none selected: precision 1, recall 0; else precision = mean overlap of the selected
  frames, recall = their summed overlap / ``N_vis``.
* The precision and recall curves are averaged over sequences; F1 = 2PR / (P + R) on the
  averaged curves; the reported point is the first maximum of F1.
* Where P + R = 0, F1 is 0 here; pysot gets NaN there, and its ``argmax`` then picks that
  NaN as the "maximum".
"""
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

import numpy as np

from .vot import overlap_trajectory

__all__ = ["THRESHOLD_COUNT", "confidence_thresholds", "longterm_overlaps",
           "precision_recall_curves", "f1_scores", "LongTermResult", "evaluate_longterm"]

THRESHOLD_COUNT = 100  # 98 sampled confidences plus -inf and +inf


def confidence_thresholds(scores, count: int = THRESHOLD_COUNT) -> np.ndarray:
    """The ``count`` thresholds, highest first (``+inf`` ... ``-inf``), sampled from the
    non-NaN ``scores`` of all sequences."""
    values = np.asarray(scores, dtype=np.float64).reshape(-1)
    values = np.sort(values[~np.isnan(values)])
    if not len(values):
        raise ValueError("no confidence values to build the thresholds from")
    inner = count - 2
    step = len(values) // inner
    idx = np.floor(np.linspace(step - 1, len(values) - step, inner) + 0.5).astype(np.int64)
    idx = np.clip(idx, 0, len(values) - 1)  # only matters with fewer than `inner` values
    return np.concatenate([[np.inf], values[idx][::-1], [-np.inf]])


def _regions(rows):
    """VOT regions of box rows; a row with NaN (target absent / no prediction) is the code 0."""
    return [[0] if np.isnan(row).any() else [float(v) for v in row] for row in rows]


def longterm_overlaps(boxes, gt, size: Tuple[float, float]) -> np.ndarray:
    """Per-frame VOT overlaps within ``size = (W, H)`` of N x 4 result ``boxes`` with the
    N x 4 (or N x 8) ground truth; 0 on frame 0, on absent targets and on NaN results."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(len(gt), -1)
    records = [[1]] + _regions(boxes[1:])
    overlaps = overlap_trajectory(records, _regions(np.asarray(gt, dtype=np.float64)), size)
    overlaps[np.isnan(overlaps)] = 0
    return overlaps


def precision_recall_curves(overlaps, scores, thresholds, n_visible: int):
    """Precision and recall of one sequence at each threshold (see the module docstring);
    NaN scores count as 0."""
    overlaps = np.asarray(overlaps, dtype=np.float64)
    scores = np.where(np.isnan(scores), 0.0, np.asarray(scores, dtype=np.float64))
    precision, recall = np.ones(len(thresholds)), np.zeros(len(thresholds))
    for i, t in enumerate(thresholds):
        selected = overlaps[scores > 0] if t == -np.inf else overlaps[scores >= t]
        if len(selected):
            precision[i] = np.mean(selected)
            recall[i] = np.sum(selected) / n_visible
    return precision, recall


def f1_scores(precision, recall) -> np.ndarray:
    """2PR / (P + R), 0 where P + R = 0."""
    precision, recall = np.asarray(precision), np.asarray(recall)
    total = precision + recall
    return np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1), 0.0)


def _finite_or_none(value: float) -> Optional[float]:
    return float(value) if np.isfinite(value) else None


@dataclass
class LongTermResult:
    """Long-term scores of one tracker: per-sequence precision/recall curves over the shared
    ``thresholds`` (highest first), their means, the F1 curve and its maximum."""

    thresholds: np.ndarray
    per_sequence_precision: Dict[str, np.ndarray]
    per_sequence_recall: Dict[str, np.ndarray]

    @property
    def precision_curve(self) -> np.ndarray:
        """Precision at each threshold, averaged over sequences."""
        return np.mean(list(self.per_sequence_precision.values()), axis=0)

    @property
    def recall_curve(self) -> np.ndarray:
        """Recall at each threshold, averaged over sequences."""
        return np.mean(list(self.per_sequence_recall.values()), axis=0)

    @property
    def f1_curve(self) -> np.ndarray:
        """F1 of the averaged precision and recall curves."""
        return f1_scores(self.precision_curve, self.recall_curve)

    @property
    def best_index(self) -> int:
        """Index of the (first) maximum of :attr:`f1_curve`."""
        return int(np.argmax(self.f1_curve))

    @property
    def precision(self) -> float:
        """Precision at the maximum-F1 threshold."""
        return float(self.precision_curve[self.best_index])

    @property
    def recall(self) -> float:
        """Recall at the maximum-F1 threshold."""
        return float(self.recall_curve[self.best_index])

    @property
    def f1(self) -> float:
        """Maximum F1."""
        return float(self.f1_curve[self.best_index])

    @property
    def threshold(self) -> float:
        """Confidence threshold of the maximum F1."""
        return float(self.thresholds[self.best_index])

    def per_sequence_best(self) -> Dict[str, dict]:
        """``{sequence: {"precision", "recall", "f1"}}`` at each sequence's own maximum F1."""
        out = {}
        for name, p in self.per_sequence_precision.items():
            r = self.per_sequence_recall[name]
            f = f1_scores(p, r)
            i = int(np.argmax(f))
            out[name] = {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i])}
        return out

    def summary(self) -> dict:
        """JSON-ready dict: ``precision``, ``recall``, ``f1`` (the maximum-F1 point),
        ``threshold``, ``precision_curve``, ``recall_curve``, ``f1_curve``, ``thresholds``
        (infinite ends as null) and ``per_sequence``."""
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "threshold": _finite_or_none(self.threshold),
                "precision_curve": self.precision_curve.tolist(),
                "recall_curve": self.recall_curve.tolist(), "f1_curve": self.f1_curve.tolist(),
                "thresholds": [_finite_or_none(t) for t in self.thresholds],
                "per_sequence": self.per_sequence_best()}


def evaluate_longterm(gt: Mapping[str, np.ndarray], results: Mapping[str, Tuple[np.ndarray, np.ndarray]],
                      sizes: Mapping[str, Tuple[float, float]]) -> LongTermResult:
    """Score long-term results. ``gt[name]``: N x 4 (or 8) ground truth, a NaN row where the
    target is absent; ``results[name] = (boxes N x 4, confidences N)`` (frame 0 of both is
    ignored, as the result files mark it); ``sizes[name] = (W, H)``."""
    missing = [name for name in gt if name not in results]
    if missing:
        raise KeyError(f"no result for {len(missing)} sequence(s), e.g. {missing[0]}")
    scores = {}
    for name, seq_gt in gt.items():
        boxes, conf = results[name]
        conf = np.array(conf, dtype=np.float64).reshape(-1)
        if len(boxes) != len(seq_gt) or len(conf) != len(seq_gt):
            raise ValueError(f"sequence {name}: {len(boxes)} result boxes and {len(conf)} "
                             f"confidences for {len(seq_gt)} frames")
        if np.isnan(np.asarray(seq_gt[0], dtype=np.float64)).any():
            raise ValueError(f"sequence {name}: no target in the first frame")
        conf[0] = np.nan
        scores[name] = conf
    thresholds = confidence_thresholds(np.concatenate(list(scores.values())))
    precision, recall = {}, {}
    for name, seq_gt in gt.items():
        seq_gt = np.asarray(seq_gt, dtype=np.float64)
        n_visible = int(np.sum(~np.isnan(seq_gt).any(axis=1)))
        overlaps = longterm_overlaps(results[name][0], seq_gt, sizes[name])
        precision[name], recall[name] = precision_recall_curves(overlaps, scores[name],
                                                                thresholds, n_visible)
    return LongTermResult(thresholds, precision, recall)
