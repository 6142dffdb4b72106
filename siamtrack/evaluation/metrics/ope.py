"""One-pass evaluation (OPE) metrics exactly as pysot's toolkit computes them
(docs/evaluation.md, "Protocols and metrics").

Success: per-frame IoU of ``x, y, w, h`` boxes (no +1), frames whose ground truth has w or
h <= 0 get IoU -1 (a miss); success at threshold t is the fraction of frames with IoU > t for
the 21 thresholds 0, 0.05, ..., 1.0; AUC = mean of the 21 values, averaged over sequences.
Precision: centre error with centres ``x + (w-1)/2``; frames whose ground-truth centre has a
coordinate <= 0 get error -1 (a hit); reported at 20 px. Normalised precision divides both
centres by the ground-truth size (+1e-16) and is reported at 0.2. LaSOT scores only visible
frames but divides by the full frame count.
"""
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence as Seq

import numpy as np

__all__ = ["SUCCESS_THRESHOLDS", "PRECISION_THRESHOLDS", "NORM_PRECISION_THRESHOLDS",
           "overlap_ratio", "success_curve", "precision_curve", "norm_precision_curve",
           "SequenceScore", "OPEResult", "score_sequence", "evaluate_ope"]

# Built exactly as pysot builds them (np.arange), so that ties at a threshold agree.
SUCCESS_THRESHOLDS = np.arange(0, 1.05, 0.05)
PRECISION_THRESHOLDS = np.arange(0, 51, 1)
NORM_PRECISION_THRESHOLDS = np.arange(0, 51, 1) / 100


def overlap_ratio(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """IoU of matching rows of two N x 4 ``x, y, w, h`` arrays, clipped to [0, 1]."""
    left = np.maximum(gt[:, 0], pred[:, 0])
    right = np.minimum(gt[:, 0] + gt[:, 2], pred[:, 0] + pred[:, 2])
    top = np.maximum(gt[:, 1], pred[:, 1])
    bottom = np.minimum(gt[:, 1] + gt[:, 3], pred[:, 1] + pred[:, 3])
    inter = np.maximum(0, right - left) * np.maximum(0, bottom - top)
    union = gt[:, 2] * gt[:, 3] + pred[:, 2] * pred[:, 3] - inter
    return np.clip(inter / union, 0, 1)


def _centers(boxes: np.ndarray) -> np.ndarray:
    return np.stack([boxes[:, 0] + (boxes[:, 2] - 1) / 2, boxes[:, 1] + (boxes[:, 3] - 1) / 2], 1)


def success_curve(gt: np.ndarray, pred: np.ndarray, n_frames: Optional[int] = None) -> np.ndarray:
    """Success rate at :data:`SUCCESS_THRESHOLDS` (fraction of ``n_frames`` with IoU > t)."""
    n_frames = len(gt) if n_frames is None else n_frames
    iou = np.full(len(gt), -1.0)
    valid = np.sum(gt[:, 2:] > 0, axis=1) == 2
    iou[valid] = overlap_ratio(gt[valid], pred[valid])
    return np.array([np.sum(iou > t) / float(n_frames) for t in SUCCESS_THRESHOLDS])


def _distance_curve(gt_c, pred_c, thresholds, n_frames):
    dist = np.full(len(gt_c), -1.0)
    valid = np.sum(gt_c > 0, axis=1) == 2
    dist[valid] = np.sqrt(np.sum((gt_c[valid] - pred_c[valid]) ** 2, axis=1))
    return np.array([np.sum(dist <= t) / float(n_frames) for t in thresholds])


def precision_curve(gt: np.ndarray, pred: np.ndarray, n_frames: Optional[int] = None) -> np.ndarray:
    """Precision at :data:`PRECISION_THRESHOLDS` pixels of centre error."""
    n_frames = len(gt) if n_frames is None else n_frames
    return _distance_curve(_centers(gt), _centers(pred), PRECISION_THRESHOLDS, n_frames)


def norm_precision_curve(gt: np.ndarray, pred: np.ndarray, n_frames: Optional[int] = None) -> np.ndarray:
    """Normalised precision at :data:`NORM_PRECISION_THRESHOLDS` (centres / ground-truth size)."""
    n_frames = len(gt) if n_frames is None else n_frames
    size = gt[:, 2:4] + 1e-16
    return _distance_curve(_centers(gt) / size, _centers(pred) / size,
                           NORM_PRECISION_THRESHOLDS, n_frames)


@dataclass
class SequenceScore:
    """The three curves of one sequence."""

    success: np.ndarray
    precision: np.ndarray
    norm_precision: np.ndarray

    @property
    def auc(self) -> float:
        """Mean of the success curve."""
        return float(np.mean(self.success))


def score_sequence(gt, pred, visible: Optional[np.ndarray] = None) -> SequenceScore:
    """Curves of one sequence (``pred`` one box per ground-truth frame: a longer or shorter
    result is refused); ``visible`` keeps only those frames but divides by the full length."""
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
    if len(pred) != len(gt):
        raise ValueError(f"{len(pred)} result boxes for {len(gt)} ground-truth frames")
    n_frames = len(gt)
    if visible is not None:
        visible = np.asarray(visible, dtype=bool)[:n_frames]
        gt, pred = gt[visible], pred[visible]
    return SequenceScore(success_curve(gt, pred, n_frames), precision_curve(gt, pred, n_frames),
                         norm_precision_curve(gt, pred, n_frames))


@dataclass
class OPEResult:
    """OPE scores of one tracker on one benchmark (means over sequences)."""

    per_sequence: Dict[str, SequenceScore]
    per_attribute: Dict[str, "OPEResult"] = field(default_factory=dict)

    @property
    def success_curve(self) -> np.ndarray:
        """Mean success curve over sequences (21 values)."""
        return np.mean([s.success for s in self.per_sequence.values()], axis=0)

    @property
    def precision_curve(self) -> np.ndarray:
        """Mean precision curve (0..50 px)."""
        return np.mean([s.precision for s in self.per_sequence.values()], axis=0)

    @property
    def norm_precision_curve(self) -> np.ndarray:
        """Mean normalised-precision curve (0..0.5)."""
        return np.mean([s.norm_precision for s in self.per_sequence.values()], axis=0)

    @property
    def success_auc(self) -> float:
        """Mean over sequences and thresholds of the success values."""
        return float(np.mean([s.success for s in self.per_sequence.values()]))

    @property
    def precision_20px(self) -> float:
        """Mean over sequences of the precision at 20 px."""
        return float(np.mean([s.precision[20] for s in self.per_sequence.values()]))

    @property
    def norm_precision_02(self) -> float:
        """Mean over sequences of the normalised precision at 0.2."""
        return float(np.mean([s.norm_precision[20] for s in self.per_sequence.values()]))

    @property
    def per_sequence_auc(self) -> Dict[str, float]:
        """AUC of every sequence."""
        return {name: s.auc for name, s in self.per_sequence.items()}

    def summary(self) -> dict:
        """JSON-ready dict: ``success_auc``, ``precision_20px``, ``norm_precision_0.2``,
        ``success_curve``, ``precision_curve``, ``norm_precision_curve``, ``per_sequence_auc``
        and ``per_attribute`` (the three numbers per attribute)."""
        out = {"success_auc": self.success_auc, "precision_20px": self.precision_20px,
               "norm_precision_0.2": self.norm_precision_02,
               "success_curve": self.success_curve.tolist(),
               "precision_curve": self.precision_curve.tolist(),
               "norm_precision_curve": self.norm_precision_curve.tolist(),
               "per_sequence_auc": self.per_sequence_auc}
        if self.per_attribute:
            out["per_attribute"] = {
                a: {"success_auc": r.success_auc, "precision_20px": r.precision_20px,
                    "norm_precision_0.2": r.norm_precision_02, "num_sequences": len(r.per_sequence)}
                for a, r in self.per_attribute.items()}
        return out


def evaluate_ope(gt: Mapping[str, np.ndarray], results: Mapping[str, np.ndarray],
                 visible: Optional[Mapping[str, Optional[np.ndarray]]] = None,
                 attributes: Optional[Mapping[str, Seq[str]]] = None) -> OPEResult:
    """Score one tracker: ``gt`` and ``results`` map sequence names to N x 4 arrays (every
    sequence of ``gt`` must have a result); ``visible`` (LaSOT) and sequence ``attributes``
    are optional. Per-attribute results average over the sequences having the attribute."""
    missing = [name for name in gt if name not in results]
    if missing:
        raise KeyError(f"no result for {len(missing)} sequence(s), e.g. {missing[0]}")
    visible = visible or {}
    scores = {}
    for name in gt:
        try:
            scores[name] = score_sequence(gt[name], results[name], visible.get(name))
        except ValueError as exc:
            raise ValueError(f"sequence {name}: {exc}")
    per_attr = {}
    for attr in sorted({a for attrs in (attributes or {}).values() for a in attrs}):
        names = [n for n in gt if attr in (attributes or {}).get(n, ())]
        per_attr[attr] = OPEResult({n: scores[n] for n in names})
    return OPEResult(scores, per_attr)
