"""Benchmarks made of any folder in a known layout: ``"<layout>:<path>"`` (a ``DATASETS.TEST``
entry, ``siamtrack-eval --dataset videos:/data/mine``) or a layout name with a root
(``--dataset videos --dataset-root /data/mine``).

The layout (``siamtrack.data.datasets.specs.LAYOUTS``) says how the folder is read; the
protocol follows it: ``got10k`` is scored with GOT-10k's AO / SR, ``vot`` with the VOT restart
protocol (EAO over VOT2018's interval), ``vot-lt`` with long-term precision / recall / F1,
``lasot`` on its visible frames only, every other layout with OPE. Results go to
``<output>/<layout>-<folder name>/<tracker>/``.
"""
import os
from typing import Optional, Tuple

from ...data.datasets.specs import LAYOUTS, dataset_spec_folder, parse_dataset_spec
from ...data.sequences import DatasetLayoutError
from .base import Benchmark, BenchmarkError, benchmark_sequence

__all__ = ["LAYOUT_PROTOCOLS", "layout_benchmark_source", "load_layout_benchmark"]

# layout -> (protocol, results layout); layouts not listed are OPE
LAYOUT_PROTOCOLS = {"got10k": ("got10k", "got10k"), "vot": ("vot", "vot"),
                    "vot-lt": ("longterm", "longterm")}


def layout_benchmark_source(name: str, root: Optional[str], is_benchmark: bool) -> Optional[Tuple[str, str, str]]:
    """``(layout, folder, display name)`` when ``name`` names a folder layout rather than a
    benchmark (``"videos:/data/mine"``, or ``videos`` with ``root``), else None. A layout name
    without ``root`` raises :class:`BenchmarkError`."""
    spec = parse_dataset_spec(name)
    if spec is not None:
        return spec[0], spec[1], name
    if is_benchmark or name.lower() not in LAYOUTS:
        return None
    if not root:
        raise BenchmarkError(f"dataset {name!r} is a folder layout: name its folder as "
                             f"'{name}:DIR' or with --dataset-root DIR")
    return name.lower(), root, f"{name.lower()}:{root}"


def load_layout_benchmark(layout_name: str, path: str, display_name: str, max_sequences: int = 0,
                          need_frames: bool = False) -> Benchmark:
    """The :class:`Benchmark` of the folder ``path`` read as ``layout_name``."""
    try:
        layout, folder = dataset_spec_folder(layout_name, path)
        if layout.sequences is None:
            evaluable = ", ".join(n for n, lay in LAYOUTS.items() if lay.sequences is not None)
            raise BenchmarkError(f"dataset layout {layout.name!r} is for training only; layouts "
                                 f"that can be evaluated: {evaluable}")
        records = layout.sequences(folder)
    except DatasetLayoutError as exc:
        raise BenchmarkError(str(exc)) from None
    protocol, results_layout = LAYOUT_PROTOCOLS.get(layout.name, ("ope", "ope"))
    sequences = sorted((benchmark_sequence(r, protocol, layout.name == "lasot") for r in records),
                       key=lambda s: s.name)
    if not sequences:
        raise BenchmarkError(f"{display_name}: folder {folder} has no sequence")
    if max_sequences and max_sequences > 0:
        sequences = sequences[:max_sequences]
    # a split whose ground truth is withheld has one box per sequence (GOT-10k / TrackingNet test)
    full_gt = not all(len(s.gt) == 1 and s.n_frames > 1 for s in sequences)
    results_name = f"{layout.name}-{os.path.basename(os.path.normpath(folder))}"
    benchmark = Benchmark(name=display_name, root=folder, sequences=sequences, protocol=protocol,
                          results_layout=results_layout, has_full_gt=full_gt,
                          results_name=results_name)
    if need_frames:
        benchmark.check_frames()
    return benchmark
