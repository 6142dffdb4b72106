"""Running a tracker over a benchmark (docs/evaluation.md): :mod:`.runner` (the OPE, VOT
restart and long-term protocols, resumable), :mod:`.benchmark_job` (what ``siamtrack-eval``
does), :mod:`.shard` (a benchmark shared among processes), :mod:`.evaluator` (detectron2's
``DatasetEvaluator`` during training)."""
from .benchmark_job import EvaluationReport, evaluate_on_benchmark, write_plots, write_scores_json
from .evaluator import TrackingBenchmarkEvaluator, evaluate_tracker_on_benchmarks
from .runner import run_benchmark, run_longterm, run_ope, run_restart, tracker_results_dir
from .shard import assign_sequences, default_threads

__all__ = ["EvaluationReport", "evaluate_on_benchmark", "write_plots", "write_scores_json",
           "TrackingBenchmarkEvaluator", "evaluate_tracker_on_benchmarks", "run_benchmark",
           "run_longterm", "run_ope", "run_restart", "tracker_results_dir", "assign_sequences",
           "default_threads"]
