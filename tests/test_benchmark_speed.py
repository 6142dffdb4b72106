"""siamtrack-benchmark: the pysot-equivalent baseline follows pysot's trajectory, the CLI writes
its JSON with the expected fields on a tiny config, bad options are one line. No timing is asserted."""
import copy
import json

import cv2
import numpy as np
import pytest
import torch
from detectron2.modeling import build_model

from conftest import REPO_ROOT
from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file
from siamtrack.config import load_config
from siamtrack.checkpoint.loading import load_weights
from siamtrack.evaluation.speed import STAGES, PysotBaselineTracker, check_export_matches, measure_speed
from siamtrack.export import ExportError, export_onnx
from siamtrack.export.exporter import cpu_float32
from siamtrack.tracking import StageTimer
from siamtrack.utils.errors import InputError
from siamtrack_cli import benchmark
from siamtrack_dev import benchmark_rows

ALEX = REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml"
TINY = REPO_ROOT / "configs" / "quickstart_synthetic.yaml"
FRAMES = 12


def test_baseline_is_pysot(reference_dir, bag_video, tmp_path):
    """The baseline's boxes are pysot's on bag.avi (the reference AlexNet, 0.01 px), and it times
    the four stages."""
    folder = reference_dir / "pysot_siamrpn_alex_dwxcorr"
    checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(folder / "weights.pth"), ALEX)
    torch.save(checkpoint, tmp_path / "alex.pth")
    cfg = load_config(str(ALEX), ["MODEL.DEVICE", "cpu"])
    track = json.loads((folder / "track.json").read_text())
    capture = cv2.VideoCapture(str(bag_video))
    frames = [capture.read()[1] for _ in range(FRAMES + 1)]
    capture.release()
    timer = StageTimer()
    model = build_model(cfg).eval()  # as the benchmark builds it: eager, unprepared
    load_weights(model, tmp_path / "alex.pth")
    tracker = PysotBaselineTracker(model, cfg, timer)
    tracker.init(frames[0], track["init_box"])
    boxes = [tracker.track(frame)["bbox"] for frame in frames[1:]]
    np.testing.assert_allclose(boxes, np.array(track["boxes"][1:FRAMES + 1]), rtol=0, atol=0.01)
    assert sorted(timer.seconds) == sorted(STAGES) and all(v > 0 for v in timer.seconds.values())


def test_benchmark_cli_writes_json(tmp_path, capsys):
    out = tmp_path / "speed.json"
    status = benchmark.main(["--config-file", str(TINY), "--device", "cpu", "--targets", "1", "2", "--frames", "1",
                             "--repeats", "2", "--warmup", "1", "--json", str(out)])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    result = json.loads(out.read_text())
    assert result["complete"] is True and result["config"] == str(TINY)
    assert result["baseline"] == "pysot_baseline" and result["backends"] == ["torch", "onnxruntime"]
    assert result["gflop_per_target_frame"] > 0 and result["repeats"] == 2 and result["frames_per_repeat"] == 1
    machine = result["machine"]
    assert machine["cpu_count"] >= 1 and len(machine["load_average_start"]) == 3 and len(machine["load_average_end"]) == 3
    assert [s["targets"] for s in result["results"]] == [1, 2]
    for section in result["results"]:
        assert set(section["candidates"]) == {"pysot_baseline", "torch", "onnxruntime"}
        assert section["fastest"] in ("torch", "onnxruntime")
        for c in section["candidates"].values():
            assert set(c["stages_ms"]) == set(STAGES) and len(c["ms_per_frame_repeats"]) == 2
            assert c["ms_per_frame"] > 0 and c["speedup"] > 0 and len(c["speedup_repeats"]) == 2
            assert c["target_frames_per_s"] == pytest.approx(1000 * section["targets"] / c["ms_per_frame"])
            assert c["gflop_per_frame"] == pytest.approx(result["gflop_per_target_frame"] * section["targets"])
        assert section["candidates"]["pysot_baseline"]["speedup"] == 1.0
    assert benchmark_rows.main([str(out), "tiny"]) == 0  # tools/benchmark_rows.py: the README rows
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith("| `tiny`")]
    assert len(rows) == 6 and "speed-up" in printed


def test_benchmark_times_the_torch_variants(tmp_path, capsys):
    """torch-winograd, torch-bf16 and torch-fused are the torch backend with TRACK.WINOGRAD /
    TRACK.BF16 / TRACK.FUSE_CONV_BN + CHANNELS_LAST (and only that; "torch" is the exact default), timed beside the baseline and labelled in the README rows."""
    from siamtrack.evaluation.speed.measure import _backend_cfg

    cfg = load_config(str(TINY), ["MODEL.DEVICE", "cpu"])
    options = ("WINOGRAD", "BF16", "FUSE_CONV_BN", "CHANNELS_LAST")
    for name, keys in (("torch-winograd", ["WINOGRAD"]), ("torch-bf16", ["BF16"]),
                       ("torch-fused", ["FUSE_CONV_BN", "CHANNELS_LAST"])):
        variant = _backend_cfg(cfg, name, None)
        assert variant.TRACK.BACKEND == "torch"
        assert [k for k in options if variant.TRACK[k]] == keys
    cfg.defrost()
    cfg.TRACK.FUSE_CONV_BN = True  # whatever the config says, "torch" is the exact default path
    assert not any(_backend_cfg(cfg, "torch", None).TRACK[k] for k in options)
    out = tmp_path / "speed.json"
    status = benchmark.main(["--config-file", str(TINY), "--device", "cpu", "--frames", "1", "--repeats", "1",
                             "--warmup", "0", "--backends", "torch-winograd,torch-bf16,torch-fused", "--json", str(out)])
    printed = capsys.readouterr()
    assert status == 0, printed.err
    (section,) = json.loads(out.read_text())["results"]
    assert set(section["candidates"]) == {"pysot_baseline", "torch-winograd", "torch-bf16", "torch-fused"}
    assert benchmark_rows.main([str(out), "tiny"]) == 0
    printed = capsys.readouterr()
    assert "| torch, Winograd (float32) |" in printed.out and "| torch, bfloat16 (not exact) |" in printed.out
    assert "| torch, folded conv+BN (float32) |" in printed.out


@pytest.mark.parametrize("args, message", [
    (["--backends", "torch,tensorrt"], "--backends takes distinct values of torch, onnxruntime"),
    (["--targets", "1", "0"], "--targets must be at least 1"),
    (["--targets", "100000"], "--targets must be at most 128"),
    (["--repeats", "0"], "--repeats must be at least 1"),
    (["--onnx", "/nonexistent"], "is not an exported folder"),
])
def test_bad_options_are_one_line(args, message, capsys):
    status = benchmark.main(["--config-file", str(TINY), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and message in err[0], err


def test_frames_too_small_for_the_targets_are_one_line(tmp_path, capsys):
    """1x1 frames gave OpenCV's assertion from the baseline's resize."""
    for i in range(2):
        cv2.imwrite(str(tmp_path / f"{i:04d}.png"), np.zeros((1, 1, 3), np.uint8))
    status = benchmark.main(["--config-file", str(TINY), "--device", "cpu", "--video", str(tmp_path), "--frames", "1",
                             "--repeats", "1", "--warmup", "0", "--backends", "torch"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err == [f"siamtrack-benchmark: error: {tmp_path}: frames of 1x1 pixels; the benchmark "
                                   "needs at least 32x32 (its targets are a fifth of the frame wide)"]
    with pytest.raises(InputError, match="target counts must be from 1 to 128"):
        measure_speed(load_config(str(TINY), ["MODEL.DEVICE", "cpu"]), targets=(1, 129))


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory):
    """The tiny config, a seeded random model of it and its export."""
    cfg = load_config(str(TINY), ["MODEL.DEVICE", "cpu"])
    torch.manual_seed(1)
    model = build_model(cfg).eval()
    folder = tmp_path_factory.mktemp("tiny") / "export"
    export_onnx(model, folder, cfg=cfg)
    return cfg, model, folder


def test_an_export_of_another_model_is_refused(tiny_export, tmp_path, capsys):
    """--onnx of an export whose network or weights are not the config's: one line before any
    timing (it used to time another network and report its speed-up)."""
    cfg, model, folder = tiny_export
    check_export_matches(model, cfg, folder)  # its own export passes
    torch.manual_seed(2)
    other = build_model(cfg).eval()
    with pytest.raises(ExportError, match="is not an export of this config's model and weights"):
        check_export_matches(other, cfg, folder)
    torch.save({"model": other.state_dict()}, tmp_path / "other.pth")
    status = benchmark.main(["--config-file", str(TINY), "--device", "cpu", "--onnx", str(folder), "--frames", "1",
                             "--repeats", "1", "--warmup", "0", "--json", str(tmp_path / "r.json"),
                             "MODEL.WEIGHTS", str(tmp_path / "other.pth")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "is not an export of this config's model and weights" in err[0], err
    assert not (tmp_path / "r.json").exists()
    wider = load_config(str(TINY), ["MODEL.DEVICE", "cpu", "MODEL.SIAM_ALEXNET.WIDTH_MULT", "0.5"])
    with pytest.raises(ExportError):  # another width: other maps (or graphs that cannot take them)
        check_export_matches(build_model(wider).eval(), wider, folder)


def test_a_model_off_the_cpu_is_exported_from_a_cpu_float32_copy(tiny_export, tmp_path):
    """siamtrack-benchmark on a GPU machine exports its CUDA model: the export traces and checks
    a float32 CPU copy (a float64 model stands in for a device the CPU cannot hold) and leaves
    the model as it is."""
    cfg, model, _ = tiny_export
    assert cpu_float32(model) is model
    double = copy.deepcopy(model).double()
    moved = cpu_float32(double)
    assert moved is not double and next(double.parameters()).dtype == torch.float64
    assert all(t.dtype == torch.float32 and t.device.type == "cpu" for t in moved.parameters())
    manifest = export_onnx(double, tmp_path / "export", cfg=cfg)
    assert max(manifest["check"]["max_relative_difference"].values()) <= 1e-4
