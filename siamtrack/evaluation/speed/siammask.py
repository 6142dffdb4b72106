"""What skipping SiamMask's unused mask-head output saves (docs/deploy.md, "SiamMask").

pysot's ``ModelBuilder.track`` runs the mask head's last 1x1 convolution (256 -> 3969 channels
on the 25 x 25 map) on every frame, and its tracker never reads the result: only the
correlation feature before it feeds the refine module. siamtrack's :class:`SiamMask` skips it
unless ``mask_logits`` is set. Measured in one run, interleaved (a busy machine slows all alike):

* ``baseline``: pysot's way, the eager model as loaded (no BatchNorm folding) computing the
  mask logits, in the SiamMask tracker;
* ``siamtrack``: ``build_tracker(cfg)``'s default model and tracker;
* ``network``: the prepared model's ``track()`` with and without the mask logits, alone.

    python -m siamtrack.evaluation.speed.siammask [--video bag.avi] [--frames 5] [--repeats 3] \\
        [MODEL.WEIGHTS siammask.pth]

prints seconds per frame and the speed-ups over the baseline (medians over the repeats).
"""
import argparse
import statistics
import time

import torch
from detectron2.modeling import build_model

from ...checkpoint.loading import load_weights
from ...config import load_config
from ...tracking import SiamMaskTracker, build_tracker
from ...tracking.build import prepare_model
from .io import load_frames, target_boxes

__all__ = ["measure_mask_saving", "main"]


def _tracker_runner(tracker, frames, box):
    def run():
        tracker.init(frames[0], box)
        start = time.perf_counter()
        for frame in frames[1:]:
            tracker.track(frame)
        return (time.perf_counter() - start) / (len(frames) - 1)
    return run


def _network_runner(model, crops, state, mask_logits):
    def run():
        model.mask_logits = mask_logits
        start = time.perf_counter()
        with torch.inference_mode():
            for crop in crops:
                model.track(crop, state)
        model.mask_logits = False
        return (time.perf_counter() - start) / len(crops)
    return run


def measure_mask_saving(cfg, frames=5, repeats=3, video=None):
    """Seconds per frame of the candidates of the module doc and their ratios, as a dict:
    ``{"seconds": {name: median}, "speedup_tracker": baseline / siamtrack,
    "speedup_network": with mask logits / without}``. ``cfg`` is a SiamMask config on the CPU."""
    clip, source = load_frames(video, frames + 1)
    box = target_boxes(1, clip[0].shape)[0]
    eager = build_model(cfg).eval()
    if cfg.MODEL.WEIGHTS:
        load_weights(eager, cfg.MODEL.WEIGHTS)
    eager.mask_logits = True
    prepared = build_model(cfg).eval()
    prepared.load_state_dict(eager.state_dict())
    prepare_model(prepared, cfg)
    crops = [torch.rand(1, 3, cfg.TRACK.INSTANCE_SIZE, cfg.TRACK.INSTANCE_SIZE) * 255 for _ in range(frames)]
    with torch.inference_mode():
        state = prepared.template(torch.rand(1, 3, cfg.TRACK.EXEMPLAR_SIZE, cfg.TRACK.EXEMPLAR_SIZE) * 255)
    runners = {
        "baseline": _tracker_runner(SiamMaskTracker(eager, cfg), clip, box),
        "siamtrack": _tracker_runner(build_tracker(cfg, prepared), clip, box),
        "network_with_mask_logits": _network_runner(prepared, crops, state, True),
        "network_without": _network_runner(prepared, crops, state, False),
    }
    times = {name: [] for name in runners}
    for name, run in runners.items():  # warm-up
        run()
    for _ in range(repeats):
        for name, run in runners.items():
            times[name].append(run())
    seconds = {name: statistics.median(values) for name, values in times.items()}
    return {"frames": source, "seconds": seconds,
            "speedup_tracker": seconds["baseline"] / seconds["siamtrack"],
            "speedup_network": seconds["network_with_mask_logits"] / seconds["network_without"]}


def main(argv=None):
    """Print the measurement of :func:`measure_mask_saving` (see the module doc)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config-file", default="pysot/siammask_r50_l3")
    parser.add_argument("--video", default=None, help="video or image folder (default: a generated clip)")
    parser.add_argument("--frames", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides KEY VALUE ...")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config_file, ["MODEL.DEVICE", "cpu", *args.opts])
    result = measure_mask_saving(cfg, args.frames, args.repeats, args.video)
    print(f"SiamMask on the CPU, {torch.get_num_threads()} threads, {result['frames']}; seconds per frame "
          "(medians):")
    for name, value in result["seconds"].items():
        print(f"  {name:26s} {value:.4f}")
    print(f"tracker speed-up over the pysot-equivalent baseline: {result['speedup_tracker']:.2f}x")
    print(f"network speed-up from skipping the mask logits:      {result['speedup_network']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
