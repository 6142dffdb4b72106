"""On a CUDA GPU (marker ``cuda``; skipped without one, run by ``tools/gpu_check.py``):
GPU crops, the reference AlexNet, half precision, an AMP training step, several targets and
the CUDA-graph wrapper, each against the CPU or the plain path. Every network call on CUDA runs
inside ``strict_float32()`` (PyTorch's default lets cuDNN use TF32 for float32 convolutions):
tests/test_gpu_check.py checks that on the CPU."""
import numpy as np
import pytest
import torch

from siamtrack.config import load_config
from siamtrack_dev.gpu_check.accelerate import CudaGraphTrack
from siamtrack_dev.gpu_check.exactness import crop_cases, raw_output_error, relative_error, track_boxes
from siamtrack_dev.gpu_check.models import build_check_model, device_copy, init_box, load_frames
from siamtrack_dev.gpu_check.plan import SharedData, strict_float32, tiny_plan
from siamtrack_dev.gpu_check.training import make_batches, train_steps, training_config
from siamtrack.evaluation.metrics.ope import overlap_ratio
from siamtrack.model_zoo import get_config_file
from siamtrack.structures.crop import opencv_crops, torch_crops
from siamtrack.tracking import build_tracker, prepare_model

pytestmark = pytest.mark.cuda

CUDA = torch.device("cuda")
FRAMES = 20


@pytest.fixture(scope="module")
def shared(reference_dir, bag_video):
    """The shared data folder (reference/ and data/bag.avi) the fixtures found."""
    data = SharedData(reference_dir.parent)
    assert data.video.resolve() == bag_video.resolve()
    return data


@pytest.fixture(scope="module")
def frames(shared):
    return load_frames(shared, FRAMES + 1)


@pytest.fixture(scope="module")
def alexnet(shared, frames):
    """pysot's reference AlexNet (converted weights) on the CPU."""
    return build_check_model("alexnet", shared, frames, tiny=False)


def prepared(check_model, device, *opts):
    cfg, model = device_copy(check_model, device, opts)
    return cfg, prepare_model(model, cfg)


def test_gpu_crops_equal_opencv_crops_on_bag_frames(frames):
    """torch_crops of a frame uploaded to the GPU gives OpenCV's pixels, every resize path."""
    for frame in frames[:5]:
        average = np.mean(frame, axis=(0, 1))
        device_frame = torch.from_numpy(frame).to(CUDA)
        for out_size, cases in crop_cases(frame.shape):
            windows = [(center, side, average) for center, side in cases]
            crops = torch_crops(device_frame, windows, out_size)
            assert crops.device.type == "cuda"
            assert torch.equal(crops.cpu(), opencv_crops(frame, windows, out_size, "cpu")), (out_size, cases)


def test_reference_alexnet_on_cuda_matches_cpu_and_pysot(shared, frames, alexnet):
    assert raw_output_error(alexnet, CUDA, frames, shared) <= 1e-4
    io = np.load(shared.reference / "io.npz")
    _, model = device_copy(alexnet, CUDA)
    with torch.no_grad(), strict_float32():
        state = model.template(torch.from_numpy(io["template"]).to(CUDA))
        out = model.track(torch.from_numpy(io["search"]).to(CUDA), state)
    assert relative_error(out, {key: torch.from_numpy(io[key]) for key in ("cls", "loc")}) <= 1e-4


def test_half_precision_tracker_follows_float32(shared, frames, alexnet, tmp_path):
    """build_tracker with TRACK.HALF runs the network in half precision on CUDA; its boxes stay
    close to float32's over 20 frames of bag.avi."""
    weights = tmp_path / "alex.pth"
    torch.save({"model": alexnet.model.state_dict()}, weights)
    cfg = load_config(get_config_file("pysot/siamrpn_alex_dwxcorr"),
                      ["MODEL.WEIGHTS", str(weights), "MODEL.DEVICE", "cuda", "TRACK.HALF", "True"])
    tracker = build_tracker(cfg)
    assert next(tracker.model.parameters()).dtype == torch.float16
    with strict_float32():
        half, scores = track_boxes(cfg, tracker.model, frames, init_box(shared))
        single, _ = track_boxes(*prepared(alexnet, CUDA), frames, init_box(shared))
    assert np.isfinite(half).all() and ((scores >= 0) & (scores <= 1)).all()
    assert overlap_ratio(single, half).mean() >= 0.8


def test_amp_training_step():
    """SiamTrainLoop with AMP on CUDA: finite losses, no skipped step, a loss scale, GPU memory used."""
    cfg = training_config(tiny_plan(), CUDA, amp=True)
    assert cfg.SOLVER.AMP.ENABLED
    result = train_steps(cfg, make_batches(cfg, 2), iterations=4, warmup=1)
    assert np.isfinite(result["losses"]).all() and result["skipped"] == 0
    assert result["grad_scale"] is not None and np.isfinite(result["grad_scale"]) and result["grad_scale"] > 0
    assert result["peak_mib"] > 0


def test_several_targets_on_cuda(shared, frames, alexnet):
    """Three targets in one batched forward on CUDA give the boxes of one forward per target and
    of the CPU (to 0.01 px over 5 frames; cuDNN may pick other kernels per batch size)."""
    boxes = [init_box(shared), [40.0, 200.0, 80.0, 60.0], [200.0, 50.0, 40.0, 90.0]]
    runs = {}
    for name, device, batched in (("cuda", CUDA, True), ("cuda-single", CUDA, False), ("cpu", "cpu", True)):
        cfg, model = prepared(alexnet, device, "TRACK.BATCH_TARGETS", str(batched))
        tracker = build_tracker(cfg, model)
        with strict_float32():  # the template branch too: TF32 there would move boxes by ~1e-3 relative
            tracker.init(frames[0], boxes)
            runs[name] = np.array([[r["bbox"] for r in tracker.track(frame)] for frame in frames[1:6]])
    assert runs["cuda"].shape == (5, 3, 4)
    assert np.abs(runs["cuda"] - runs["cuda-single"]).max() <= 0.01
    assert np.abs(runs["cuda"] - runs["cpu"]).max() <= 0.01


def test_cuda_graph_wrapper_tracks_like_the_plain_model(shared, frames, alexnet):
    cfg, model = prepared(alexnet, CUDA)
    with strict_float32():
        plain, _ = track_boxes(cfg, model, frames[:6], init_box(shared))
        graphed, _ = track_boxes(cfg, CudaGraphTrack(model), frames[:6], init_box(shared))
    assert np.abs(plain - graphed).max() <= 1e-3
