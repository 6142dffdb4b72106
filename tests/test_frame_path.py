"""The walk of one frame is short (docs/architecture.md, "The walk of a frame"): a structural
property of the code, measured with a ``sys.setprofile`` hook, not a timing."""
import os
import sys

import numpy as np
import torch
from detectron2.modeling import build_model

import siamtrack
from siamtrack.config import load_config
from siamtrack.tracking import build_tracker, prepare_model

PACKAGE = os.path.dirname(siamtrack.__file__) + os.sep
# List, dict and set comprehensions are functions on Python <= 3.11 and inlined from 3.12
# (PEP 709): they are not counted; generator expressions are.
INLINED = ("<listcomp>", "<dictcomp>", "<setcomp>")


def walk(call):
    """``(files, functions, depth)`` of siamtrack's code run by ``call()``: the package's files,
    its distinct functions and the most siamtrack frames on the stack at once."""
    files, functions, stack, depth = set(), set(), [], 0

    def hook(frame, event, arg):
        nonlocal depth
        if event == "call":
            code = frame.f_code
            inside = code.co_filename.startswith(PACKAGE)
            stack.append(inside)
            if inside:
                files.add(os.path.relpath(code.co_filename, PACKAGE))
                if code.co_name not in INLINED:
                    functions.add((code.co_filename, code.co_firstlineno, code.co_name))
                depth = max(depth, sum(stack))
        elif event == "return" and stack:
            stack.pop()

    sys.setprofile(hook)
    try:
        call()
    finally:
        sys.setprofile(None)
    return files, functions, depth


def test_one_resnet50_frame_runs_in_8_files_25_functions_7_calls_deep():
    """``tracker.track(frame)`` of the packaged ResNet-50 config with its default settings, after
    a warm-up frame (the first frame builds the cosine window and the anchor grid): at most 8
    siamtrack files, 25 functions, 7 siamtrack calls deep (pysot: 7 files, 14 functions, 6 deep)."""
    cfg = load_config("pysot/siamrpn_r50_l234_dwxcorr", ["MODEL.DEVICE", "cpu"])
    torch.manual_seed(0)
    tracker = build_tracker(cfg, prepare_model(build_model(cfg), cfg))
    frames = np.random.default_rng(0).integers(0, 256, (3, 360, 480, 3), dtype=np.uint8)
    tracker.init(frames[0], (315, 140, 113, 115))
    tracker.track(frames[1])
    files, functions, depth = walk(lambda: tracker.track(frames[2]))
    assert len(files) <= 8, sorted(files)
    assert len(functions) <= 25, sorted(name for _, _, name in functions)
    assert depth <= 7
    assert {"tracking/tracker.py", "structures/crop.py", "modeling/meta_arch.py", "modeling/heads/rpn.py",
            "modeling/box_coder.py", "tracking/postprocess.py"} <= files  # the walk is the one documented
