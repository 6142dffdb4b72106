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

import torch

from detectron2.checkpoint import DetectionCheckpointer
from detectron2.config import get_cfg
from detectron2.engine import default_argument_parser, default_setup
from detectron2.evaluation import verify_results
from detectron2.utils import comm

import siamtrack  # noqa: F401  (registers the model, datasets)
import siamtrack.data  # noqa: F401
import siamtrack.modeling  # noqa: F401
from siamtrack import add_siamtrack_config
from siamtrack.engine import SiamTrainer, finalize_solver_config, launch


def setup(args):
    """Config from the file and trailing options; MAX_ITER derived; detectron2's default setup."""
    cfg = add_siamtrack_config(get_cfg())
    cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts)
    if cfg.MODEL.DEVICE.startswith("cuda") and not torch.cuda.is_available():
        logging.getLogger(__name__).warning("CUDA is not available: training on the CPU")
        cfg.MODEL.DEVICE = "cpu"
    finalize_solver_config(cfg)
    cfg.freeze()
    default_setup(cfg, args)
    return cfg


def main(args):
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
    launch(
        main,
        args.num_gpus,
        num_machines=args.num_machines,
        machine_rank=args.machine_rank,
        dist_url=args.dist_url,
        args=(args,),
    )
