"""Benchmark evaluation inside detectron2's training loop.

:class:`TrackingBenchmarkEvaluator` is a ``DatasetEvaluator`` that, on ``evaluate()``, wraps the
model being trained in the tracker of ``cfg.TRACK.TYPE`` (``build_tracker``), runs it over a benchmark and
returns ``{benchmark: {metric: value}}`` (which ``DefaultTrainer``'s ``EvalHook`` puts into the
``EventStorage``). The tracker reads the benchmark frames itself, so ``process()`` ignores its
arguments: use it with ``evaluator.reset(); evaluator.evaluate()``, or through
:func:`evaluate_tracker_on_benchmarks`.
"""
import logging
import os
from collections import OrderedDict

from detectron2.evaluation import DatasetEvaluator
from detectron2.utils import comm

from ...data.datasets.specs import parse_dataset_spec
from ..benchmarks import canonical_name, load_benchmark
from ..benchmarks.base import BenchmarkError
from ..benchmarks.catalog import benchmark_from_catalog
from .runner import run_benchmark
from .shard import assign_sequences
from ..metrics.scoring import metrics_of, score_results

__all__ = ["TrackingBenchmarkEvaluator", "evaluate_tracker_on_benchmarks"]

logger = logging.getLogger(__name__)


class TrackingBenchmarkEvaluator(DatasetEvaluator):
    """Evaluate a tracker on one benchmark (a ``DATASETS.TEST`` name such as ``otb100``).

    Args:
        dataset_name: benchmark name or alias (``otb100``, ``OTB100``, ``vot2018``,
            ``got10k_val``, ``vot2018_lt`` ...), a ``"<layout>:<path>"`` folder
            (``"videos:/data/mine"``) or a ``DatasetCatalog`` dataset of video dicts.
        cfg: the config (``TRACK.*``, anchors).
        model: the SiamRPN model; ignored when ``tracker`` is given.
        root: benchmark folder (default ``$DETECTRON2_DATASETS/<standard folder>``).
        output_dir: where result files are written (pysot layout); None writes nothing.
        max_sequences: evaluate only the first N sequences (0 = all).
        tracker: an object with ``init``/``track`` to use instead of wrapping ``model``.
    """

    def __init__(self, dataset_name, cfg, model=None, root=None, output_dir=None,
                 max_sequences=0, tracker=None, tracker_name="model"):
        self.dataset_name = dataset_name
        self.cfg = cfg
        self.model = model
        self.root = root or None
        self.output_dir = output_dir
        self.max_sequences = max_sequences
        self.tracker = tracker
        self.tracker_name = tracker_name

    def reset(self):
        """Nothing is accumulated: the benchmark is run in :meth:`evaluate`."""

    def process(self, inputs, outputs):
        """Unused: tracking evaluation reads the benchmark frames itself."""

    def _tracker(self):
        if self.tracker is not None:
            return self.tracker
        from siamtrack.tracking import build_tracker

        return build_tracker(self.cfg, self.model)

    def _benchmark(self):
        """A benchmark name, a ``"<layout>:<path>"`` folder, or a ``DatasetCatalog`` dataset."""
        if parse_dataset_spec(self.dataset_name) is None:
            try:
                canonical_name(self.dataset_name)
            except BenchmarkError:  # not a benchmark: a DatasetCatalog dataset of video dicts
                return benchmark_from_catalog(self.dataset_name, self.max_sequences, self.cfg)
        return load_benchmark(self.dataset_name, self.root, self.max_sequences, need_frames=True)

    def evaluate(self):
        """Run the tracker over the benchmark; ``{dataset_name: metrics}``, or ``{}`` for test
        splits without public ground truth (their result files are still written).

        Under a launch of several processes (training's), as detectron2's
        ``inference_on_dataset``: every process tracks its share of the sequences
        (:func:`.shard.assign_sequences`), the results are gathered, and the main process scores
        them; the others return ``{}``."""
        bench = self._benchmark()
        world = comm.get_world_size()
        names = assign_sequences(bench.sequences, world)[comm.get_rank()]
        results = run_benchmark(self._tracker(), bench, self.output_dir, self.tracker_name,
                                resume=False, progress=comm.is_main_process(), names=names)
        if world > 1:
            parts = comm.gather(results, dst=0)
            if not comm.is_main_process():
                return OrderedDict()
            results = {name: result for part in parts for name, result in part.items()}
        if not bench.has_full_gt:
            logger.info("%s: results written to %s (no public ground truth to score)",
                        bench.name, self.output_dir)
            return OrderedDict()
        metrics = metrics_of(score_results(bench, results))
        logger.info("%s: %s", bench.name, ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
        return OrderedDict({self.dataset_name: metrics})


def evaluate_tracker_on_benchmarks(cfg, model, output_dir=None):
    """Track every benchmark of ``cfg.DATASETS.TEST`` with ``model`` (roots from
    ``cfg.TEST.SIAM.DATASET_ROOTS``, at most ``cfg.TEST.SIAM.MAX_SEQUENCES`` sequences each) and
    return ``{dataset: metrics}`` on the main process, ``{}`` on the others, every process of a
    launch tracking its share (:meth:`TrackingBenchmarkEvaluator.evaluate`) (:func:`metrics_of`: ``success_auc``, ... for OPE benchmarks,
    ``ao``, ``sr_0.5``, ``sr_0.75`` for GOT-10k, ``precision``, ``recall``, ``f1`` long-term).

    Result files go to ``output_dir`` (default ``<OUTPUT_DIR>/inference/results``), overwritten
    on every call. The caller restores the model's training mode.
    """
    if output_dir is None:
        output_dir = os.path.join(cfg.OUTPUT_DIR, "inference", "results")
    roots = list(cfg.TEST.SIAM.DATASET_ROOTS)
    out = OrderedDict()
    for i, name in enumerate(cfg.DATASETS.TEST):
        evaluator = TrackingBenchmarkEvaluator(name, cfg, model, root=roots[i] if i < len(roots) else None,
                                               output_dir=output_dir,
                                               max_sequences=cfg.TEST.SIAM.MAX_SEQUENCES)
        evaluator.reset()
        out.update(evaluator.evaluate())
    return out
