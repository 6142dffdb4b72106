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
import sys

import torch

import siamtrack  # noqa: F401  (first: registers everything and quiets upstream import warnings)
from detectron2.checkpoint import DetectionCheckpointer
from detectron2.config import get_cfg
from detectron2.data import DatasetCatalog
from detectron2.engine import default_argument_parser, default_setup
from detectron2.evaluation import verify_results
from detectron2.utils import comm
from detectron2.utils.logger import setup_logger

from siamtrack import add_siamtrack_config
from siamtrack.engine import SiamTrainer, finalize_solver_config, launch


def load_config(args):
    """The config of ``--config-file`` with siamtrack's keys and the trailing options merged in."""
    cfg = add_siamtrack_config(get_cfg())
    cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts)
    return cfg


def check_arguments(args):
    """Fail fast, in the launching process, with one line for a bad config or dataset name."""
    try:
        cfg = load_config(args)
    except Exception as exc:  # yacs/detectron2 raise assorted types for bad files and keys
        fail(f"bad config ({args.config_file!r}, {args.opts}): {exc}")
    names = list(cfg.DATASETS.TRAIN if not args.eval_only else []) + list(cfg.DATASETS.TEST)
    unknown = [name for name in names if name not in DatasetCatalog.list()]
    if unknown:
        fail(f"unknown dataset name(s) {unknown}: see datasets/README.md for the registered names")


def fail(message):
    """Print one error line on stderr and exit with status 2."""
    print(f"train_net.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def setup(args):
    """Config from the file and trailing options; MAX_ITER derived; detectron2's default setup."""
    cfg = load_config(args)
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
