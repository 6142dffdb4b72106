"""Scores of tracker results, with the numbers of pysot's and the benchmarks' own toolkits
(docs/evaluation.md): :mod:`.ope` (success AUC, precision, normalised precision), :mod:`.vot`
(region overlap, accuracy, robustness, EAO), :mod:`.got10k` (AO, SR), :mod:`.longterm`
(precision / recall / F1 over confidences); :mod:`.scoring` scores a benchmark by its protocol
and formats the table, :mod:`.plots` draws the success / precision plots."""
from .got10k import GOT10kResult, evaluate_got10k
from .longterm import LongTermResult, evaluate_longterm
from .ope import OPEResult, evaluate_ope, overlap_ratio, score_sequence
from .plots import plot_benchmark
from .scoring import (find_tracker_dirs, format_table, metric_of, metrics_of, score_notes,
                      score_result_dirs, score_results)
from .vot import VOTResult, evaluate_vot, region_overlap

__all__ = ["GOT10kResult", "evaluate_got10k", "LongTermResult", "evaluate_longterm", "OPEResult",
           "evaluate_ope", "overlap_ratio", "score_sequence", "plot_benchmark", "find_tracker_dirs",
           "format_table", "metric_of", "metrics_of", "score_notes", "score_result_dirs",
           "score_results", "VOTResult", "evaluate_vot", "region_overlap"]
