"""pysot checkpoint conversion: every released key layout, containers, strictness, the CLI."""
import os
from collections import OrderedDict

import pytest
import torch

from conftest import REPO_ROOT
from siamtrack.checkpoint.pysot import (
    ConversionError, convert_pysot_checkpoint, detect_experiment, rename_alexnet_layout, save_checkpoint,
)
from siamtrack_cli import convert as convert_tool

LISTINGS = {
    "siamrpn_r50_l234_dwxcorr": "siamrpn_r50_l234_dwxcorr.txt",
    "siamrpn_alex_dwxcorr": "siamrpn_alex_dwxcorr.txt",
    "siamrpn_mobilev2_l234_dwxcorr": "siamrpn_mobilev2_l234_dwxcorr.txt",
    "siammask_r50_l3": "siammask_r50_l3.txt",
}


def fake_state_dict(path):
    """Zeros (and a distinct value per tensor) with the shapes of a pysot key listing."""
    out = OrderedDict()
    for i, line in enumerate(path.read_text().splitlines()):
        parts = line.split()
        if not parts:
            continue
        shape = [int(v) for v in parts[1].split("x")] if len(parts) > 1 else []
        if parts[0].endswith("num_batches_tracked"):
            out[parts[0]] = torch.tensor(i, dtype=torch.int64)
        else:
            out[parts[0]] = torch.full(shape, float(i))
    return out


@pytest.fixture(scope="module")
def listings(reference_dir):
    return {name: fake_state_dict(reference_dir / "pysot_keys" / fname) for name, fname in LISTINGS.items()}


@pytest.mark.parametrize("experiment", list(LISTINGS))
def test_every_listed_key_converts_with_its_shape(listings, experiment):
    source = listings[experiment]
    checkpoint, detected = convert_pysot_checkpoint(source)
    assert detected == experiment
    model = checkpoint["model"]
    assert list(model) == list(source)
    for key, value in source.items():
        assert model[key].shape == value.shape and torch.equal(model[key], value), key


def test_detection_of_unweighted_r50_and_siammask(listings):
    r50 = OrderedDict((k, v) for k, v in listings["siamrpn_r50_l234_dwxcorr"].items()
                      if k not in ("rpn_head.cls_weight", "rpn_head.loc_weight"))
    assert detect_experiment(r50) == "siamrpn_r50_l234_dwxcorr_otb"
    checkpoint, _ = convert_pysot_checkpoint(r50)
    assert len(checkpoint["model"]) == 456
    mask = listings["siammask_r50_l3"]
    assert detect_experiment(mask) == "siammask_r50_l3"
    assert len(convert_pysot_checkpoint(mask)[0]["model"]) == 356
    without_refine = OrderedDict((k, v) for k, v in mask.items() if not k.startswith("refine_head."))
    with pytest.raises(ConversionError, match="missing"):
        convert_pysot_checkpoint(without_refine)


def test_containers_prefixes_and_num_batches_tracked(listings):
    source = listings["siamrpn_alex_dwxcorr"]
    wrapped = {"epoch": 3, "state_dict": OrderedDict(("module." + k, v) for k, v in source.items())}
    assert torch.equal(convert_pysot_checkpoint(wrapped)[0]["model"]["backbone.features.14.weight"],
                       source["backbone.features.14.weight"])
    without_nbt = OrderedDict((k, v) for k, v in source.items() if not k.endswith("num_batches_tracked"))
    model = convert_pysot_checkpoint(without_nbt)[0]["model"]
    assert len(model) == 75 and int(model["backbone.features.1.num_batches_tracked"]) == 0


def test_alexnet_layered_names_are_renamed(listings):
    source = listings["siamrpn_alex_dwxcorr"]
    layered = rename_alexnet_layout(source, "layered")
    assert "backbone.layer4.1.running_var" in layered and "backbone.features.12.running_var" not in layered
    model = convert_pysot_checkpoint(layered)[0]["model"]
    assert torch.equal(model["backbone.features.12.running_var"], source["backbone.features.12.running_var"])
    to_layered = convert_pysot_checkpoint(source, REPO_ROOT / "configs" / "siamrpn_alex.yaml")
    assert "backbone.features.0.weight" in to_layered[0]["model"]


def test_strictness_errors_name_counts_and_keys(listings):
    source = listings["siamrpn_alex_dwxcorr"]
    missing = OrderedDict((k, v) for k, v in source.items() if not k.startswith("rpn_head.loc.head."))
    with pytest.raises(ConversionError, match=r"7 missing \(rpn_head\.loc\.head\.0\.weight"):
        convert_pysot_checkpoint(missing)
    extra = OrderedDict(source, **{"rpn_head.extra.weight": torch.zeros(3)})
    with pytest.raises(ConversionError, match=r"1 unexpected \(rpn_head\.extra\.weight\)"):
        convert_pysot_checkpoint(extra)
    bad = OrderedDict(source)
    bad["rpn_head.cls.head.3.bias"] = torch.zeros(12)
    with pytest.raises(ConversionError, match=r"1 mis-shaped \(rpn_head\.cls\.head\.3\.bias \[12\] vs model \[10\]"):
        convert_pysot_checkpoint(bad)
    r50_config = REPO_ROOT / "configs" / "pysot" / "siamrpn_r50_l234_dwxcorr.yaml"
    with pytest.raises(ConversionError, match=r"\d+ missing .*; \d+ unexpected .*, \.\.\."):
        convert_pysot_checkpoint(source, r50_config)


def test_not_a_model_checkpoint():
    backbone_only = OrderedDict((f"features.{i}.weight", torch.zeros(2)) for i in range(3))
    with pytest.raises(ConversionError, match="features.*not a pysot model checkpoint"):
        convert_pysot_checkpoint(backbone_only)
    with pytest.raises(ConversionError, match="not a tensor"):
        convert_pysot_checkpoint({"backbone.x": 3})
    with pytest.raises(ConversionError, match="recognise"):
        convert_pysot_checkpoint({"backbone.other.weight": torch.zeros(1)})


def test_cli_exit_codes(listings, tmp_path, capsys):
    good = tmp_path / "model.pth"
    torch.save(listings["siamrpn_mobilev2_l234_dwxcorr"], good)
    assert convert_tool.main([str(good), str(tmp_path / "out.pth")]) == 0
    assert "--config-file pysot/siamrpn_mobilev2_l234_dwxcorr.yaml " in capsys.readouterr().out
    converted = torch.load(tmp_path / "out.pth", weights_only=True)["model"]
    assert converted["backbone.layer0.0.weight"].shape == (44, 3, 3, 3)

    garbage = tmp_path / "garbage.pth"
    garbage.write_text("not a checkpoint")
    text = tmp_path / "text.pth"
    text.write_text("e = 1\n")  # torch.load: KeyError: 101 (the byte 'e' as a pickle opcode)
    broken = tmp_path / "broken.pth"
    torch.save(OrderedDict((k, v) for k, v in listings["siamrpn_alex_dwxcorr"].items() if "head.3" not in k), broken)
    unbuildable = tmp_path / "unbuildable.yaml"
    unbuildable.write_text("MODEL:\n  SIAM_NECK:\n    NAME: Bogus\n")
    for args in ([str(garbage), str(tmp_path / "o.pth")], [str(tmp_path / "absent.pth"), str(tmp_path / "o.pth")],
                 [str(broken), str(tmp_path / "o.pth")],
                 [str(good), str(tmp_path / "o.pth"), "--config-file", str(tmp_path / "none.yaml")],
                 [str(good), str(tmp_path / "o.pth"), "--config-file", str(unbuildable)],
                 [str(text), str(tmp_path / "o.pth")],
                 [str(good), str(tmp_path)]):  # onto an existing directory
        assert convert_tool.main(args) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("siamtrack-convert: error: ") and "\n" not in err and "Traceback" not in err, err
    assert not (tmp_path / "o.pth").exists()
    assert convert_tool.main([str(good), str(tmp_path / "missing" / "o.pth")]) == 0  # 20: folders are created
    assert (tmp_path / "missing" / "o.pth").is_file()


def test_save_checkpoint_is_atomic_and_reports_one_line(tmp_path):
    with pytest.raises(ConversionError, match="it is a folder"):
        save_checkpoint({"model": {}}, tmp_path)
    with pytest.raises(ConversionError, match="cannot write"):
        save_checkpoint({"model": {}}, "/proc/o.pth")  # no file can be created there, even as root
    target = tmp_path / "w.pth"
    target.write_bytes(b"old")

    class Unpicklable:
        def __reduce__(self):
            raise KeyboardInterrupt  # stopped in the middle of torch.save

    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"model": Unpicklable()}, target)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["w.pth"]
    save_checkpoint({"model": {"w": torch.ones(2)}}, target)
    assert torch.equal(torch.load(target, weights_only=True)["model"]["w"], torch.ones(2))


def run_convert(capsys, *args):
    status = convert_tool.main([str(a) for a in args])
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return status, err


def test_cli_messages_name_the_real_cause(listings, tmp_path, capsys):
    """A text file is "not a PyTorch checkpoint" (torch.load says KeyError: 101); a converted
    checkpoint is "already converted"; a folder or an unwritable place as output names the
    user's path, never the temporary file."""
    text = tmp_path / "notes.pth"
    text.write_text("e = 1\n")
    status, err = run_convert(capsys, text, tmp_path / "o.pth")
    assert status == 2 and f"{text} is not a PyTorch checkpoint (a text file)" in err
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    assert run_convert(capsys, empty, tmp_path / "o.pth") == (2, f"siamtrack-convert: error: {empty} is not a "
                                                               "PyTorch checkpoint (an empty file)")
    good = tmp_path / "pysot.pth"
    torch.save(listings["siamrpn_alex_dwxcorr"], good)
    converted = tmp_path / "converted.pth"
    assert run_convert(capsys, good, converted)[0] == 0
    status, err = run_convert(capsys, converted, tmp_path / "again.pth")
    assert status == 2 and "already a converted siamtrack" in err and "MODEL.WEIGHTS" in err
    folder = tmp_path / "existing"
    folder.mkdir()
    status, err = run_convert(capsys, good, folder)
    assert status == 2 and err.endswith(f"cannot write output {folder}: it is a folder")
    for unwritable in ("/proc/o.pth", "/sys/o.pth"):  # the kernel refuses these even to root
        status, err = run_convert(capsys, good, unwritable)
        assert status == 2 and unwritable in err and ".tmp" not in err, err
    assert not list(tmp_path.glob(".*tmp"))


def test_library_save_errors_name_the_output(tmp_path):
    """save_checkpoint's own message (used when the CLI's early check passed but the write fails)."""
    with pytest.raises(ConversionError, match=r"^cannot write /sys/o\.pth: Permission denied$"):
        save_checkpoint({"model": {"w": torch.ones(1)}}, "/sys/o.pth")


@pytest.mark.parametrize("link", ["same", "hardlink", "symlink", "config"])
def test_output_that_is_an_input_is_refused(listings, tmp_path, capsys, link):
    """convert IN IN (or a link to IN, or the config) is refused before anything is written."""
    source = tmp_path / "model.pth"
    torch.save(listings["siamrpn_alex_dwxcorr"], source)
    before = source.read_bytes()
    config = tmp_path / "alex.yaml"
    config.write_text((REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml").read_text())
    extra = []
    if link == "same":
        output = source
    elif link == "hardlink":
        output = tmp_path / "hard.pth"
        os.link(source, output)
    elif link == "symlink":
        output = tmp_path / "soft.pth"
        output.symlink_to(source)
    else:
        output, extra = config, ["--config-file", config]
    config_text = config.read_text()
    status, err = run_convert(capsys, source, output, *extra)
    assert status == 2 and "refusing to overwrite an input" in err, err
    assert source.read_bytes() == before and config.read_text() == config_text
