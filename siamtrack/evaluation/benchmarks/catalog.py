"""Registration of the benchmarks in detectron2's ``DatasetCatalog`` / ``MetadataCatalog``.

Names are lower-case (``otb100``, ``uav123``, ``lasot``, ``got10k_val``, ``got10k_test``,
``nfs30``, ``trackingnet``, ``vot2016``, ``vot2018``, ``vot2019``, ...). Registration touches no
file: the root (``$DETECTRON2_DATASETS/<folder>``) is resolved when the dataset is loaded.
"""
import numpy as np
from detectron2.data import DatasetCatalog, MetadataCatalog

from ...data.build import dataset_dicts
from ...data.datasets.video import frame_locator
from .base import Benchmark, BenchmarkError, Sequence
from .registry import BENCHMARKS, default_root, load_benchmark

__all__ = ["register_benchmarks", "benchmark_dicts", "benchmark_from_catalog"]


def benchmark_dicts(name, root=None):
    """detectron2-style list of dicts, one per sequence: ``sequence``, ``file_names``,
    ``gt`` (N x 4 or N x 8 array), ``attributes``, ``tags``, ``visible``."""
    bench = load_benchmark(name, root)
    return [{"sequence": s.name, "file_names": s.frames, "gt": s.gt, "attributes": s.attributes,
             "tags": s.tags, "visible": s.visible, "benchmark": bench.name} for s in bench]


def register_benchmarks():
    """Register every benchmark (idempotent). Returns the registered catalog names."""
    names = []
    for info in BENCHMARKS.values():
        key = info.catalog_name
        if key not in DatasetCatalog.list():
            DatasetCatalog.register(key, lambda n=info.name: benchmark_dicts(n, default_root(n)))
            MetadataCatalog.get(key).set(benchmark=info.name, evaluator_type="siam_tracking",
                                         protocol=info.protocol)
        names.append(key)
    return names


def benchmark_from_catalog(name, max_sequences=0, cfg=None) -> Benchmark:
    """An OPE benchmark from a ``DatasetCatalog`` dataset of video dicts (siamtrack's video
    format, e.g. ``synthetic_videos_test``, sized by ``cfg`` when given): the first track of
    each video, boxes converted from ``x1, y1, x2, y2`` to ``x, y, w, h``."""
    if name not in DatasetCatalog.list():
        raise BenchmarkError(f"unknown benchmark or dataset {name!r}; known benchmarks: "
                             f"{', '.join(BENCHMARKS)}")
    sequences = []
    for video in dataset_dicts(name, cfg):
        if "tracks" not in video or not video["tracks"]:
            raise BenchmarkError(f"dataset {name!r} is not a dataset of videos with tracks")
        track_id = sorted(video["tracks"])[0]
        track = video["tracks"][track_id]
        boxes = np.asarray(track["boxes"], dtype=np.float64).reshape(-1, 4)
        gt = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
        frames, reader = list(track["frames"]), video.get("frame_source")
        if reader is None:  # frame ids -> image paths
            frames = [frame_locator(video, track_id, f)[1] for f in frames]
        sequences.append(Sequence(name=str(video["video"]), frames=frames, gt=gt, frame_reader=reader))
    sequences.sort(key=lambda s: s.name)
    if max_sequences and max_sequences > 0:
        sequences = sequences[:max_sequences]
    return Benchmark(name=name, root="", sequences=sequences)
