"""Tracking benchmark loaders (OTB100, UAV123/UAV20L, LaSOT, GOT-10k val/test, NFS30/240,
TrackingNet, VOT2016/2018/2019) in their own layouts or from pysot's ``<NAME>.json``.

``load_benchmark("otb", root)`` returns a :class:`Benchmark` of :class:`Sequence` objects
(frame paths, ground truth, attributes / per-frame tags, LaSOT visibility). Folders are read by
the dataset-layout readers of :mod:`siamtrack.data.sequences`, the ones training uses; the
layouts are documented in ``datasets/README.md``.
"""
from .base import Benchmark, BenchmarkError, Sequence
from .catalog import benchmark_dicts, register_benchmarks
from .registry import BENCHMARKS, canonical_name, default_root, load_benchmark

__all__ = ["Benchmark", "BenchmarkError", "Sequence", "BENCHMARKS", "canonical_name",
           "default_root", "load_benchmark", "benchmark_dicts", "register_benchmarks"]
