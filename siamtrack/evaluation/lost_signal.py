"""How well a tracker's ``"lost"`` tells that the target is gone (docs/tracking.md, "Target lost").

The tracker of a config runs over the synthetic absence clips
(:mod:`siamtrack.data.datasets.synthetic_absence`: the target leaves the frame and is fully
hidden by a wall, with the visible fraction of every frame known). A frame is **absent** when
less than :data:`ABSENT_BELOW` of the target is visible and **present** from
:data:`PRESENT_FROM`; frames in between (the target half out or half hidden) and the init frame
are not scored. ``lost`` is a detector of absence: precision = share of the frames reported
lost that are absent, recall = share of the absent frames reported lost, F1 their harmonic mean.

The short-term rule only reports (it changes no box), so one run gives every frame's score and
:class:`~siamtrack.tracking.target.LostRule` is replayed over a grid of ``TRACK.LOST_SCORE`` x
``TRACK.LOST_FRAMES``; the long-term tracker, whose lost state changes its search, is run as
configured. Reproduce the table of docs/tracking.md::

    python -m siamtrack.evaluation.lost_signal --config-file C MODEL.WEIGHTS W
"""
import argparse
import sys
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np

from ..data.datasets.synthetic_absence import ABSENCE_SEED, absence_clip
from ..tracking import build_tracker
from ..tracking.target import LostRule
from ..tracking.video_job import load_tracking_config
from ..utils.errors import InputError, first_line

__all__ = ["ABSENT_BELOW", "PRESENT_FROM", "SCORE_GRID", "FRAMES_GRID", "PresenceScore", "presence_score",
           "track_clips", "sweep", "measure_lost_signal", "format_table", "main"]

ABSENT_BELOW, PRESENT_FROM = 0.1, 0.5
SCORE_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
FRAMES_GRID = (1, 2, 3, 5, 8)


@dataclass
class PresenceScore:
    """Absence detection by ``lost`` over the scored frames."""

    precision: float
    recall: float
    f1: float
    true_positives: int  # lost and absent
    false_positives: int  # lost while present
    false_negatives: int  # not lost while absent
    frames: int  # scored frames


def presence_score(lost: Sequence[Sequence[bool]], visible: Sequence[Sequence[float]]) -> PresenceScore:
    """Score per-clip lost flags against per-clip visible fractions (frame 0 of each is skipped)."""
    tp = fp = fn = frames = 0
    for flags, fraction in zip(lost, visible):
        flags, fraction = np.asarray(flags[1:], bool), np.asarray(fraction[1:], np.float64)
        absent, present = fraction < ABSENT_BELOW, fraction >= PRESENT_FROM
        tp += int(np.sum(flags & absent))
        fp += int(np.sum(flags & present))
        fn += int(np.sum(~flags & absent))
        frames += int(np.sum(absent | present))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PresenceScore(precision, recall, f1, tp, fp, fn, frames)


def track_clips(tracker, clips):
    """Track each ``(frames, boxes, visible)`` clip from its first box; returns per clip the
    scores and the reported lost flags, one per frame (frame 0: score 1, not lost)."""
    runs = []
    for frames, boxes, _ in clips:
        tracker.init(frames[0], tuple(float(v) for v in boxes[0]))
        results = [tracker.track(frame) for frame in frames[1:]]
        runs.append({"score": [1.0] + [r["score"] for r in results],
                     "lost": [False] + [r["lost"] for r in results]})
    return runs


def sweep(runs, visible, scores=SCORE_GRID, frames=FRAMES_GRID):
    """``[(lost_score, lost_frames, PresenceScore)]`` of :class:`LostRule` replayed over the
    scores of ``runs`` (from :func:`track_clips`) for each grid point."""
    rows = []
    for score in scores:
        for n in frames:
            rule = LostRule(score, n)
            flags = [[False] + rule.replay(run["score"][1:]) for run in runs]
            rows.append((score, n, presence_score(flags, visible)))
    return rows


@dataclass
class LostSignalReport:
    """What :func:`measure_lost_signal` measured."""

    clips: int
    frames: int
    absent_frames: int
    sweep: List[tuple]  # (lost_score, lost_frames, PresenceScore), short-term tracker
    configured: PresenceScore  # the short-term tracker's own "lost" at the config's values
    lost_score: float
    lost_frames: int
    longterm: PresenceScore  # SiamRPNLTTracker's "lost" at the config's CONFIDENCE_LOW / HIGH


def measure_lost_signal(cfg, num_clips=16, seed=ABSENCE_SEED, num_frames=150) -> LostSignalReport:
    """Run the short-term tracker of ``cfg`` and its long-term variant over ``num_clips``
    absence clips and score their ``"lost"`` (see the module doc)."""
    clips = [absence_clip(i, seed, num_frames) for i in range(num_clips)]
    visible = [clip[2] for clip in clips]
    short_cfg, long_cfg = cfg.clone(), cfg.clone()
    for node, kind in ((short_cfg, "SiamRPNTracker"), (long_cfg, "SiamRPNLTTracker")):
        node.defrost()
        node.TRACK.TYPE = kind
    short = build_tracker(short_cfg)
    runs = track_clips(short, clips)
    longterm = track_clips(build_tracker(long_cfg, short.model), clips)
    absent = sum(int(np.sum(np.asarray(v[1:]) < ABSENT_BELOW)) for v in visible)
    return LostSignalReport(
        clips=len(clips), frames=sum(len(v) - 1 for v in visible), absent_frames=absent,
        sweep=sweep(runs, visible), configured=presence_score([r["lost"] for r in runs], visible),
        lost_score=float(cfg.TRACK.LOST_SCORE), lost_frames=int(cfg.TRACK.LOST_FRAMES),
        longterm=presence_score([r["lost"] for r in longterm], visible))


def format_table(report: LostSignalReport) -> str:
    """The sweep as a Markdown table (precision / recall / F1 per LOST_SCORE row and
    LOST_FRAMES column), then the configured and long-term lines."""
    frames = sorted({n for _, n, _ in report.sweep})
    lines = ["| LOST_SCORE | " + " | ".join(f"LOST_FRAMES {n}: P / R / F1" for n in frames) + " |",
             "|---|" + "---|" * len(frames)]
    for score in sorted({s for s, _, _ in report.sweep}):
        cells = {n: p for s, n, p in report.sweep if s == score}
        lines.append(f"| {score:g} | " + " | ".join(
            f"{cells[n].precision:.3f} / {cells[n].recall:.3f} / {cells[n].f1:.3f}" for n in frames) + " |")
    best = max(report.sweep, key=lambda row: row[2].f1)
    c, lt = report.configured, report.longterm
    lines += ["",
              f"{report.clips} clips, {report.frames} tracked frames, {report.absent_frames} absent.",
              f"best F1: LOST_SCORE {best[0]:g}, LOST_FRAMES {best[1]}: F1 {best[2].f1:.3f}",
              f"configured (LOST_SCORE {report.lost_score:g}, LOST_FRAMES {report.lost_frames}): "
              f"P {c.precision:.3f} R {c.recall:.3f} F1 {c.f1:.3f}",
              f"long-term tracker (its own state): P {lt.precision:.3f} R {lt.recall:.3f} F1 {lt.f1:.3f}"]
    return "\n".join(lines)


def main(argv=None):
    """``python -m siamtrack.evaluation.lost_signal --config-file C [--clips N] [KEY VALUE ...]``."""
    parser = argparse.ArgumentParser(prog="python -m siamtrack.evaluation.lost_signal",
                                     description="Measure the target-lost signal on synthetic absence clips")
    parser.add_argument("--config-file", required=True, help="tracker config (a SiamRPN model)")
    parser.add_argument("--clips", type=int, default=16, help="number of absence clips (default 16)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides, e.g. MODEL.WEIGHTS W")
    args = parser.parse_args(argv)
    try:
        print(format_table(measure_lost_signal(load_tracking_config(args.config_file, args.opts), args.clips)))
    except InputError as exc:
        print(f"{parser.prog}: error: {first_line(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
