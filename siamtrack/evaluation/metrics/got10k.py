"""GOT-10k average overlap (AO) and success rates (SR0.5, SR0.75), as the GOT-10k toolkit
(``got10k`` package, ``ExperimentGOT10k.report``) computes them; see docs/evaluation.md.

The toolkit's conventions, reproduced here (some are surprising):

* The first frame is never scored, whatever its cover; after it, only frames whose
  ``cover.label`` value is > 0 count (``absence.label`` is not read).
* IoUs are pooled over the frames of all sequences (and of all repetitions ``_001``,
  ``_002``, ... of a sequence): AO is the plain mean of the pooled IoUs, not a mean of
  per-sequence AOs, so long sequences weigh more.
* Both boxes are clipped to the image ``(W, H)`` the toolkit's way: ``x`` and ``y`` are
  clipped to ``[0, W]`` / ``[0, H]`` first, then ``w`` to ``[0, W - x]`` and ``h`` to
  ``[0, H - y]``. A box sticking out on the left or top is therefore *moved* inside (its
  width is kept), not cut; a box sticking out on the right or bottom is cut; a box fully
  outside becomes zero-sized.
* IoU = intersection / (union + machine epsilon), clipped to [0, 1]: two zero-size boxes
  have IoU 0. Success at a threshold t means IoU **>** t, over 101 thresholds
  ``linspace(0, 1, 101)``; SR0.5 / SR0.75 are the shares of IoUs > 0.5 / > 0.75.
* A result row with NaN gives the toolkit a NaN IoU, which makes its AO NaN (its SR and
  success curve count the frame as a miss). Here such a frame scores IoU 0 and is counted in
  :attr:`GOT10kResult.nan_frames`, so callers can say so.
* The toolkit reports SR only at 0.5; SR0.75 (quoted by the GOT-10k server and papers) is
  computed the same way at 0.75.
* Speed: mean of ``1 / t`` over all positive, non-NaN per-frame times (``<seq>_time.txt``).
"""
import contextlib
import warnings
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Sequence as Seq, Tuple

import numpy as np

__all__ = ["GOT10K_THRESHOLDS", "clip_boxes_to_image", "got10k_iou", "GOT10kSequenceScore",
           "GOT10kResult", "score_got10k_sequence", "evaluate_got10k"]

GOT10K_THRESHOLDS = np.linspace(0, 1, 101)  # as the toolkit builds them
_EPS = np.finfo(float).eps


def clip_boxes_to_image(boxes, size: Tuple[float, float]) -> np.ndarray:
    """Copy of N x 4 ``x, y, w, h`` boxes clipped to the image ``size = (W, H)`` the GOT-10k
    toolkit's way: corner first, then the size to what is left (left/top overflow moves the
    box, right/bottom overflow cuts it)."""
    out = np.array(boxes, dtype=np.float64).reshape(-1, 4)
    width, height = size
    out[:, 0] = np.clip(out[:, 0], 0, width)
    out[:, 1] = np.clip(out[:, 1], 0, height)
    out[:, 2] = np.clip(out[:, 2], 0, width - out[:, 0])
    out[:, 3] = np.clip(out[:, 3], 0, height - out[:, 1])
    return out


def got10k_iou(pred, gt, size: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """Per-row IoU of N x 4 ``x, y, w, h`` arrays as the GOT-10k toolkit computes it (after
    :func:`clip_boxes_to_image` when ``size`` is given; union + epsilon; clipped to [0, 1]).
    NaN rows give NaN."""
    a = np.array(pred, dtype=np.float64).reshape(-1, 4)
    b = np.array(gt, dtype=np.float64).reshape(-1, 4)
    if a.shape != b.shape:
        raise ValueError(f"{len(a)} result boxes for {len(b)} ground-truth boxes")
    if size is not None:
        a, b = clip_boxes_to_image(a, size), clip_boxes_to_image(b, size)
    x1 = np.maximum(a[:, 0], b[:, 0])
    y1 = np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    inter = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.clip(inter / (union + _EPS), 0.0, 1.0)


@contextlib.contextmanager
def _quiet():
    """Means of empty arrays are NaN on purpose (a sequence without a visible frame)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _sr(ious: np.ndarray, threshold: float) -> float:
    with _quiet():
        return float(np.mean(ious > threshold)) if len(ious) else float("nan")


@dataclass
class GOT10kSequenceScore:
    """The scored IoUs of one sequence (all repetitions, NaN results already set to 0) and
    the number of scored frames whose result was NaN."""

    ious: np.ndarray
    nan_frames: int = 0

    @property
    def ao(self) -> float:
        """Mean IoU of the scored frames (NaN when none is scored)."""
        with _quiet():
            return float(np.mean(self.ious))

    def sr(self, threshold: float) -> float:
        """Share of scored frames with IoU > ``threshold``."""
        return _sr(self.ious, threshold)

    def summary(self) -> dict:
        """``ao``, ``sr_0.5``, ``sr_0.75``, ``num_frames`` (scored), ``nan_frames``."""
        return {"ao": self.ao, "sr_0.5": self.sr(0.5), "sr_0.75": self.sr(0.75),
                "num_frames": int(len(self.ious)), "nan_frames": self.nan_frames}


@dataclass
class GOT10kResult:
    """GOT-10k scores of one tracker: IoUs pooled over the frames of all sequences."""

    per_sequence: Dict[str, GOT10kSequenceScore]
    speed_fps: Optional[float] = None

    @property
    def ious(self) -> np.ndarray:
        """All scored IoUs, sequences in order."""
        return np.concatenate([s.ious for s in self.per_sequence.values()])

    @property
    def ao(self) -> float:
        """Average overlap: the plain mean of the pooled IoUs."""
        return float(np.mean(self.ious))

    @property
    def sr_05(self) -> float:
        """Success rate at IoU > 0.5."""
        return _sr(self.ious, 0.5)

    @property
    def sr_075(self) -> float:
        """Success rate at IoU > 0.75."""
        return _sr(self.ious, 0.75)

    @property
    def success_curve_101(self) -> np.ndarray:
        """Share of pooled IoUs > t for the 101 thresholds :data:`GOT10K_THRESHOLDS`."""
        return np.mean(self.ious[:, None] > GOT10K_THRESHOLDS[None, :], axis=0)

    @property
    def num_frames(self) -> int:
        """Number of scored frames over all sequences."""
        return int(len(self.ious))

    @property
    def nan_frames(self) -> int:
        """Scored frames whose result was NaN (scored as IoU 0)."""
        return int(sum(s.nan_frames for s in self.per_sequence.values()))

    def nan_note(self) -> str:
        """``"N frames with NaN results scored as IoU 0"``, or "" when there are none."""
        n = self.nan_frames
        return f"{n} frame{'s' if n != 1 else ''} with NaN results scored as IoU 0" if n else ""

    def summary(self) -> dict:
        """JSON-ready dict: ``ao``, ``sr_0.5``, ``sr_0.75``, ``success_curve_101``,
        ``num_frames``, ``nan_frames``, ``speed_fps`` (when times were given) and
        ``per_sequence`` (``ao``, ``sr_0.5``, ``sr_0.75``, ``num_frames``, ``nan_frames``)."""
        out = {"ao": self.ao, "sr_0.5": self.sr_05, "sr_0.75": self.sr_075,
               "success_curve_101": self.success_curve_101.tolist(),
               "num_frames": self.num_frames, "nan_frames": self.nan_frames}
        if self.speed_fps is not None:
            out["speed_fps"] = self.speed_fps
        out["per_sequence"] = {n: s.summary() for n, s in self.per_sequence.items()}
        return out


def _runs(result) -> list:
    """A result is one N x 4 array or a list of them (repetitions)."""
    if isinstance(result, np.ndarray) and result.ndim == 2:
        return [result]
    runs = list(result)
    if not runs:
        raise ValueError("empty result")
    if np.ndim(runs[0]) == 1:  # a single run given as a list of boxes
        return [np.asarray(runs, dtype=np.float64)]
    return [np.asarray(r, dtype=np.float64) for r in runs]


def score_got10k_sequence(gt, result, cover=None,
                          size: Optional[Tuple[float, float]] = None) -> GOT10kSequenceScore:
    """Scored IoUs of one sequence. ``gt``: N x 4; ``result``: N x 4 (or a list of
    repetitions, pooled); ``cover``: per-frame cover values (frames with cover > 0 are
    scored; None scores all); ``size = (W, H)`` clips the boxes. Frame 0 is never scored, and
    ground-truth rows with NaN (not in GOT-10k's own files) are treated as absent."""
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
    scored = np.isfinite(gt).all(axis=1)
    scored[0] = False
    if cover is not None:
        cover = np.asarray(cover, dtype=np.float64).reshape(-1)
        if len(cover) != len(gt):
            raise ValueError(f"{len(cover)} cover values for {len(gt)} frames")
        scored &= cover > 0
    ious, nan_frames = [], 0
    for run in _runs(result):
        if run.shape != gt.shape:
            raise ValueError(f"{len(run)} result boxes for {len(gt)} ground-truth frames")
        iou = got10k_iou(run[scored], gt[scored], size)
        bad = np.isnan(iou)
        nan_frames += int(bad.sum())
        iou[bad] = 0.0
        ious.append(iou)
    return GOT10kSequenceScore(np.concatenate(ious), nan_frames)


def _speed(times: Mapping[str, Seq[float]]) -> float:
    """Mean of 1/t over positive, non-NaN times; -1 when there is none (as the toolkit)."""
    pooled = np.concatenate([np.asarray(t, dtype=np.float64).reshape(-1) for t in times.values()]
                            or [np.zeros(0)])
    pooled = pooled[~np.isnan(pooled)]
    pooled = pooled[pooled > 0]
    return float(np.mean(1.0 / pooled)) if len(pooled) else -1.0


def evaluate_got10k(gt: Mapping[str, np.ndarray], results: Mapping[str, object],
                    covers: Optional[Mapping[str, Optional[np.ndarray]]] = None,
                    sizes: Optional[Mapping[str, Tuple[float, float]]] = None,
                    times: Optional[Mapping[str, Seq[float]]] = None) -> GOT10kResult:
    """Score one tracker the GOT-10k way. ``gt`` / ``results`` map sequence names to N x 4
    arrays (a result may be a list of repetitions); ``covers[name]`` (per-frame cover values;
    missing = every frame), ``sizes[name] = (W, H)`` (missing = no clipping) and
    ``times[name]`` (seconds per frame, for ``speed_fps``) are optional. Use
    :meth:`GOT10kResult.summary` for the JSON keys and :meth:`GOT10kResult.nan_note` for
    the NaN count message."""
    missing = [name for name in gt if name not in results]
    if missing:
        raise KeyError(f"no result for {len(missing)} sequence(s), e.g. {missing[0]}")
    covers, sizes = covers or {}, sizes or {}
    scores = {}
    for name in gt:
        try:
            scores[name] = score_got10k_sequence(gt[name], results[name], covers.get(name),
                                                 sizes.get(name))
        except ValueError as exc:
            raise ValueError(f"sequence {name}: {exc}")
    if not any(len(s.ious) for s in scores.values()):
        raise ValueError("no frame with a visible target after the first one: nothing to score")
    return GOT10kResult(scores, _speed(times) if times is not None else None)
