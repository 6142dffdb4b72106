"""siamtrack.model_zoo as detectron2's: get_config / list_configs; one name rule for the
commands' fast check, load_config and ``_BASE_`` (name resolution itself:
tests/test_integrations_opencv.py)."""
import os
import subprocess
import sys

import pytest
import yaml

from conftest import REPO_ROOT
from siamtrack import model_zoo
from siamtrack.config import ConfigError, load_config
from siamtrack.utils.errors import InputError
from siamtrack_cli.common import config_file_problem

CONFIGS = REPO_ROOT / "configs"


def test_list_configs_is_every_model_yaml():
    on_disk = {p.relative_to(CONFIGS).with_suffix("").as_posix() for p in CONFIGS.rglob("*.yaml")}
    assert set(model_zoo.list_configs()) == {n for n in on_disk if not n.rsplit("/", 1)[-1].startswith("Base-")}
    assert model_zoo.configs_dir() == CONFIGS  # a checkout: the repository's folder


def test_get_config_merges_the_file_onto_siamtrack_defaults():
    cfg = model_zoo.get_config("pysot/siamrpn_alex_dwxcorr.yaml")
    own = yaml.safe_load((CONFIGS / "pysot" / "siamrpn_alex_dwxcorr.yaml").read_text())
    assert cfg.TRACK.PENALTY_K == own["TRACK"]["PENALTY_K"]  # the file
    assert cfg.MODEL.BACKBONE.NAME == "build_siam_alexnet_backbone"  # its _BASE_ chain
    assert cfg.TRACK.EXEMPLAR_SIZE == 127 and "SIAM_HEAD" in cfg.MODEL  # siamtrack's keys
    assert cfg.dump() == load_config(model_zoo.get_config_file("siamrpn_alex_dwxcorr")).dump()
    with pytest.raises(InputError, match="no downloadable trained weights.*siamtrack-convert"):
        model_zoo.get_config("siamrpnpp_r50", trained=True)


NAMES = ["siamrpnpp_r50", "siamrpnpp_r50.yaml", "pysot/siamrpn_alex_dwxcorr", "siamrpn_r50_l234_dwxcorr_lt",
         "Base-SiamRPN.yaml", "nope", "pysot/nope.yaml", "siamrpn_alex_dwxcorr/", "/nope/siamrpnpp_r50.yaml",
         "configs/nope.yaml", str(CONFIGS / "siamfc_alex.yaml")]


@pytest.mark.parametrize("name", NAMES)
def test_commands_and_load_config_agree_on_names(name):
    problem = config_file_problem(name)
    try:
        load_config(name)
        loaded = None
    except ConfigError as exc:
        loaded = str(exc)
    assert (problem is None) == (loaded is None), (problem, loaded)
    if problem is not None:
        assert problem == loaded and problem.startswith(f"config file not found: {name} (packaged configs: ")
        assert "siamrpnpp_r50" in problem and "\n" not in problem


def test_the_commands_check_names_without_importing_torch_or_siamtrack():
    code = ("import sys; from siamtrack_cli.common import config_file_problem as p; "
            "assert p('pysot/siamrpn_alex_dwxcorr') is None and p('nope').startswith('config file not found'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'siamtrack', 'detectron2', 'yaml')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_base_may_be_a_packaged_name_and_a_file_beside_wins(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text("_BASE_: pysot/siamrpn_alex_dwxcorr.yaml\nTRACK:\n  LR: 0.5\n")
    cfg = load_config(str(own))
    assert cfg.TRACK.LR == 0.5 and cfg.TRACK.PENALTY_K == model_zoo.get_config("siamrpn_alex_dwxcorr").TRACK.PENALTY_K
    (tmp_path / "pysot").mkdir()
    (tmp_path / "pysot" / "siamrpn_alex_dwxcorr.yaml").write_text("TRACK:\n  PENALTY_K: 0.01\n")
    assert load_config(str(own)).TRACK.PENALTY_K == 0.01  # relative to the file first, as detectron2
    missing = tmp_path / "broken.yaml"
    missing.write_text("_BASE_: no_such_base.yaml\n")
    with pytest.raises(ConfigError, match="no_such_base"):
        load_config(str(missing))


def test_packaged_names_work_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not os.path.exists("configs")
    assert load_config("pysot/siamrpn_r50_l234_dwxcorr.yaml").MODEL.SIAM_RESNET.DEPTH == 50
    assert config_file_problem("pysot/siamrpn_r50_l234_dwxcorr.yaml") is None


def test_converter_takes_a_packaged_name(reference_dir, tmp_path, capsys):
    import torch

    from siamtrack_cli import convert

    weights = reference_dir / "pysot_siamrpn_alex_dwxcorr" / "weights.pth"
    assert convert.main([str(weights), str(tmp_path / "named.pth"), "--config-file", "siamrpn_alex_dwxcorr"]) == 0
    assert convert.main([str(weights), str(tmp_path / "detected.pth")]) == 0
    assert "--config-file pysot/siamrpn_alex_dwxcorr.yaml" in capsys.readouterr().out
    named, detected = (torch.load(tmp_path / f, weights_only=True)["model"] for f in ("named.pth", "detected.pth"))
    assert named.keys() == detected.keys() and all(torch.equal(named[k], detected[k]) for k in named)
