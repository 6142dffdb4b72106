"""Score tracker results against a benchmark and format the table pysot prints."""
import os
from typing import Dict, List, Mapping

from .benchmarks.base import Benchmark
from .ope import evaluate_ope
from .results import ResultsError, is_tracker_dir, load_tracker_results
from .vot import EAO_INTERVALS, VOTResult, evaluate_vot

__all__ = ["score_results", "find_tracker_dirs", "score_result_dirs", "format_table"]


def score_results(benchmark: Benchmark, results: Mapping[str, object]):
    """:class:`OPEResult` (OPE benchmarks) or :class:`VOTResult` (VOT) of one tracker's
    in-memory results (as :func:`run_benchmark` or :func:`load_tracker_results` return)."""
    if not benchmark.has_full_gt:
        raise ResultsError(f"{benchmark.name} has no public ground truth beyond the first frame: "
                           "submit the results to its evaluation server")
    gt = {s.name: s.gt for s in benchmark}
    sizes = {s.name: s.image_size() for s in benchmark} if benchmark.protocol == "vot" else None
    try:
        if benchmark.protocol == "vot":
            return evaluate_vot(gt, results, sizes, EAO_INTERVALS[benchmark.name])  # tag "all", as pysot
        return evaluate_ope(gt, results, {s.name: s.visible for s in benchmark},
                            {s.name: s.attributes for s in benchmark})
    except (KeyError, ValueError) as exc:  # a missing or truncated result
        raise ResultsError(f"{benchmark.name}: {exc.args[0]}")


def find_tracker_dirs(paths: List[str], benchmark: Benchmark) -> Dict[str, str]:
    """``{tracker name: folder}``: each path is a tracker's results folder, or a folder of
    such folders (e.g. ``output/results/OTB100``)."""
    found = {}
    for path in paths:
        if not os.path.isdir(path):
            raise ResultsError(f"results folder {path} does not exist")
        if is_tracker_dir(path, benchmark):
            found[os.path.basename(os.path.normpath(path))] = path
            continue
        subdirs = sorted(os.path.join(path, n) for n in os.listdir(path)
                         if os.path.isdir(os.path.join(path, n)))
        hits = [d for d in subdirs if is_tracker_dir(d, benchmark)]
        if not hits:
            raise ResultsError(f"{path} holds no results for any {benchmark.name} sequence")
        for d in hits:
            found[os.path.basename(d)] = d
    return found


def score_result_dirs(benchmark: Benchmark, paths: List[str]) -> Dict[str, object]:
    """Score every tracker folder found in ``paths`` (see :func:`find_tracker_dirs`)."""
    return {name: score_results(benchmark, load_tracker_results(d, benchmark))
            for name, d in find_tracker_dirs(paths, benchmark).items()}


def format_table(scores: Mapping[str, object]) -> str:
    """Text table, one row per tracker, best first (pysot's columns)."""
    if not scores:
        return "(no trackers)"
    first = next(iter(scores.values()))
    if isinstance(first, VOTResult):
        header = ("Tracker", "Accuracy", "Robustness", "Lost Number", "EAO")
        rows = [(n, f"{r.accuracy:.3f}", f"{r.robustness:.3f}", f"{r.lost_number:.1f}", f"{r.eao:.3f}")
                for n, r in sorted(scores.items(), key=lambda kv: -kv[1].eao)]
    else:
        header = ("Tracker", "Success", "Precision", "Norm Precision")
        rows = [(n, f"{r.success_auc:.3f}", f"{r.precision_20px:.3f}", f"{r.norm_precision_02:.3f}")
                for n, r in sorted(scores.items(), key=lambda kv: -kv[1].success_auc)]
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = "-" * (sum(widths) + 3 * len(widths) + 1)

    def fmt(row):
        """Format one table row with the column widths."""
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |"

    return "\n".join([line, fmt(header), line] + [fmt(r) for r in rows] + [line])
