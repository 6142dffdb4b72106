"""How well a tracker's ``"lost"`` tells that the target is gone (docs/tracking.md, "Target lost").

The tracker of a config runs over the synthetic absence clips
(:mod:`siamtrack.data.datasets.synthetic_absence`: the target leaves the frame and is fully
hidden by a wall, with the visible fraction of every frame known). A frame is **absent** when
less than :data:`ABSENT_BELOW` of the target is visible and **present** from
:data:`PRESENT_FROM`; frames in between (the target half out or half hidden) and the init frame
are not scored. ``lost`` is a detector of absence: precision = share of the frames reported
lost that are absent, recall = share of the absent frames reported lost, F1 their harmonic mean.
A second truth counts as positive the absent frames and the present ones whose tracked box is
off the target (IoU < :data:`OFF_TARGET_IOU` with its part inside the frame): a short-term
tracker that did not re-acquire a returning target is rightly "lost" there.

The short-term rule only reports (it changes no box), so one run gives every frame's score and
:class:`~siamtrack.tracking.target.LostRule` is replayed over a grid of ``TRACK.LOST_SCORE`` x
``TRACK.LOST_FRAMES``; the long-term tracker, whose lost state changes its search, is run as
configured. Reproduce the table of docs/tracking.md::

    python tools/lost_signal.py --config-file C MODEL.WEIGHTS W
"""
import argparse
import json
import sys
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np
import torch
from tqdm import tqdm

from siamtrack.data.datasets.synthetic_absence import ABSENCE_SEED, absence_clip
from siamtrack.evaluation.metrics.ope import overlap_ratio
from siamtrack.tracking import build_tracker
from siamtrack.tracking.target import LostRule
from siamtrack.tracking.video_job import load_tracking_config
from siamtrack.utils.errors import InputError, first_line
from siamtrack.utils.fileio import atomic_write

__all__ = ["ABSENT_BELOW", "PRESENT_FROM", "OFF_TARGET_IOU", "SCORE_GRID", "FRAMES_GRID", "PresenceScore",
           "score_flags", "presence_score", "gone_score", "track_clips", "sweep", "LostSignalReport",
           "measure_lost_signal", "format_table", "main"]

ABSENT_BELOW, PRESENT_FROM = 0.1, 0.5
OFF_TARGET_IOU = 0.1  # a present target whose tracked box overlaps it less is "off target"
SCORE_GRID = (0.2, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98)
FRAMES_GRID = (1, 2, 3, 5, 8)


@dataclass
class PresenceScore:
    """Detection of the positive frames by ``lost`` over the scored frames."""

    precision: float
    recall: float
    f1: float
    true_positives: int  # lost and positive
    false_positives: int  # lost and not positive
    false_negatives: int  # not lost and positive
    frames: int  # scored frames


def score_flags(lost, positive, scored) -> PresenceScore:
    """Precision / recall / F1 of per-clip ``lost`` flags for the ``positive`` frames among the
    ``scored`` ones (per-clip boolean sequences; frame 0 of each clip is skipped)."""
    tp = fp = fn = frames = 0
    for flags, pos, keep in zip(lost, positive, scored):
        flags, pos, keep = (np.asarray(a[1:], bool) for a in (flags, pos, keep))
        tp += int(np.sum(flags & pos & keep))
        fp += int(np.sum(flags & ~pos & keep))
        fn += int(np.sum(~flags & pos & keep))
        frames += int(np.sum(keep))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PresenceScore(precision, recall, f1, tp, fp, fn, frames)


def _absent_present(visible):
    fraction = np.asarray(visible, np.float64)
    return fraction < ABSENT_BELOW, fraction >= PRESENT_FROM


def presence_score(lost: Sequence[Sequence[bool]], visible: Sequence[Sequence[float]]) -> PresenceScore:
    """``lost`` as a detector of absence: positive = absent frames, scored = absent or present
    (per-clip flags and visible fractions; frame 0 skipped)."""
    masks = [_absent_present(v) for v in visible]
    return score_flags(lost, [a for a, _ in masks], [a | p for a, p in masks])


def gone_score(lost, visible, ious) -> PresenceScore:
    """``lost`` as a detector of "the box is not on the target": positive = absent frames and
    present frames whose box overlaps the target by IoU < :data:`OFF_TARGET_IOU`."""
    masks = [_absent_present(v) for v in visible]
    off = [p & (np.asarray(iou) < OFF_TARGET_IOU) for (_, p), iou in zip(masks, ious)]
    return score_flags(lost, [a | o for (a, _), o in zip(masks, off)], [a | p for a, p in masks])


def _ious(bboxes, gt, size):
    """IoU of tracked boxes with the ground-truth boxes cut to the frame (``size`` = W, H)."""
    gt = np.asarray(gt, np.float64).copy()
    x1, y1 = np.clip(gt[:, 0], 0, size[0]), np.clip(gt[:, 1], 0, size[1])
    x2, y2 = np.clip(gt[:, 0] + gt[:, 2], 0, size[0]), np.clip(gt[:, 1] + gt[:, 3], 0, size[1])
    return overlap_ratio(np.stack([x1, y1, x2 - x1, y2 - y1], 1), np.asarray(bboxes, np.float64))


def track_clips(tracker, clips, progress=False, desc="clips"):
    """Track each ``(frames, boxes, visible)`` clip from its first box; returns per clip the
    ``score``, ``lost`` and ``iou`` (with the in-frame ground truth) of every frame (frame 0:
    score 1, not lost)."""
    runs = []
    for frames, boxes, _ in tqdm(clips, desc=desc, unit="clip", disable=not progress, dynamic_ncols=True):
        tracker.init(frames[0], tuple(float(v) for v in boxes[0]))
        results = [tracker.track(frame) for frame in frames[1:]]
        size = (frames[0].shape[1], frames[0].shape[0])
        bboxes = [list(boxes[0])] + [r["bbox"] for r in results]
        runs.append({"score": [1.0] + [r["score"] for r in results],
                     "lost": [False] + [r["lost"] for r in results],
                     "iou": [float(v) for v in _ious(bboxes, boxes, size)]})
    return runs


def sweep(runs, visible, scores=SCORE_GRID, frames=FRAMES_GRID):
    """``[(lost_score, lost_frames, presence PresenceScore, gone PresenceScore)]`` of
    :class:`LostRule` replayed over the scores of ``runs`` (from :func:`track_clips`) for each
    grid point (the boxes do not depend on the rule)."""
    rows = []
    for score in scores:
        for n in frames:
            rule = LostRule(score, n)
            flags = [[False] + rule.replay(run["score"][1:]) for run in runs]
            rows.append((score, n, presence_score(flags, visible),
                         gone_score(flags, visible, [run["iou"] for run in runs])))
    return rows


@dataclass
class LostSignalReport:
    """What :func:`measure_lost_signal` measured."""

    clips: int
    frames: int
    absent_frames: int
    sweep: List[tuple]  # (lost_score, lost_frames, presence, gone): the short-term tracker
    lost_score: float
    lost_frames: int
    configured: tuple  # (presence, gone) of the short-term tracker's own "lost" at the config's values
    longterm: Optional[tuple]  # (presence, gone) of SiamRPNLTTracker (CONFIDENCE_LOW / HIGH); SiamRPN models
    runs: list  # per clip: "visible", "score", "lost", "iou", "longterm_lost", "longterm_iou"


def _with_type(cfg, kind):
    node = cfg.clone()
    node.defrost()
    node.TRACK.TYPE = kind
    return node


def _scores(runs, visible, prefix=""):
    lost = [r[prefix + "lost"] for r in runs]
    return presence_score(lost, visible), gone_score(lost, visible, [r[prefix + "iou"] for r in runs])


def measure_lost_signal(cfg, num_clips=16, seed=ABSENCE_SEED, num_frames=150, progress=False) -> LostSignalReport:
    """Run the short-term tracker of ``cfg`` (``TRACK.TYPE``; the long-term type stands for
    ``SiamRPNTracker``) over ``num_clips`` absence clips and score its ``"lost"``; for a SiamRPN
    model the long-term tracker too (see the module doc)."""
    clips = [absence_clip(i, seed, num_frames) for i in range(num_clips)]
    visible = [clip[2] for clip in clips]
    kind = "SiamRPNTracker" if cfg.TRACK.TYPE == "SiamRPNLTTracker" else cfg.TRACK.TYPE
    short = build_tracker(_with_type(cfg, kind))
    runs = track_clips(short, clips, progress, kind)
    for run, fraction in zip(runs, visible):
        run["visible"] = [float(v) for v in fraction]
    longterm = None
    if kind == "SiamRPNTracker":
        long_runs = track_clips(build_tracker(_with_type(cfg, "SiamRPNLTTracker"), short.model), clips, progress,
                                "SiamRPNLTTracker")
        for run, other in zip(runs, long_runs):
            run.update(longterm_lost=other["lost"], longterm_iou=other["iou"])
        longterm = _scores(runs, visible, "longterm_")
    return LostSignalReport(
        clips=len(clips), frames=sum(len(v) - 1 for v in visible),
        absent_frames=sum(int(np.sum(_absent_present(v[1:])[0])) for v in visible), sweep=sweep(runs, visible),
        lost_score=float(cfg.TRACK.LOST_SCORE), lost_frames=int(cfg.TRACK.LOST_FRAMES),
        configured=_scores(runs, visible), longterm=longterm, runs=runs)


def _prf(score):
    return f"{score.precision:.3f} / {score.recall:.3f} / {score.f1:.3f}"


def format_table(report: LostSignalReport) -> str:
    """Markdown: the sweep's presence precision / recall / F1 (one row per LOST_SCORE, one
    column per LOST_FRAMES), the same for "absent or off target", and the configured and
    long-term trackers' lines."""
    frames = sorted({row[1] for row in report.sweep})
    lines = []
    for title, index in (("target absent", 2), ("target absent or box off the target", 3)):
        lines += [f"P / R / F1 of `lost` for: {title}", "",
                  "| LOST_SCORE | " + " | ".join(f"LOST_FRAMES {n}" for n in frames) + " |",
                  "|---|" + "---|" * len(frames)]
        for score in sorted({row[0] for row in report.sweep}):
            cells = {row[1]: row[index] for row in report.sweep if row[0] == score}
            lines.append(f"| {score:g} | " + " | ".join(_prf(cells[n]) for n in frames) + " |")
        best = max(report.sweep, key=lambda row: row[index].f1)
        lines += ["", f"best F1: LOST_SCORE {best[0]:g}, LOST_FRAMES {best[1]}: {_prf(best[index])}", ""]
    lines.append(f"{report.clips} clips, {report.frames} tracked frames, {report.absent_frames} absent.")
    rows = [(f"configured short-term (LOST_SCORE {report.lost_score:g}, LOST_FRAMES {report.lost_frames})",
             report.configured)]
    if report.longterm is not None:
        rows.append(("long-term tracker (its own state)", report.longterm))
    for name, (presence, gone) in rows:
        lines.append(f"{name}: absent {_prf(presence)}; absent or off target {_prf(gone)}")
    return "\n".join(lines)


def main(argv=None):
    """``python tools/lost_signal.py --config-file C [--clips N] [KEY VALUE ...]``."""
    parser = argparse.ArgumentParser(prog="lost_signal",
                                     description="Measure the target-lost signal on synthetic absence clips")
    parser.add_argument("--config-file", required=True, help="tracker config (SiamRPN or SiamFC model)")
    parser.add_argument("--clips", type=int, default=16, help="number of absence clips (default 16)")
    parser.add_argument("--save-runs", metavar="FILE", help="write every clip's scores, flags and visibility (JSON)")
    parser.add_argument("--threads", type=int, default=1,
                        help="PyTorch CPU threads (default 1: fastest on a busy machine)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides, e.g. MODEL.WEIGHTS W")
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    try:
        cfg = load_tracking_config(args.config_file, args.opts)
        report = measure_lost_signal(cfg, args.clips, progress=True)
        if args.save_runs:
            atomic_write(args.save_runs, [json.dumps(report.runs)])
        print(format_table(report))
    except InputError as exc:
        print(f"{parser.prog}: error: {first_line(exc)}", file=sys.stderr)
        return 2
    return 0
