"""Train or evaluate from a config: the work of ``siamtrack-train`` (``tools/train_net.py``).

:func:`run_training` checks the whole config in the launching process (a bad config, dataset
name, schedule, benchmark folder or output folder is one line there, not a traceback in every
launched process) and then launches :func:`train_or_evaluate` in each process through
:func:`~siamtrack.engine.launch`. ``args`` is the namespace of detectron2's command-line
arguments (``config_file``, ``opts``, ``resume``, ``eval_only``, ``num_gpus``, ``num_machines``,
``machine_rank``, ``dist_url``). docs/training.md explains the recipe and the options.
"""
import logging
import math
import os
import re
import signal

from detectron2.checkpoint import DetectionCheckpointer
from detectron2.data import DatasetCatalog
from detectron2.evaluation import verify_results
from detectron2.modeling import build_model
from detectron2.utils import comm

from ..checkpoint import WeightsError, load_weights
from ..config import ConfigError, load_config
from ..data.build import per_dataset_values
from ..data.datasets import register_dataset_specs
from ..evaluation import BenchmarkError, canonical_name
from ..evaluation.benchmarks import default_root
from ..utils.device import resolve_device
from ..utils.fileio import folder_lock, remove_leftovers
from ..utils.interrupts import interrupt_behind
from .checkpointer import LEFTOVERS, last_checkpoint_path, resume_problem
from .launch import launch
from .logs import setup_run
from .schedule import build_lr_multiplier, finalize_solver_config
from .trainer import SiamTrainer

__all__ = ["is_benchmark", "load_training_config", "check_training_config", "setup",
           "train_or_evaluate", "evaluate_checkpoint", "interruption_note", "with_interruption_note", "run_training",
           "WRITTEN_FILES"]

logger = logging.getLogger(__name__)

# The files a run writes into OUTPUT_DIR (checkpoints, their tag, the config, logs, metrics).
WRITTEN_FILES = re.compile(r"model_(\d+|final)\.pth|last_checkpoint|config\.yaml|model\.txt|log\.txt.*|"
                           r"metrics\.json|events\.out\..*")


def is_benchmark(name):
    """Whether ``name`` is a tracking benchmark name or alias (``OTB100``, ``otb``, ``vot18``)."""
    try:
        canonical_name(name)
    except BenchmarkError:
        return False
    return True


def load_training_config(config_file, opts):
    """The config of ``config_file`` and ``opts``, its ``MODEL.DEVICE`` checked (the device rule,
    docs/config.md: unset means CUDA when present, else the CPU; an unusable one is an error)."""
    cfg = load_config(config_file, opts)
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


def _check_start_weights(cfg, eval_only, resume):
    """The weights the run would start from -- the ``--resume`` checkpoint or ``MODEL.WEIGHTS``
    -- exist, are complete and fit the config's model (built here on the CPU)."""
    last = last_checkpoint_path(cfg.OUTPUT_DIR) if resume else None
    if last is not None:
        problem = resume_problem(cfg.OUTPUT_DIR)
        if problem:
            raise WeightsError(problem)
        path, partial = last, False
    else:
        path, partial = cfg.MODEL.WEIGHTS, cfg.MODEL.SIAM_PARTIAL_LOAD and not eval_only
    if not path:
        return
    if not os.path.isfile(path):
        raise WeightsError(f"MODEL.WEIGHTS {path} does not exist")
    cpu_cfg = cfg.clone()
    cpu_cfg.defrost()
    cpu_cfg.MODEL.DEVICE = "cpu"
    load_weights(build_model(cpu_cfg), path, allow_partial=partial,
                 partial_option=None if eval_only or last else "MODEL.SIAM_PARTIAL_LOAD")


def _check_numbers(cfg, eval_only):
    """Values detectron2 reads without a check (a ZeroDivisionError, a hang or NaN weights later)."""
    if not eval_only and cfg.SOLVER.CHECKPOINT_PERIOD < 1:
        raise ConfigError(f"SOLVER.CHECKPOINT_PERIOD must be a positive number of iterations, "
                          f"got {cfg.SOLVER.CHECKPOINT_PERIOD}")
    if cfg.DATALOADER.NUM_WORKERS < 0:
        raise ConfigError(f"DATALOADER.NUM_WORKERS must be 0 (load in the main process) or positive, "
                          f"got {cfg.DATALOADER.NUM_WORKERS}")
    solver = cfg.SOLVER
    for key, value in (("SOLVER.BASE_LR", solver.BASE_LR), ("SOLVER.MOMENTUM", solver.MOMENTUM),
                       ("SOLVER.WEIGHT_DECAY", solver.WEIGHT_DECAY),
                       *((f"SOLVER.SIAM.{k}", solver.SIAM[k]) for k in ("LOG_START_LR", "LOG_END_LR",
                                                                        "WARMUP_START_LR", "WARMUP_END_LR"))):
        if not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise ConfigError(f"{key} must be a finite number >= 0, got {value!r}")


def _check_files(cfg, eval_only):
    """``MODEL.SIAM_PRETRAINED`` exists; the start weights are not among the files this run
    writes into ``OUTPUT_DIR`` (training would overwrite them)."""
    pretrained = cfg.MODEL.SIAM_PRETRAINED
    if pretrained and not eval_only and not os.path.isfile(pretrained):
        raise ConfigError(f"MODEL.SIAM_PRETRAINED {pretrained} does not exist")
    output = os.path.realpath(cfg.OUTPUT_DIR or ".")
    for key in ("MODEL.WEIGHTS", "MODEL.SIAM_PRETRAINED"):
        path = cfg.MODEL.WEIGHTS if key == "MODEL.WEIGHTS" else pretrained
        real = os.path.realpath(path) if path else ""
        if not eval_only and real and os.path.dirname(real) == output and WRITTEN_FILES.fullmatch(
                os.path.basename(real)):
            raise ConfigError(f"{key} {path} is a file this run writes in OUTPUT_DIR {cfg.OUTPUT_DIR}: it would "
                              "be overwritten; copy it elsewhere or choose another OUTPUT_DIR")


def check_training_config(cfg, eval_only=False, resume=False, world_size=1):
    """Raise :class:`~siamtrack.utils.errors.InputError` with one line for what would otherwise
    fail later in every launched process: the schedule (``MAX_ITER`` < 0 included), the batch
    size, AMP without CUDA, dataset names, ``--eval-only`` without ``DATASETS.TEST``, benchmark
    folders, the start weights (missing, truncated, holding NaN, not fitting the model, or among
    the files the run writes), ``SIAM_PRETRAINED``, checkpoint period, loader workers, learning
    rates and ``OUTPUT_DIR``."""
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
    elif not cfg.DATASETS.TEST:
        raise ConfigError("--eval-only has nothing to evaluate: DATASETS.TEST is empty "
                          "(name benchmarks, e.g. DATASETS.TEST \"('otb100',)\")")
    _check_numbers(cfg, eval_only)
    _check_files(cfg, eval_only)
    _check_datasets(cfg, eval_only)
    _check_start_weights(cfg, eval_only, resume)
    try:
        os.makedirs(cfg.OUTPUT_DIR, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"OUTPUT_DIR {cfg.OUTPUT_DIR}: {exc.strerror}") from None
    if not os.access(cfg.OUTPUT_DIR, os.W_OK):
        raise ConfigError(f"OUTPUT_DIR {cfg.OUTPUT_DIR} is not writable")


def setup(args):
    """In one process: the config (``MAX_ITER`` derived, frozen) and the run's setup
    (:func:`~siamtrack.engine.logs.setup_run`: output folder, loggers, ``config.yaml``, seeds)."""
    cfg = finalize_solver_config(load_training_config(args.config_file, args.opts))
    cfg.freeze()
    setup_run(cfg, args)
    return cfg


def evaluate_checkpoint(cfg, resume=False):
    """Track ``DATASETS.TEST`` with ``MODEL.WEIGHTS`` (or, with ``resume``, the last checkpoint
    of ``OUTPUT_DIR``), loaded strictly; returns the metrics of :meth:`SiamTrainer.test`."""
    model = build_model(cfg)
    checkpointer = DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR)
    resumed = resume and checkpointer.has_checkpoint()
    problem = resume_problem(cfg.OUTPUT_DIR) if resumed else None  # reads the whole checkpoint
    if problem:
        raise WeightsError(problem)
    path = checkpointer.get_checkpoint_file() if resumed else cfg.MODEL.WEIGHTS
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


def with_interruption_note(exc, output_dir):
    """The interrupt ``exc`` again (same type: Ctrl-C or SIGTERM), its message followed by
    :func:`interruption_note` of ``output_dir``."""
    note = interruption_note(output_dir)
    return type(exc)(f"{exc}: {note}" if str(exc) else note)


def interruption_note(output_dir):
    """What an interrupted run leaves: the newest checkpoint to continue from, or none."""
    last = last_checkpoint_path(output_dir)
    if last is None or not os.path.isfile(last):
        return "no checkpoint was written yet"
    return f"the checkpoints written so far are kept, the last is {last} (continue with --resume)"


_launching = []  # non-empty while run_training launches: its forked children ignore Ctrl-C / SIGTERM


def _ignore_stop_signals_in_child():
    """In a process forked during training (a data-loader worker): ignore SIGINT / SIGTERM, which
    ``timeout`` or Ctrl-C send to the whole process group. The main process handles them and
    stops its workers; a worker killed by them would make the loader raise a second error
    (a traceback) over the interrupt. Workers still exit when the main process dies."""
    if _launching:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ignore_stop_signals_in_child)


def run_training(args):
    """Check the config of ``args`` here, then launch :func:`train_or_evaluate` in
    ``args.num_gpus`` processes per machine (CPU processes without CUDA). Ctrl-C or SIGTERM
    raise their ``KeyboardInterrupt`` again with a one-line note of the checkpoints kept. The
    run holds ``OUTPUT_DIR``'s lock (a second run into it is refused) and first removes the
    temporary files a killed run left there."""
    world_size = args.num_gpus * args.num_machines
    cfg = load_training_config(args.config_file, args.opts)
    check_training_config(cfg, args.eval_only, args.resume, world_size)
    with folder_lock(cfg.OUTPUT_DIR, "OUTPUT_DIR"):  # one run per OUTPUT_DIR: a second is refused
        removed = remove_leftovers(cfg.OUTPUT_DIR, LEFTOVERS)  # the lock holder owns every temporary file
        if removed:
            logger.info("Removed %d temporary file(s) left in %s by a killed run", len(removed), cfg.OUTPUT_DIR)
        _launching.append(True)
        try:
            launch(train_or_evaluate, args.num_gpus, num_machines=args.num_machines,
                   machine_rank=args.machine_rank, dist_url=args.dist_url, args=(args,))
        except BaseException as exc:
            interrupt = interrupt_behind(exc)
            if interrupt is None or args.eval_only:
                raise
            raise with_interruption_note(interrupt, cfg.OUTPUT_DIR) from None
        finally:
            _launching.clear()
