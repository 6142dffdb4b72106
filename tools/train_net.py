#!/usr/bin/env python
"""Train (or evaluate) a SiamRPN++ tracker with detectron2's DefaultTrainer and pysot's recipe.

    python tools/train_net.py --config-file configs/siamrpnpp_r50.yaml --num-gpus 8 \
        MODEL.SIAM_PRETRAINED pretrained/resnet50.model
    python tools/train_net.py --config-file ... --resume            # continue the last checkpoint
    python tools/train_net.py --config-file ... --eval-only MODEL.WEIGHTS model_final.pth
    python tools/train_net.py --config-file configs/quickstart_synthetic.yaml --num-gpus 2
        # two CPU processes (GLOO) when there is no GPU

See docs/training.md.
"""
import logging
import os
import sys

import torch

import siamtrack  # noqa: F401  (first: registers everything and quiets upstream import warnings)
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.data import DatasetCatalog
from detectron2.engine import default_argument_parser, default_setup
from detectron2.evaluation import verify_results
from detectron2.utils import comm
from detectron2.utils.logger import setup_logger

from siamtrack.config import ConfigError, load_config
from siamtrack.data.build import per_dataset_values
from siamtrack.engine import SiamTrainer, build_lr_multiplier, finalize_solver_config, launch
from siamtrack.evaluation import BenchmarkError, canonical_name
from siamtrack.evaluation.benchmarks import default_root




def check_arguments(args):
    """Fail fast, in the launching process, with one line for a bad config or dataset name."""
    try:
        cfg = load_config(args.config_file, args.opts)
    except ConfigError as exc:
        fail(str(exc))
    try:  # the schedule is otherwise first built inside the launched processes
        build_lr_multiplier(finalize_solver_config(cfg))
    except ValueError as exc:
        fail(f"bad solver config: {exc}")
    registered = set(DatasetCatalog.list())
    train = [] if args.eval_only else list(cfg.DATASETS.TRAIN)
    # DATASETS.TEST also takes benchmark aliases ("OTB100", "otb"), as the evaluator does.
    unknown = [name for name in train if name not in registered] + [
        name for name in cfg.DATASETS.TEST if name not in registered and not is_benchmark(name)]
    if unknown:
        fail(f"unknown dataset name(s) {unknown}: see datasets/README.md for the registered names")
    roots = list(cfg.TEST.SIAM.DATASET_ROOTS)
    for i, name in enumerate(cfg.DATASETS.TEST):  # found now, not only after training
        if not is_benchmark(name):
            continue
        root = (roots[i] if i < len(roots) else "") or default_root(name)
        if not os.path.isdir(root):
            fail(f"benchmark {name!r}: dataset folder {root} does not exist "
                 "(set TEST.SIAM.DATASET_ROOTS or $DETECTRON2_DATASETS)")
    if not args.eval_only:
        if not train:
            fail("DATASETS.TRAIN is empty: name at least one training dataset")
        try:
            for key, values in (("DATASETS.SIAM.FRAME_RANGE", cfg.DATASETS.SIAM.FRAME_RANGE),
                                ("DATASETS.SIAM.NUM_USE", cfg.DATASETS.SIAM.NUM_USE)):
                per_dataset_values(values, train, None, key)
        except ValueError as exc:
            fail(str(exc))


def is_benchmark(name):
    """Whether ``name`` is a tracking benchmark name or alias (``OTB100``, ``otb``, ``vot18``)."""
    try:
        canonical_name(name)
    except BenchmarkError:
        return False
    return True


def fail(message):
    """Print one error line on stderr and exit with status 2."""
    print(f"train_net.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def setup(args):
    """Config from the file and trailing options; MAX_ITER derived; detectron2's default setup."""
    cfg = load_config(args.config_file, args.opts)
    if cfg.MODEL.DEVICE.startswith("cuda") and not torch.cuda.is_available():
        logging.getLogger(__name__).warning("CUDA is not available: training on the CPU")
        cfg.MODEL.DEVICE = "cpu"
    finalize_solver_config(cfg)
    cfg.freeze()
    default_setup(cfg, args)
    # detectron2 configures its own loggers; siamtrack's (evaluation, data) log the same way.
    setup_logger(cfg.OUTPUT_DIR, distributed_rank=comm.get_rank(), name="siamtrack")
    return cfg


def main(args):
    """Train, or with ``--eval-only`` evaluate, in one process of the launch."""
    cfg = setup(args)
    if args.eval_only:
        model = SiamTrainer.build_model(cfg)
        DetectionCheckpointer(model, save_dir=cfg.OUTPUT_DIR).resume_or_load(
            cfg.MODEL.WEIGHTS, resume=args.resume
        )
        res = SiamTrainer.test(cfg, model)
        if comm.is_main_process():
            verify_results(cfg, res)
        return res
    trainer = SiamTrainer(cfg)
    trainer.resume_or_load(resume=args.resume)
    return trainer.train()


if __name__ == "__main__":
    args = default_argument_parser().parse_args()
    print("Command Line Args:", args)
    check_arguments(args)
    launch(
        main,
        args.num_gpus,
        num_machines=args.num_machines,
        machine_rank=args.machine_rank,
        dist_url=args.dist_url,
        args=(args,),
    )
