"""``load_benchmark(name, root)``: the benchmark names, their aliases and how each is loaded."""
import os
import re
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, Optional, Tuple

from ...data.sequences import (UAV_ATTRIBUTES, DatasetLayoutError, read_got10k, read_lasot, read_nfs,
                               read_otb, read_pysot_json, read_trackingnet, read_uav, read_vot)
from ...data.datasets.specs import lasot_evaluation_split
from .base import Benchmark, BenchmarkError, benchmark_sequence
from .layouts import layout_benchmark_source, load_layout_benchmark

__all__ = ["BenchmarkInfo", "BENCHMARKS", "SEQUENCE_COUNTS", "canonical_name", "load_benchmark", "default_root"]


@dataclass(frozen=True)
class BenchmarkInfo:
    """How one benchmark is found, loaded, run and scored."""

    name: str  # canonical name (also pysot's dataset name)
    aliases: Tuple[str, ...]
    read: Callable  # root -> [VideoSequence], the dataset-layout reader of siamtrack.data.sequences
    json_name: str  # pysot's annotation file in the root, preferred when present
    folder: str  # default folder under $DETECTRON2_DATASETS
    protocol: str = "ope"
    results_layout: str = "ope"
    has_full_gt: bool = True
    results_name: str = ""
    attribute_names: Tuple[str, ...] = ()
    score_visible_only: bool = False  # frames flagged absent are not scored (LaSOT)

    @property
    def catalog_name(self) -> str:
        """Name registered in detectron2's DatasetCatalog (``otb100``, ``got10k_val``, ...)."""
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower().replace("-10k", "10k"))


def _read_lasot_test(root):
    """LaSOT's 280 test sequences when ``testing_set.txt`` exists, else every sequence."""
    return read_lasot(root, lasot_evaluation_split(root))


_INFOS = (
    BenchmarkInfo("OTB100", ("otb", "otb2015", "otb100"), read_otb, "OTB100.json", "OTB100"),
    BenchmarkInfo("UAV123", ("uav", "uav123"), partial(read_uav, subset="UAV123"),
                  "UAV123.json", "UAV123", attribute_names=UAV_ATTRIBUTES),
    BenchmarkInfo("UAV20L", ("uav20l",), partial(read_uav, subset="UAV20L"),
                  "UAV20L.json", "UAV123", attribute_names=UAV_ATTRIBUTES),
    BenchmarkInfo("LaSOT", ("lasot",), _read_lasot_test, "LaSOT.json", "LaSOT", score_visible_only=True),
    BenchmarkInfo("GOT-10k-val", ("got10kval",), partial(read_got10k, split="val"),
                  "GOT-10k-val.json", "GOT-10k", protocol="got10k", results_layout="got10k"),
    BenchmarkInfo("GOT-10k-test", ("got10k", "got10ktest"), partial(read_got10k, split="test"),
                  "GOT-10k.json", "GOT-10k", protocol="got10k", results_layout="got10k",
                  has_full_gt=False, results_name="GOT-10k"),
    BenchmarkInfo("NFS30", ("nfs", "nfs30"), partial(read_nfs, fps=30), "NFS30.json", "NFS30"),
    BenchmarkInfo("NFS240", ("nfs240",), partial(read_nfs, fps=240), "NFS240.json", "NFS240"),
    BenchmarkInfo("TrackingNet", ("trackingnet", "tnet"), partial(read_trackingnet, split="TEST"),
                  "TrackingNet.json", "TrackingNet", has_full_gt=False),
) + tuple(
    BenchmarkInfo(f"VOT{year}", (f"vot{year}", f"vot{year % 100}") + (("vot",) if year == 2018 else ()),
                  read_vot, f"VOT{year}.json", f"VOT{year}", protocol="vot", results_layout="vot")
    for year in (2016, 2018, 2019)
) + tuple(
    BenchmarkInfo(f"VOT{year}-LT", (f"vot{year}lt", f"vot{year % 100}lt"), read_vot,
                  f"VOT{year}-LT.json", f"VOT{year}-LT", protocol="longterm", results_layout="longterm")
    for year in (2018, 2019)
)

BENCHMARKS: Dict[str, BenchmarkInfo] = {info.name: info for info in _INFOS}
# Sequences of each complete benchmark: a folder holding another number is labelled as such.
SEQUENCE_COUNTS = {"OTB100": 100, "UAV123": 123, "UAV20L": 20, "LaSOT": 280, "GOT-10k-val": 180,
                   "GOT-10k-test": 180, "NFS30": 100, "NFS240": 100, "TrackingNet": 511, "VOT2016": 60,
                   "VOT2018": 60, "VOT2019": 60, "VOT2018-LT": 35, "VOT2019-LT": 50}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_ALIASES = {}
for _info in _INFOS:
    for _alias in (_info.name, _info.catalog_name) + _info.aliases:
        _ALIASES[_key(_alias)] = _info.name


def canonical_name(name: str) -> str:
    """Canonical benchmark name for ``name`` (case, ``-`` and ``_`` ignored: ``otb`` ->
    ``OTB100``, ``vot18`` -> ``VOT2018``, ``got10k_val`` -> ``GOT-10k-val``, ``vot18lt`` ->
    ``VOT2018-LT``)."""
    try:
        return _ALIASES[_key(name)]
    except KeyError:
        raise BenchmarkError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")


def default_root(name: str) -> str:
    """``$DETECTRON2_DATASETS/<standard folder>`` (``./datasets`` when the variable is unset)."""
    info = BENCHMARKS[canonical_name(name)]
    return os.path.join(os.environ.get("DETECTRON2_DATASETS", "datasets"), info.folder)


def load_benchmark(name: str, root: Optional[str] = None, max_sequences: int = 0,
                   need_frames: bool = False) -> Benchmark:
    """Load benchmark ``name`` from ``root`` (default :func:`default_root`).

    pysot's ``<NAME>.json`` in ``root`` is used when present, the dataset's own layout
    otherwise, both read by :mod:`siamtrack.data.sequences`. Sequences are sorted by name;
    ``max_sequences`` > 0 keeps the first ones.
    ``need_frames`` checks that every frame list matches its ground truth (to run a tracker).
    ``name`` may also be a folder layout: ``"<layout>:<path>"`` (``"videos:/data/mine"``), or a
    layout name that is no benchmark name (``videos``) with ``root`` (:mod:`.layouts`).
    Raises :class:`BenchmarkError` with a one-line message on a wrong or incomplete folder.
    """
    source = layout_benchmark_source(name, root, is_benchmark=_key(name) in _ALIASES)
    if source is not None:
        return load_layout_benchmark(*source, max_sequences=max_sequences, need_frames=need_frames)
    info = BENCHMARKS[canonical_name(name)]
    root = root or default_root(info.name)
    if not os.path.isdir(root):
        raise BenchmarkError(f"{info.name}: dataset folder {root} does not exist")
    json_path = os.path.join(root, info.json_name)
    try:
        records = read_pysot_json(json_path, root) if os.path.isfile(json_path) else info.read(root)
    except DatasetLayoutError as exc:
        raise BenchmarkError(str(exc)) from None
    sequences = sorted((benchmark_sequence(r, info.protocol, info.score_visible_only) for r in records),
                       key=lambda s: s.name)
    full = SEQUENCE_COUNTS.get(info.name, 0)
    label = info.name if len(sequences) in (0, full) else (
        f"{info.name} layout: {len(sequences)} sequences of {root} (the benchmark has {full})")
    if max_sequences and max_sequences > 0:
        sequences = sequences[:max_sequences]
    benchmark = Benchmark(name=info.name, root=root, sequences=sequences, protocol=info.protocol,
                          results_layout=info.results_layout, has_full_gt=info.has_full_gt,
                          results_name=info.results_name, attribute_names=info.attribute_names,
                          label=label)
    if need_frames:
        benchmark.check_frames()
    return benchmark
