"""Benchmark (not a test): one ``siamtrack-eval`` run in 2 CPU processes of 1 thread each
against 1 process of 2 threads, on the synthetic OTB-layout benchmark (``write_synthetic_otb``,
320 x 240 frames), in one run; prints both wall times and their ratio (docs/evaluation.md,
"Several processes, GPUs and machines").

    python tools/benchmark_eval_processes.py [--sequences 6] [--frames 40] [--config pysot/siamrpn_alex_dwxcorr]

Each command is timed from start to exit (process start-up, model loading and scoring
included), the 1-process run first, then the 2-process run, then both again; the best of the
two timings of each is kept.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch
from detectron2.modeling import build_model

from siamtrack.config import load_config
from siamtrack.data.datasets.synthetic import write_synthetic_otb


def timed(command):
    """Seconds the command took (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    """Build the benchmark and the weights, time both splits twice, print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sequences", type=int, default=6)
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--config", default="pysot/siamrpn_alex_dwxcorr")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_otb(os.path.join(tmp, "otb"), num_videos=args.sequences, num_frames=args.frames)
        torch.manual_seed(0)
        weights = os.path.join(tmp, "w.pth")
        torch.save({"model": build_model(load_config(args.config, ["MODEL.DEVICE", "cpu"])).state_dict()}, weights)
        tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "eval_tracker.py")
        base = [sys.executable, tool, "--config-file", args.config, "--dataset", "otb",
                "--dataset-root", os.path.join(tmp, "otb"), "--no-progress", "--no-resume"]
        runs = {"1 process x 2 threads": ["--num-gpus", "1", "--threads", "2"],
                "2 processes x 1 thread": ["--num-gpus", "2", "--threads", "1"]}
        best = {name: float("inf") for name in runs}
        for repeat in range(2):
            for name, extra in runs.items():
                out = os.path.join(tmp, f"out{repeat}-{extra[1]}")
                best[name] = min(best[name], timed(base + ["--output", out] + extra +
                                                   ["MODEL.WEIGHTS", weights, "MODEL.DEVICE", "cpu"]))
    frames = args.sequences * args.frames
    for name, seconds in best.items():
        print(f"{name}: {seconds:.1f} s for {frames} frames ({frames / seconds:.1f} frames/s)")
    print(f"speed-up of 2 processes x 1 thread over 1 process x 2 threads: "
          f"{best['1 process x 2 threads'] / best['2 processes x 1 thread']:.2f}x")


if __name__ == "__main__":
    main()
