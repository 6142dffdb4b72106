"""Train or evaluate from a config: the work of ``siamtrack-train`` (``tools/train_net.py``).

:func:`run_training` checks the whole config in the launching process (a bad config, dataset
name, schedule, benchmark folder or output folder is one line there, not a traceback in every
launched process) and then launches :func:`train_or_evaluate` in each process through
:func:`~siamtrack.engine.launch`. ``args`` is the namespace of detectron2's command-line
arguments (``config_file``, ``opts``, ``resume``, ``eval_only``, ``num_gpus``, ``num_machines``,
``machine_rank``, ``dist_url``). docs/training.md explains the recipe and the options.
"""
import logging
import os

import torch
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.data import DatasetCatalog
from detectron2.engine import default_setup
from detectron2.evaluation import verify_results
from detectron2.modeling import build_model
from detectron2.utils import comm
from detectron2.utils.logger import setup_logger

from ..checkpoint import load_weights
from ..config import ConfigError, load_config
from ..data.build import per_dataset_values
from ..data.datasets import register_dataset_specs
from ..evaluation import BenchmarkError, canonical_name
from ..evaluation.benchmarks import default_root
from ..tracking import resolve_device
from .launch import launch
from .schedule import build_lr_multiplier, finalize_solver_config
from .trainer import SiamTrainer

__all__ = ["is_benchmark", "load_training_config", "check_training_config", "setup",
           "train_or_evaluate", "evaluate_checkpoint", "run_training"]

logger = logging.getLogger(__name__)


def is_benchmark(name):
    """Whether ``name`` is a tracking benchmark name or alias (``OTB100``, ``otb``, ``vot18``)."""
    try:
        canonical_name(name)
    except BenchmarkError:
        return False
    return True


def load_training_config(config_file, opts):
    """The config of ``config_file`` and ``opts`` with the training device resolved: CUDA
    requested on a machine without it falls back to the CPU (with a warning)."""
    cfg = load_config(config_file, opts)
    if cfg.MODEL.DEVICE.startswith("cuda") and not torch.cuda.is_available():
        logger.warning("CUDA is not available: training on the CPU")
        cfg.MODEL.DEVICE = "cpu"
    resolve_device(cfg.MODEL.DEVICE)
    return cfg


def _check_datasets(cfg, eval_only):
    # "<layout>:<path>" entries: checked (one line) and registered here; workers do it themselves
    register_dataset_specs(list(cfg.DATASETS.TRAIN) + list(cfg.DATASETS.TEST))
    registered = set(DatasetCatalog.list())
    train = [] if eval_only else list(cfg.DATASETS.TRAIN)
    # DATASETS.TEST also takes benchmark aliases ("OTB100", "otb"), as the evaluator does.
    unknown = [name for name in train if name not in registered] + [
        name for name in cfg.DATASETS.TEST if name not in registered and not is_benchmark(name)]
    if unknown:
        raise ConfigError(f"unknown dataset name(s) {unknown}: see datasets/README.md for the registered names")
    roots = list(cfg.TEST.SIAM.DATASET_ROOTS)
    for i, name in enumerate(cfg.DATASETS.TEST):  # found now, not only after training
        if not is_benchmark(name):
            continue
        root = (roots[i] if i < len(roots) else "") or default_root(name)
        if not os.path.isdir(root):
            raise ConfigError(f"benchmark {name!r}: dataset folder {root} does not exist "
                              "(set TEST.SIAM.DATASET_ROOTS or $DETECTRON2_DATASETS)")
    if not eval_only:
        if not train:
            raise ConfigError("DATASETS.TRAIN is empty: name at least one training dataset")
        try:
            for key, values in (("DATASETS.SIAM.FRAME_RANGE", cfg.DATASETS.SIAM.FRAME_RANGE),
                                ("DATASETS.SIAM.NUM_USE", cfg.DATASETS.SIAM.NUM_USE)):
                per_dataset_values(values, train, None, key)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None


def _last_checkpoint(output_dir):
    """The checkpoint ``output_dir/last_checkpoint`` names (as DetectionCheckpointer reads it), or None."""
    try:
        with open(os.path.join(output_dir, "last_checkpoint"), encoding="utf-8") as f:
            return os.path.join(output_dir, f.read().strip())
    except OSError:
        return None


def check_training_config(cfg, eval_only=False, resume=False, world_size=1):
    """Raise :class:`~siamtrack.config.ConfigError` with one line for what would otherwise fail
    later in every launched process: the schedule, the batch size, AMP without CUDA, dataset
    names, benchmark folders, ``MODEL.WEIGHTS`` and ``OUTPUT_DIR``."""
    try:  # the schedule is otherwise first built inside the launched processes
        build_lr_multiplier(finalize_solver_config(cfg.clone()))
    except ValueError as exc:
        raise ConfigError(f"bad solver config: {exc}") from None
    batch = cfg.SOLVER.IMS_PER_BATCH
    if not eval_only and (batch <= 0 or batch % world_size):
        raise ConfigError(f"SOLVER.IMS_PER_BATCH {batch} must be a positive multiple of the "
                          f"{world_size} training process(es)")
    if not eval_only:
        SiamTrainer.prepare_config(cfg)  # AMP needs CUDA
    _check_datasets(cfg, eval_only)
    last = _last_checkpoint(cfg.OUTPUT_DIR) if resume else None
    if last is not None and not os.path.isfile(last):
        raise ConfigError(f"--resume: the last checkpoint {last} (named in {cfg.OUTPUT_DIR}/last_checkpoint) "
                          "does not exist; name an existing one there, or start without --resume")
    if cfg.MODEL.WEIGHTS and last is None and not os.path.isfile(cfg.MODEL.WEIGHTS):
        raise ConfigError(f"MODEL.WEIGHTS {cfg.MODEL.WEIGHTS} does not exist")
    try:
        os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"OUTPUT_DIR {cfg.OUTPUT_DIR}: {exc.strerror}") from None
    if not os.access(cfg.OUTPUT_DIR, os.W_OK):
        raise ConfigError(f"OUTPUT_DIR {cfg.OUTPUT_DIR} is not writable")


def setup(args):
    """In one process: the config (``MAX_ITER`` derived, frozen) and detectron2's default
    setup (output folder, loggers, ``config.yaml``, seeds)."""
    cfg = finalize_solver_config(load_training_config(args.config_file, args.opts))
    cfg.freeze()
    default_setup(cfg, args)
    # detectron2 configures its own loggers; siamtrack's (evaluation, data) log the same way.
    setup_logger(cfg.OUTPUT_DIR, distributed_rank=comm.get_rank(), name="siamtrack")
    return cfg


def evaluate_checkpoint(cfg, resume=False):
    """Track ``DATASETS.TEST`` with ``MODEL.WEIGHTS`` (or, with ``resume``, the last checkpoint
    of ``OUTPUT_DIR``), loaded strictly; returns the metrics of :meth:`SiamTrainer.test`."""
    model = build_model(cfg)
    checkpointer = DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR)
    path = checkpointer.get_checkpoint_file() if resume and checkpointer.has_checkpoint() else cfg.MODEL.WEIGHTS
    if path:
        load_weights(model, path)
    else:
        logger.warning("--eval-only without MODEL.WEIGHTS: evaluating an untrained model")
    results = SiamTrainer.test(cfg, model)
    if comm.is_main_process():
        verify_results(cfg, results)
    return results


def train_or_evaluate(args):
    """One process of the launch: train (resuming with ``args.resume``), or evaluate with
    ``args.eval_only``."""
    cfg = setup(args)
    if args.eval_only:
        return evaluate_checkpoint(cfg, resume=args.resume)
    trainer = SiamTrainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


def run_training(args):
    """Check the config of ``args`` here, then launch :func:`train_or_evaluate` in
    ``args.num_gpus`` processes per machine (CPU processes without CUDA)."""
    world_size = args.num_gpus * args.num_machines
    check_training_config(load_training_config(args.config_file, args.opts), args.eval_only,
                          args.resume, world_size)
    launch(train_or_evaluate, args.num_gpus, num_machines=args.num_machines,
           machine_rank=args.machine_rank, dist_url=args.dist_url, args=(args,))
