"""Tracking evaluation on the standard benchmarks, with the numbers of pysot's toolkit
(docs/evaluation.md). One job per sub-package:

* :mod:`.benchmarks` — loaders (``load_benchmark("otb", root)``) for OTB100, UAV123/UAV20L,
  LaSOT, GOT-10k val/test, NFS30/240, TrackingNet, VOT2016/2018/2019 and VOT2018/2019-LT, in
  their own layouts or from pysot's JSON, also registered in detectron2's ``DatasetCatalog``
  (``otb100``, ...); any folder as ``"<layout>:<path>"`` (``"videos:/data/mine"``).
* :mod:`.metrics` — OPE success / precision, VOT A/R/EAO (the toolkit's region overlap),
  GOT-10k AO / SR, long-term precision / recall / F1; scoring a benchmark, the table, the plots.
* :mod:`.results` — result files in pysot's layouts and the fingerprint of a results folder.
* :mod:`.runs` — running a tracker over a benchmark (resumable), the work of ``siamtrack-eval``
  and the ``DatasetEvaluator`` used during training.
* :mod:`.tuning` — the Optuna search of ``siamtrack-tune`` (not imported here).
* :mod:`.speed` — the speed benchmark of ``siamtrack-benchmark`` (not imported here).

The names below are those of this package; the sub-packages name the rest.
"""
from .benchmarks import (Benchmark, BenchmarkError, Sequence, canonical_name, load_benchmark,
                         register_benchmarks)
from .metrics import (GOT10kResult, LongTermResult, OPEResult, VOTResult, evaluate_got10k,
                      evaluate_longterm, evaluate_ope, evaluate_vot, format_table, metric_of,
                      metrics_of, plot_benchmark, region_overlap, score_notes, score_result_dirs,
                      score_results, score_sequence)
from .results import (ResultsError, load_longterm_results, load_tracker_results,
                      read_longterm_results, write_longterm_results)
from .runs import (TrackingBenchmarkEvaluator, evaluate_tracker_on_benchmarks, run_benchmark,
                   run_longterm, run_restart, tracker_results_dir)

register_benchmarks()

__all__ = ["Benchmark", "BenchmarkError", "Sequence", "canonical_name", "load_benchmark",
           "register_benchmarks", "TrackingBenchmarkEvaluator", "evaluate_tracker_on_benchmarks",
           "metrics_of", "metric_of", "OPEResult", "evaluate_ope", "score_sequence",
           "plot_benchmark", "ResultsError", "load_tracker_results", "run_benchmark",
           "tracker_results_dir", "run_longterm", "format_table", "score_notes",
           "score_result_dirs", "score_results",
           "VOTResult", "evaluate_vot", "region_overlap", "run_restart", "GOT10kResult",
           "evaluate_got10k", "LongTermResult", "evaluate_longterm", "load_longterm_results",
           "read_longterm_results", "write_longterm_results"]
