"""Success and precision plots (PNG) comparing trackers, drawn with matplotlib's Agg canvas
(no pyplot, no global backend change)."""
import os
from typing import Dict, List, Mapping

import numpy as np

from .got10k import GOT10K_THRESHOLDS, GOT10kResult
from .ope import NORM_PRECISION_THRESHOLDS, PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS, OPEResult

__all__ = ["plot_curves", "plot_benchmark"]


def plot_curves(path: str, x: np.ndarray, curves: Mapping[str, np.ndarray],
                labels: Mapping[str, str], title: str, xlabel: str, ylabel: str) -> str:
    """Draw one line per tracker (legend from ``labels``, in ``curves`` order) to ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for name, curve in curves.items():
        ax.plot(x, curve, linewidth=2, label=labels[name])
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=(x[0], x[-1]), ylim=(0, 1.02))
    ax.grid(True, linestyle=":")
    ax.legend(loc="lower left" if "Success" in title else "lower right", fontsize=8)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path)
    return path


def _plot_got10k(scores: Mapping[str, GOT10kResult], plot_dir: str, benchmark_name: str, title: str) -> List[str]:
    """GOT-10k's success plot (101 thresholds), legends with AO, best first."""
    order = sorted(scores, key=lambda n: -scores[n].ao)
    path = os.path.join(plot_dir, f"{benchmark_name}_success.png")
    return [plot_curves(path, GOT10K_THRESHOLDS, {n: scores[n].success_curve_101 for n in order},
                        {n: f"[{scores[n].ao:.3f}] {n}" for n in order},
                        f"Success plots on GOT-10k - {title}", "Overlap threshold", "Success rate")]


def plot_benchmark(scores: Mapping[str, OPEResult], plot_dir: str, benchmark_name: str,
                   title: str = "") -> List[str]:
    """Success, precision and normalised-precision plots of several trackers on one benchmark
    (files ``<benchmark_name>_<kind>.png``, titles ending in ``title``, default the name);
    legends carry AUC / precision@20px / norm. precision@0.2, best first (GOT-10k scores: the
    success plot, legends with AO; other scores: none). Returns the paths."""
    title = title or benchmark_name
    got = {n: r for n, r in scores.items() if isinstance(r, GOT10kResult)}
    if got:
        return _plot_got10k(got, plot_dir, benchmark_name, title)
    scores = {n: r for n, r in scores.items() if isinstance(r, OPEResult)}
    if not scores:
        return []
    paths = []
    specs = [("success", SUCCESS_THRESHOLDS, "success_curve", "success_auc", "Overlap threshold",
              "Success rate", "Success plots of OPE"),
             ("precision", PRECISION_THRESHOLDS, "precision_curve", "precision_20px",
              "Location error threshold (px)", "Precision", "Precision plots of OPE"),
             ("norm_precision", NORM_PRECISION_THRESHOLDS, "norm_precision_curve",
              "norm_precision_02", "Normalized location error threshold", "Precision",
              "Normalized precision plots of OPE")]
    for kind, x, curve_attr, value_attr, xlabel, ylabel, heading in specs:
        order = sorted(scores, key=lambda n: -getattr(scores[n], value_attr))
        curves: Dict[str, np.ndarray] = {n: getattr(scores[n], curve_attr) for n in order}
        labels = {n: f"[{getattr(scores[n], value_attr):.3f}] {n}" for n in order}
        path = os.path.join(plot_dir, f"{benchmark_name}_{kind}.png")
        paths.append(plot_curves(path, x, curves, labels, f"{heading} - {title}", xlabel, ylabel))
    return paths
