"""siamtrack.config.load_config: every shipped config loads; bad input gives one-line errors."""
import pytest

from conftest import REPO_ROOT
from siamtrack.config import ConfigError, load_config

CONFIGS = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "configs").rglob("*.yaml"))


@pytest.mark.parametrize("config_file", CONFIGS)
def test_every_shipped_config_loads(config_file):
    cfg = load_config(str(REPO_ROOT / config_file), ["MODEL.DEVICE", "cpu"])
    assert cfg.MODEL.META_ARCHITECTURE == "SiamRPN"
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
