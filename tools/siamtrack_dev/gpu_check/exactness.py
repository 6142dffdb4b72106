"""Exactness on the device: what runs there must give what the CPU gives.

Per model (:mod:`.models`): the raw head maps of four template / search crop pairs of bag.avi
on the device vs the CPU (float32, relative to the largest CPU value, bound 1e-4); the boxes of
100 tracked frames on the device vs the CPU (the reference AlexNet within 0.01 px, the bound of
its pysot trajectory test; a random model's trajectory is reported only, since it amplifies
last-bit differences whenever two anchors nearly tie); half precision and TF32 (PyTorch's
default for cuDNN float32 convolutions) vs float32 on the device. Then GPU crops
(:func:`~siamtrack.structures.crop.torch_crops`) vs OpenCV's, bit for bit.
"""
import cv2
import numpy as np
import torch

from siamtrack.evaluation.metrics.ope import overlap_ratio
from siamtrack.structures.crop import opencv_crops, torch_crops
from siamtrack.tracking import build_tracker, prepare_model
from .models import crop_pairs, device_copy, init_box
from .plan import strict_float32
from .report import CheckLine, judge

__all__ = ["RAW_BOUND", "REFERENCE_BOX_BOUND", "relative_error", "raw_output_error", "track_boxes",
           "crop_cases", "crop_mismatches", "crop_note", "run_exactness"]

RAW_BOUND = 1e-4
REFERENCE_BOX_BOUND = 0.01  # px: tests/test_tracker_reference.py's bound against pysot
SECTION = "exactness"


def relative_error(outputs, reference):
    """Max over the maps of ``max |out - ref| / max |ref|``."""
    worst = 0.0
    for key, ref in reference.items():
        ref = ref.detach().double().cpu()
        diff = (outputs[key].detach().double().cpu() - ref).abs().max().item()
        worst = max(worst, diff / max(ref.abs().max().item(), 1e-30))
    return worst


@torch.no_grad()
def raw_output_error(check_model, device, frames, shared):
    """Relative error of the device's raw maps vs the CPU's, on four crop pairs of bag.avi."""
    z, x = crop_pairs(check_model.cfg, frames, shared)
    cpu = check_model.model
    reference = cpu.track(x, cpu.template(z))
    _, model = device_copy(check_model, device)
    with strict_float32():
        outputs = model.track(x.to(device), model.template(z.to(device)))
    return relative_error(outputs, reference)


def track_boxes(cfg, model, frames, box):
    """Boxes (N, 4) and scores of ``build_tracker(cfg, model)`` over ``frames[1:]`` from ``box``."""
    tracker = build_tracker(cfg, model)
    tracker.init(frames[0], box)
    results = [tracker.track(frame) for frame in frames[1:]]
    return np.array([r["bbox"] for r in results], np.float64), np.array([r["score"] for r in results])


def _prepared(check_model, device, opts=()):
    cfg, model = device_copy(check_model, device, opts)
    return cfg, prepare_model(model, cfg)


def crop_cases(shape):
    """``[(out_size, [(center, side), ...]), ...]``: windows inside, across and outside the edges
    of a frame of ``shape``, each resize path of OpenCV (same size, exact 2x downscale, down and
    up scaling, mostly padding)."""
    height, width = shape[:2]
    centers = [(width / 2, height / 2), (10.3, 20.7), (width - 5.5, height - 3.2), (-30.0, height / 2),
               (width / 2, height + 40.0), (157.25, 98.5)]
    sizes = [(127, 127), (254, 127), (300, 255), (287, 287), (100, 287), (700, 255), (50, 127), (571, 287)]
    return [(out, [(c, side) for c in centers]) for side, out in sizes]


def crop_mismatches(frames, device):
    """``(differing values, compared values)`` of :func:`torch_crops` on ``device`` vs
    :func:`opencv_crops` over :func:`crop_cases` of each frame."""
    differing = compared = 0
    for frame in frames:
        average = np.mean(frame, axis=(0, 1))
        device_frame = torch.from_numpy(frame).to(device)
        for out_size, cases in crop_cases(frame.shape):
            windows = [(center, side, average) for center, side in cases]
            mine = torch_crops(device_frame, windows, out_size).cpu()
            reference = opencv_crops(frame, windows, out_size, "cpu")
            differing += int((mine != reference).sum())
            compared += reference.numel()
    return differing, compared


def _model_lines(report, check_model, device, frames, shared):
    where = "CUDA" if device.type == "cuda" else "CPU"
    label = check_model.label
    report.progress(f"{label}: raw outputs on {where} vs CPU")
    error = raw_output_error(check_model, device, frames, shared)
    report.add(CheckLine(SECTION, f"{label}: raw maps {where} vs CPU, float32", error, "relative",
                         f"<= {RAW_BOUND:g}", judge(error, "<=", RAW_BOUND), "exactness"))
    report.progress(f"{label}: tracking {len(frames) - 1} frames on the CPU and on {where}")
    box = init_box(shared)
    cpu_boxes, _ = track_boxes(*_prepared(check_model, "cpu"), frames, box)
    with strict_float32():
        boxes, _ = track_boxes(*_prepared(check_model, device), frames, box)
    worst = float(np.abs(boxes - cpu_boxes).max())
    name = f"{label}: {len(frames) - 1} tracked frames, {where} vs CPU boxes (worst)"
    if check_model.name == "alexnet":
        report.add(CheckLine(SECTION, name, worst, "px", f"<= {REFERENCE_BOX_BOUND:g} px",
                             judge(worst, "<=", REFERENCE_BOX_BOUND), "exactness"))
    else:
        report.add(CheckLine(SECTION, name, worst, "px", "report only", "INFO", "info",
                             note="a random model's trajectory amplifies last-bit differences"))
    if device.type != "cuda":
        report.add(CheckLine(SECTION, f"{label}: half precision vs float32 boxes", None, "", "report only",
                             "SKIP", "info", note="half precision (TRACK.HALF) is CUDA only"))
        report.add(CheckLine(SECTION, f"{label}: TF32 vs float32 boxes", None, "", "report only", "SKIP",
                             "info", note="TF32 is a CUDA mode"))
        return
    for what, opts, precision in (("half precision (TRACK.HALF)", ["TRACK.HALF", "True"], True),
                                  ("TF32 convolutions (torch's default)", [], False)):
        with strict_float32(precision):
            other, _ = track_boxes(*_prepared(check_model, device, opts), frames, box)
        finite = bool(np.isfinite(other).all())
        iou = float(np.mean(overlap_ratio(boxes, other))) if finite else float("nan")
        worst_other = float(np.abs(other - boxes).max()) if finite else float("nan")
        report.add(CheckLine(SECTION, f"{label}: {what} vs float32 boxes (worst)", worst_other, "px",
                             "report only", "INFO", "info", note=f"mean IoU {iou:.4f}",
                             details={"mean_iou": iou, "finite": finite}))


def run_exactness(report, plan, shared, device, models, frames, deadline):
    """The exactness lines of every model, then the crop line."""
    for check_model in models:
        if deadline.left() <= 0:
            report.add(CheckLine(SECTION, f"{check_model.label}", None, "", "-", "SKIP", "exactness",
                                 note="time budget spent"))
            continue
        with report.guard(SECTION, check_model.label, "exactness"):
            _model_lines(report, check_model, device, frames[:plan.tracked_frames + 1], shared)
    where = "CUDA" if device.type == "cuda" else "CPU"
    name = f"torch_crops on {where} vs OpenCV crops ({plan.crop_frames} frame{'s' if plan.crop_frames > 1 else ''})"
    report.progress(name)
    with report.guard(SECTION, name, "exactness"):
        differing, compared = crop_mismatches(frames[:plan.crop_frames], device)
        control = crop_mismatches(frames[:plan.crop_frames], torch.device("cpu"))[0] if differing else 0
        report.add(CheckLine(SECTION, name, differing, "values differ", "== 0 (bit-exact)",
                             judge(differing, "==", 0), "exactness", note=crop_note(differing, control),
                             details={"compared_values": compared, "cpu_twin_differing": control,
                                      "opencv": cv2.__version__, "numpy": np.__version__}))


def crop_note(differing, cpu_differing):
    """What a crop mismatch points to. The torch twin reproduces the fixed-point arithmetic of the
    OpenCV build it was written against; when the twin on the CPU differs from this machine's
    OpenCV too (``cpu_differing``), the cause is the OpenCV build, not the device."""
    if not differing:
        return ""
    if cpu_differing:
        return (f"the CPU twin differs from OpenCV {cv2.__version__} too ({cpu_differing} values): this OpenCV "
                "build resizes differently, not the device")
    return f"the CPU twin matches OpenCV {cv2.__version__}: the device's crops differ"
