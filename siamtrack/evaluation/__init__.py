"""Tracking evaluation on the standard benchmarks, with the numbers of pysot's toolkit.

* :mod:`.benchmarks` — loaders (``load_benchmark("otb", root)``) for OTB100, UAV123/UAV20L,
  LaSOT, GOT-10k val/test, NFS30/240, TrackingNet, VOT2016/2018/2019 and VOT2018/2019-LT, in
  their own layouts or from pysot's JSON, also registered in detectron2's ``DatasetCatalog``
  (``otb100``, ...); any folder as ``"<layout>:<path>"`` (``"videos:/data/mine"``).
* :mod:`.ope` — success AUC, precision@20px, normalised precision@0.2 (per sequence/attribute).
* :mod:`.vot` — VOT region overlap (pixel rasterisation), restart protocol, A/R, EAO.
* :mod:`.got10k_metrics` — GOT-10k AO, SR0.5, SR0.75 and 101-bin success curve (GOT-10k toolkit).
* :mod:`.longterm` / :mod:`.longterm_results` — long-term precision/recall/F1 over confidence
  thresholds (VOT-LT, as pysot) and the long-term result files.
* :mod:`.runner` / :mod:`.results` / :mod:`.tracker_results` — run a tracker over a benchmark,
  pysot result layouts; :mod:`.fingerprint` — what made a results folder (resume safety).
* :mod:`.plots` — success/precision plots; :mod:`.evaluator` — detectron2 integration.

Command line: ``tools/eval_tracker.py``; documentation: ``docs/evaluation.md``.
"""
from .benchmarks import (Benchmark, BenchmarkError, Sequence, canonical_name, load_benchmark,
                         register_benchmarks)
from .evaluator import TrackingBenchmarkEvaluator, evaluate_tracker_on_benchmarks, metric_of, metrics_of
from .got10k_metrics import GOT10kResult, evaluate_got10k
from .longterm import LongTermResult, evaluate_longterm
from .longterm_results import load_longterm_results, read_longterm_results, write_longterm_results
from ..structures.boxes import init_box_from_region
from .ope import OPEResult, evaluate_ope, score_sequence
from .plots import plot_benchmark
from .results import ResultsError
from .runner import run_benchmark, run_longterm, tracker_results_dir
from .scoring import format_table, score_notes, score_result_dirs, score_results
from .tracker_results import load_tracker_results
from .vot import VOTResult, evaluate_vot, region_overlap, run_restart

register_benchmarks()

__all__ = ["Benchmark", "BenchmarkError", "Sequence", "canonical_name", "load_benchmark",
           "register_benchmarks", "TrackingBenchmarkEvaluator", "evaluate_tracker_on_benchmarks",
           "metrics_of", "metric_of", "init_box_from_region", "OPEResult", "evaluate_ope", "score_sequence",
           "plot_benchmark", "ResultsError", "load_tracker_results", "run_benchmark",
           "tracker_results_dir", "run_longterm", "format_table", "score_notes",
           "score_result_dirs", "score_results",
           "VOTResult", "evaluate_vot", "region_overlap", "run_restart", "GOT10kResult",
           "evaluate_got10k", "LongTermResult", "evaluate_longterm", "load_longterm_results",
           "read_longterm_results", "write_longterm_results"]
