"""siamtrack.config.load_config: every shipped config loads; bad input gives one-line errors."""
import pytest

from conftest import REPO_ROOT
from siamtrack.config import ConfigError, load_config

CONFIGS = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "configs").rglob("*.yaml"))


@pytest.mark.parametrize("config_file", CONFIGS)
def test_every_shipped_config_loads(config_file):
    cfg = load_config(str(REPO_ROOT / config_file), ["MODEL.DEVICE", "cpu"])
    assert cfg.MODEL.META_ARCHITECTURE in ("SiamRPN", "SiamMask")
    assert cfg.MODEL.DEVICE == "cpu"


@pytest.mark.parametrize(
    "config_file, opts, expected",
    [
        ("configs/missing.yaml", [], "config file not found"),
        ("configs/siamrpn_alex.yaml", ["NO.SUCH_KEY", "1"], "NO.SUCH_KEY"),
        ("configs/siamrpn_alex.yaml", ["TRACK.LR"], "bad config or overrides"),
    ],
)
def test_bad_config_input_is_one_line(config_file, opts, expected):
    with pytest.raises(ConfigError) as info:
        load_config(str(REPO_ROOT / config_file), opts)
    message = str(info.value)
    assert expected in message and "\n" not in message


OLD_KEYS = ["TRACK.BASE_SIZE", "INPUT.SIAM.EXEMPLAR_SIZE", "INPUT.SIAM.CONTEXT_AMOUNT",
            "MODEL.SIAM_HEAD.SIAMFC_RADIUS", "DATASETS.SIAM.VIDEOS_PER_EPOCH"]


@pytest.mark.parametrize("key", OLD_KEYS)
def test_keys_renamed_before_the_first_release_are_unknown(key, tmp_path):
    """No compatibility shim in an unreleased library (CHANGELOG.md): an old key name is an
    unknown key, in a file and as an override, in one line."""
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")) as info:
        load_config(str(REPO_ROOT / "configs" / "siamrpn_alex.yaml"), [key, "3"])
    assert "\n" not in str(info.value)
    section, *middle, leaf = key.split(".")
    text = f"_BASE_: {REPO_ROOT / 'configs' / 'siamrpn_alex.yaml'}\n{section}:\n"
    indent = "  "
    for name in middle:
        text += f"{indent}{name}:\n"
        indent += "  "
    path = tmp_path / "old.yaml"
    path.write_text(text + f"{indent}{leaf}: 3\n")
    with pytest.raises(ConfigError, match=leaf) as info:
        load_config(str(path))
    assert "\n" not in str(info.value)


def test_add_siamtrack_config_keeps_detectron2s_config_class():
    """The keys are added to detectron2's own CfgNode (no class swapped in place), whose
    merge_from_file reads siamtrack's YAML files."""
    from detectron2.config import CfgNode, get_cfg

    from siamtrack import add_siamtrack_config

    cfg = add_siamtrack_config(get_cfg())
    assert type(cfg) is CfgNode
    cfg.merge_from_file(str(REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml"))
    assert cfg.dump() == load_config(str(REPO_ROOT / "configs" / "pysot" / "siamrpn_alex_dwxcorr.yaml")).dump()
