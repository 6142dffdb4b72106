"""Score tracker results against a benchmark by its protocol (OPE, GOT-10k AO / SR, VOT, long-term
F1) and format the table."""
import os
from typing import Dict, List, Mapping

from ..benchmarks.base import Benchmark
from .got10k import GOT10kResult, evaluate_got10k
from .longterm import LongTermResult, evaluate_longterm
from .ope import OPEResult, evaluate_ope
from ..results.files import ResultsError
from ..results.folders import is_tracker_dir, load_result_times, load_tracker_results
from .vot import EAO_INTERVALS, VOTResult, evaluate_vot

__all__ = ["metrics_of", "metric_of", "score_results", "find_tracker_dirs", "score_result_dirs", "format_table", "score_notes"]


def metrics_of(score) -> dict:
    """Scalar metrics of an :class:`OPEResult` (``success_auc``, ``precision_20px``,
    ``norm_precision_0.2``), a :class:`GOT10kResult` (``ao``, ``sr_0.5``, ``sr_0.75``), a
    :class:`LongTermResult` (``precision``, ``recall``, ``f1``) or a ``VOTResult``
    (``accuracy``, ``robustness``, ``lost_number``, ``eao``)."""
    if isinstance(score, OPEResult):
        return {"success_auc": score.success_auc, "precision_20px": score.precision_20px,
                "norm_precision_0.2": score.norm_precision_02}
    if isinstance(score, GOT10kResult):
        return {"ao": score.ao, "sr_0.5": score.sr_05, "sr_0.75": score.sr_075}
    if isinstance(score, LongTermResult):
        return {"precision": score.precision, "recall": score.recall, "f1": score.f1}
    return {"accuracy": score.accuracy, "robustness": score.robustness,
            "lost_number": score.lost_number, "eao": score.eao}


METRIC_ALIASES = {"auc": "success_auc", "success": "success_auc", "sr": "sr_0.5"}


def metric_of(score, name: str) -> float:
    """One metric of a score by its :func:`metrics_of` name (or ``auc`` / ``success`` for
    ``success_auc``, ``sr`` for ``sr_0.5``); a name the score does not have raises
    :class:`ResultsError` listing the ones it has."""
    metrics = metrics_of(score)
    key = METRIC_ALIASES.get(name.lower(), name.lower())
    if key not in metrics:
        raise ResultsError(f"unknown metric {name!r} for these results; they have: {', '.join(metrics)}")
    return metrics[key]


def _evaluate(benchmark: Benchmark, results, times):
    gt = {s.name: s.gt for s in benchmark}
    if benchmark.protocol == "vot":  # tag "all", as pysot; layout folders use VOT2018's interval
        interval = EAO_INTERVALS.get(benchmark.name, EAO_INTERVALS["VOT2018"])
        return evaluate_vot(gt, results, {s.name: s.image_size() for s in benchmark}, interval)
    if benchmark.protocol == "got10k":
        sizes = {s.name: s.image_size() for s in benchmark if s.width or s.frames}
        covers = {s.name: s.tags.get("cover") for s in benchmark}
        return evaluate_got10k(gt, results, covers, sizes, times)
    if benchmark.protocol == "longterm":
        return evaluate_longterm(gt, results, {s.name: s.image_size() for s in benchmark})
    return evaluate_ope(gt, results, {s.name: s.visible for s in benchmark},
                        {s.name: s.attributes for s in benchmark})


def score_results(benchmark: Benchmark, results: Mapping[str, object], times=None):
    """The scores of one tracker's in-memory results (as :func:`run_benchmark` or
    :func:`load_tracker_results` return them) by the benchmark's protocol: an
    :class:`OPEResult`, :class:`GOT10kResult` (``times``: per-frame seconds per sequence, for
    its speed), :class:`VOTResult` or :class:`LongTermResult`. A missing or malformed result
    raises :class:`ResultsError`."""
    if not benchmark.has_full_gt:
        raise ResultsError(f"{benchmark.name} has no public ground truth beyond the first frame: "
                           "submit the results to its evaluation server")
    try:
        return _evaluate(benchmark, results, times)
    except (KeyError, ValueError) as exc:  # a missing or truncated result
        raise ResultsError(f"{benchmark.name}: {exc.args[0] if exc.args else exc}") from None


def _path_parts(path: str) -> List[str]:
    return [p for p in os.path.normpath(os.path.abspath(path)).split(os.sep) if p]


def _distinct_names(dirs: List[str]) -> Dict[str, str]:
    """``{name: folder}``: each folder named by its base name, or where base names collide by
    as many trailing path components as make the names distinct (``a/trk``, ``b/trk``). The
    same folder given twice is kept once."""
    unique = []
    for d in dirs:
        if not any(os.path.realpath(d) == os.path.realpath(u) for u in unique):
            unique.append(d)
    parts = {d: _path_parts(d) for d in unique}
    depth = {d: 1 for d in unique}
    while True:
        names = {d: "/".join(parts[d][-depth[d]:]) for d in unique}
        clashes = {n for n in names.values() if list(names.values()).count(n) > 1}
        if not clashes:
            return {names[d]: d for d in unique}
        grown = False
        for d in unique:
            if names[d] in clashes and depth[d] < len(parts[d]):
                depth[d] += 1
                grown = True
        if not grown:  # cannot happen for distinct real paths; refuse rather than merge
            raise ResultsError(f"results folders {' and '.join(sorted(clashes))} cannot be told apart")


def find_tracker_dirs(paths: List[str], benchmark: Benchmark) -> Dict[str, str]:
    """``{tracker name: folder}``: each path is a tracker's results folder, or a folder of
    such folders (e.g. ``output/results/OTB100``). A tracker is named by its folder's name;
    folders of the same name are named by their distinct parent path (``a/trk``, ``b/trk``)."""
    found = []
    for path in paths:
        if not os.path.isdir(path):
            raise ResultsError(f"results folder {path} does not exist")
        if is_tracker_dir(path, benchmark):
            found.append(path)
            continue
        subdirs = sorted(os.path.join(path, n) for n in os.listdir(path)
                         if os.path.isdir(os.path.join(path, n)))
        hits = [d for d in subdirs if is_tracker_dir(d, benchmark)]
        if not hits:
            raise ResultsError(f"{path} holds no results for any {benchmark.name} sequence "
                               f"(expected the {benchmark.results_layout} layout of docs/evaluation.md)")
        found.extend(hits)
    return _distinct_names(found)


def score_result_dirs(benchmark: Benchmark, paths: List[str]) -> Dict[str, object]:
    """Score every tracker folder found in ``paths`` (see :func:`find_tracker_dirs`)."""
    return {name: score_results(benchmark, load_tracker_results(d, benchmark), load_result_times(d, benchmark))
            for name, d in find_tracker_dirs(paths, benchmark).items()}


def score_notes(scores: Mapping[str, object]) -> List[str]:
    """Lines to print under the table (GOT-10k: frames with NaN results scored as IoU 0)."""
    return [f"{name}: {score.nan_note()}" for name, score in scores.items()
            if isinstance(score, GOT10kResult) and score.nan_note()]


def _columns(first) -> tuple:
    """``(header, row function, sort key)`` of the table for a score type."""
    if isinstance(first, VOTResult):
        return (("Tracker", "Accuracy", "Robustness", "Lost Number", "EAO"),
                lambda r: (f"{r.accuracy:.3f}", f"{r.robustness:.3f}", f"{r.lost_number:.1f}", f"{r.eao:.3f}"),
                lambda r: r.eao)
    if isinstance(first, GOT10kResult):
        return (("Tracker", "AO", "SR0.5", "SR0.75"),
                lambda r: (f"{r.ao:.3f}", f"{r.sr_05:.3f}", f"{r.sr_075:.3f}"), lambda r: r.ao)
    if isinstance(first, LongTermResult):
        return (("Tracker", "Precision", "Recall", "F1"),
                lambda r: (f"{r.precision:.3f}", f"{r.recall:.3f}", f"{r.f1:.3f}"), lambda r: r.f1)
    return (("Tracker", "Success", "Precision", "Norm Precision"),
            lambda r: (f"{r.success_auc:.3f}", f"{r.precision_20px:.3f}", f"{r.norm_precision_02:.3f}"),
            lambda r: r.success_auc)


def format_table(scores: Mapping[str, object]) -> str:
    """Text table, one row per tracker, best first: pysot's columns (OPE: Success, Precision,
    Norm Precision; VOT: Accuracy, Robustness, Lost Number, EAO), GOT-10k's (AO, SR0.5,
    SR0.75) or long-term (Precision, Recall, F1 at the maximum F1)."""
    if not scores:
        return "(no trackers)"
    header, row_of, key = _columns(next(iter(scores.values())))
    rows = [(n,) + row_of(r) for n, r in sorted(scores.items(), key=lambda kv: -key(kv[1]))]
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = "-" * (sum(widths) + 3 * len(widths) + 1)

    def fmt(row):
        """Format one table row with the column widths."""
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |"

    return "\n".join([line, fmt(header), line] + [fmt(r) for r in rows] + [line])
