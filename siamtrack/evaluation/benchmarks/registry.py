"""``load_benchmark(name, root)``: the benchmark names, their aliases and how each is loaded."""
import os
import re
from dataclasses import dataclass
from functools import partial
from typing import Callable, Dict, Optional, Tuple

from .base import Benchmark, BenchmarkError
from .got10k import load_got10k_raw
from .lasot import load_lasot_raw
from .nfs import load_nfs_raw
from .otb import load_otb_raw
from .pysot_json import load_pysot_json
from .trackingnet import load_trackingnet_raw
from .uav import UAV_ATTRIBUTES, load_uav_raw
from .vot import load_vot_raw

__all__ = ["BenchmarkInfo", "BENCHMARKS", "canonical_name", "load_benchmark", "default_root"]


@dataclass(frozen=True)
class BenchmarkInfo:
    """How one benchmark is found, loaded, run and scored."""

    name: str  # canonical name (also pysot's dataset name)
    aliases: Tuple[str, ...]
    load_raw: Callable  # root -> [Sequence]
    json_name: str  # pysot's annotation file in the root, preferred when present
    folder: str  # default folder under $DETECTRON2_DATASETS
    protocol: str = "ope"
    results_layout: str = "ope"
    has_full_gt: bool = True
    results_name: str = ""
    attribute_names: Tuple[str, ...] = ()

    @property
    def catalog_name(self) -> str:
        """Name registered in detectron2's DatasetCatalog (``otb100``, ``got10k_val``, ...)."""
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower().replace("-10k", "10k"))


_INFOS = (
    BenchmarkInfo("OTB100", ("otb", "otb2015", "otb100"), load_otb_raw, "OTB100.json", "OTB100"),
    BenchmarkInfo("UAV123", ("uav", "uav123"), partial(load_uav_raw, subset="UAV123"),
                  "UAV123.json", "UAV123", attribute_names=UAV_ATTRIBUTES),
    BenchmarkInfo("UAV20L", ("uav20l",), partial(load_uav_raw, subset="UAV20L"),
                  "UAV20L.json", "UAV123", attribute_names=UAV_ATTRIBUTES),
    BenchmarkInfo("LaSOT", ("lasot",), load_lasot_raw, "LaSOT.json", "LaSOT"),
    BenchmarkInfo("GOT-10k-val", ("got10kval",), partial(load_got10k_raw, split="val"),
                  "GOT-10k-val.json", "GOT-10k", results_layout="got10k"),
    BenchmarkInfo("GOT-10k-test", ("got10k", "got10ktest"), partial(load_got10k_raw, split="test"),
                  "GOT-10k.json", "GOT-10k", results_layout="got10k", has_full_gt=False,
                  results_name="GOT-10k"),
    BenchmarkInfo("NFS30", ("nfs", "nfs30"), partial(load_nfs_raw, fps=30), "NFS30.json", "NFS30"),
    BenchmarkInfo("NFS240", ("nfs240",), partial(load_nfs_raw, fps=240), "NFS240.json", "NFS240"),
    BenchmarkInfo("TrackingNet", ("trackingnet", "tnet"), load_trackingnet_raw,
                  "TrackingNet.json", "TrackingNet", has_full_gt=False),
) + tuple(
    BenchmarkInfo(f"VOT{year}", (f"vot{year}", f"vot{year % 100}") + (("vot",) if year == 2018 else ()),
                  load_vot_raw, f"VOT{year}.json", f"VOT{year}", protocol="vot", results_layout="vot")
    for year in (2016, 2018, 2019)
)

BENCHMARKS: Dict[str, BenchmarkInfo] = {info.name: info for info in _INFOS}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_ALIASES = {}
for _info in _INFOS:
    for _alias in (_info.name, _info.catalog_name) + _info.aliases:
        _ALIASES[_key(_alias)] = _info.name


def canonical_name(name: str) -> str:
    """Canonical benchmark name for ``name`` (case, ``-`` and ``_`` ignored: ``otb`` ->
    ``OTB100``, ``vot18`` -> ``VOT2018``, ``got10k_val`` -> ``GOT-10k-val``)."""
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
    otherwise. ``max_sequences`` > 0 keeps the first sequences in sorted order.
    ``need_frames`` checks that every frame list matches its ground truth (to run a tracker).
    Raises :class:`BenchmarkError` with a one-line message on a wrong or incomplete folder.
    """
    info = BENCHMARKS[canonical_name(name)]
    root = root or default_root(info.name)
    if not os.path.isdir(root):
        raise BenchmarkError(f"{info.name}: dataset folder {root} does not exist")
    json_path = os.path.join(root, info.json_name)
    if os.path.isfile(json_path):
        sequences = load_pysot_json(json_path, root, vot=info.protocol == "vot")
    else:
        sequences = info.load_raw(root)
    if max_sequences and max_sequences > 0:
        sequences = sequences[:max_sequences]
    benchmark = Benchmark(name=info.name, root=root, sequences=sequences, protocol=info.protocol,
                          results_layout=info.results_layout, has_full_gt=info.has_full_gt,
                          results_name=info.results_name, attribute_names=info.attribute_names)
    if need_frames:
        benchmark.check_frames()
    return benchmark
