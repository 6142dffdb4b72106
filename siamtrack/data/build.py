"""The pair training loader: DATASETS.TRAIN -> infinite batches of mapped pairs.

``build_pair_train_loader(cfg)`` is what the trainer's ``build_train_loader`` calls. Entries
of ``DATASETS.TRAIN`` may mix detectron2 detection datasets (``coco_2017_train``, a
``register_coco_instances`` set) and video datasets (GOT-10k, LaSOT, VID, YouTube-BB,
TrackingNet, ``register_video_folder`` sets, the synthetic ones) and ``"<layout>:<path>"``
folders (``"videos:/data/my_videos"``), registered here on first use, in whichever process
builds the loader (:mod:`.datasets.specs`).
"""
import logging

import torch
import torch.utils.data as torchdata
from detectron2.data import DatasetCatalog
from detectron2.data.build import trivial_batch_collator, worker_init_reset_seed
from detectron2.data.common import DatasetFromList
from detectron2.utils.comm import get_rank, get_world_size

from .datasets import SYNTHETIC_DATASETS
from .datasets.specs import register_dataset_spec
from .mapper import SiamPairMapper
from .mask_mapper import SiamMaskPairMapper
from .pairs import CategoryIndex, PairBatchSampler, PairRequestDataset, usable_dicts

logger = logging.getLogger(__name__)


def per_dataset_values(values, names, default, key):
    """One value per dataset name: ``values`` itself, or ``default`` for all when it is empty."""
    values = list(values)
    if not values:
        return [default] * len(names)
    if len(values) != len(names):
        raise ValueError(
            f"cfg.{key} has {len(values)} values but DATASETS.TRAIN has {len(names)} entries")
    return values


def dataset_dicts(name, cfg=None):
    """The dataset dicts of one registered name or ``"<layout>:<path>"`` folder (registered
    now if needed); the built-in synthetic datasets get the sizes
    ``cfg.DATASETS.SIAM.SYNTHETIC_NUM_TRAIN`` / ``SYNTHETIC_NUM_TEST`` when ``cfg`` is given."""
    register_dataset_spec(name)
    sizes = {}
    if cfg is not None:
        sizes = {"synthetic_pairs_train": cfg.DATASETS.SIAM.SYNTHETIC_NUM_TRAIN,
                 "synthetic_videos_test": cfg.DATASETS.SIAM.SYNTHETIC_NUM_TEST}
    if name in sizes:
        return SYNTHETIC_DATASETS[name](num_videos=sizes[name])
    return DatasetCatalog.get(name)


def get_pair_dataset_dicts(names, cfg=None):
    """Usable dataset dicts of each name, as one list per name (in order).

    Synthetic datasets use ``cfg.DATASETS.SIAM.SYNTHETIC_NUM_TRAIN`` / ``SYNTHETIC_NUM_TEST``
    videos when ``cfg`` is given. Raises if a dataset has no usable object.
    """
    out = []
    for name in names:
        dicts = dataset_dicts(name, cfg)
        kept = usable_dicts(dicts)
        if not kept:
            raise ValueError(f"dataset '{name}' has no usable object (all crowd, empty or absent)")
        logger.info("Pair dataset %s: %d of %d videos/images usable", name, len(kept), len(dicts))
        out.append(kept)
    return out


def build_pair_train_loader(cfg, mapper=None, *, dataset_dicts=None, start_iter=0):
    """Infinite iterable of lists of pair dicts, ``cfg.SOLVER.IMS_PER_BATCH // world size`` each.

    Args:
        cfg: a siamtrack config (DATASETS.TRAIN, DATASETS.SIAM.*, INPUT.SIAM.*, TRACK.EXEMPLAR_SIZE,
            SOLVER.IMS_PER_BATCH, DATALOADER.NUM_WORKERS).
        mapper: callable pair request -> sample; default ``SiamPairMapper(cfg, True)``
            (``SiamMaskPairMapper`` for a SiamMask model).
        dataset_dicts: optional list (one list per DATASETS.TRAIN entry) instead of the catalog.
        start_iter: iteration to start at (a resumed run continues the pair stream).

    Pair ``p`` of the stream is a pure function of ``(DATASETS.SIAM.SEED, p)`` and the batch of
    iteration ``i`` a pure function of ``i``, the rank and the world size
    (:class:`~siamtrack.data.pairs.PairBatchSampler`), whatever ``DATALOADER.NUM_WORKERS``: a
    loader built with ``start_iter`` yields what the loader of iteration 0 yields from there.
    """
    names = list(cfg.DATASETS.TRAIN)
    if not names:
        raise ValueError("cfg.DATASETS.TRAIN is empty")
    frame_ranges = per_dataset_values(cfg.DATASETS.SIAM.FRAME_RANGE, names, 1,
                                      "DATASETS.SIAM.FRAME_RANGE")
    num_use = per_dataset_values(cfg.DATASETS.SIAM.NUM_USE, names, -1, "DATASETS.SIAM.NUM_USE")
    world_size = get_world_size()
    total_batch = int(cfg.SOLVER.IMS_PER_BATCH)
    if total_batch <= 0 or total_batch % world_size:
        raise ValueError(f"SOLVER.IMS_PER_BATCH {total_batch} must be a positive multiple of the "
                         f"{world_size} training process(es)")
    if dataset_dicts is None:
        dataset_dicts = get_pair_dataset_dicts(names, cfg)
    if mapper is None:  # SiamMask's pairs also carry the search crop's mask
        mapper = (SiamMaskPairMapper if cfg.MODEL.META_ARCHITECTURE == "SiamMask" else SiamPairMapper)(cfg, True)
    # serialised like detectron2's loaders, so forked workers do not copy the dicts on access
    lists = [DatasetFromList(list(d), copy=False, serialize=True) for d in dataset_dicts]
    index = None
    if getattr(mapper, "neg_same_category", 0):
        index = CategoryIndex(lists)
        logger.info("Same-category negatives (INPUT.SIAM.NEG_SAME_CATEGORY %s): %d objects in %d categories",
                    mapper.neg_same_category, len(index), len(index.objects))
        if not index.objects:
            logger.warning("INPUT.SIAM.NEG_SAME_CATEGORY: no training object has a category (pysot-format "
                           "video data carries none; COCO, GOT-10k and LaSOT do), so every negative pair is pysot's")
    dataset = PairRequestDataset(lists, frame_ranges, num_use, cfg.DATASETS.SIAM.SEED, mapper, category_index=index)
    logger.info("Pair loader: %d datasets, %d picks per pool block, batch %d", len(names),
                len(dataset.pool), total_batch)
    sampler = PairBatchSampler(total_batch // world_size, get_rank(), world_size, start_iter=start_iter)
    return _batch_loader(dataset, sampler, cfg.DATALOADER.NUM_WORKERS, int(cfg.DATASETS.SIAM.SEED) + get_rank())


def _batch_loader(dataset, sampler, num_workers, seed):
    # A batch sampler (not detectron2's per-worker sharding of single positions): each worker
    # maps whole batches and the DataLoader returns them in order, so batch i is the same for
    # any number of workers. The loader's own generator (it seeds the workers) keeps it from
    # drawing on torch's global one, which the training step uses (docs/training.md, "Resume").
    return torchdata.DataLoader(dataset, batch_sampler=sampler, num_workers=num_workers,
                                collate_fn=trivial_batch_collator, worker_init_fn=worker_init_reset_seed,
                                generator=torch.Generator().manual_seed(seed))


def restart_pair_loader(loader, start_iter):
    """A loader of :func:`build_pair_train_loader` that starts at iteration ``start_iter``
    instead: the same dataset (not read again), workers and seeds, so it yields exactly what
    ``loader`` yields from that iteration. Raises ``TypeError`` for any other loader."""
    sampler = getattr(loader, "batch_sampler", None)
    if not isinstance(loader, torchdata.DataLoader) or not isinstance(sampler, PairBatchSampler):
        raise TypeError(f"not a pair loader of build_pair_train_loader: {type(loader).__name__}")
    restarted = PairBatchSampler(sampler.batch_size, sampler.rank, sampler.world_size, start_iter=start_iter)
    return _batch_loader(loader.dataset, restarted, loader.num_workers, loader.generator.initial_seed())
