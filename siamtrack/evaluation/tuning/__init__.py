"""Hyper-parameter search of the tracker with Optuna (``siamtrack-tune``; docs/evaluation.md,
"Tuning the tracker"): :mod:`.search` (the study and its trials), :mod:`.output` (the best
config, the line and the plot of the trials)."""
from .output import best_line, plot_trials, write_best_config
from .search import METRICS, SEARCH_SPACE, TuningError, check_metric, open_study, tune

__all__ = ["best_line", "plot_trials", "write_best_config", "METRICS", "SEARCH_SPACE", "TuningError",
           "check_metric", "open_study", "tune"]
