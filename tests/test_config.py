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


OLD_KEYS_YAML = """_BASE_: "{base}"
MODEL:
  SIAM_HEAD:
    SIAMFC_RADIUS: 24
INPUT:
  SIAM:
    EXEMPLAR_SIZE: 111
    CONTEXT_AMOUNT: 0.4
DATASETS:
  SIAM:
    VIDEOS_PER_EPOCH: 1234
TRACK:
  BASE_SIZE: 3
"""


def test_deprecated_keys_in_files_still_work_with_one_line_warnings(tmp_path, caplog):
    path = tmp_path / "old.yaml"
    path.write_text(OLD_KEYS_YAML.format(base=REPO_ROOT / "configs" / "siamrpn_alex.yaml"))
    with caplog.at_level("WARNING", logger="siamtrack.config_compat"):
        cfg = load_config(str(path))
    assert cfg.MODEL.SIAM_FC.POSITIVE_RADIUS == 24 and cfg.TRACK.SCORE_SIZE_OFFSET == 3
    assert cfg.TRACK.EXEMPLAR_SIZE == 111 and cfg.TRACK.CONTEXT_AMOUNT == 0.4
    assert "VIDEOS_PER_EPOCH" not in cfg.DATASETS.SIAM and "BASE_SIZE" not in cfg.TRACK
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 5 and all("\n" not in m and "deprecated" in m for m in messages)
    assert any("TRACK.BASE_SIZE is deprecated: use TRACK.SCORE_SIZE_OFFSET" in m for m in messages)
    assert any("VIDEOS_PER_EPOCH is deprecated and ignored" in m for m in messages)


def test_deprecated_keys_as_overrides_and_on_a_plain_detectron2_config(caplog):
    from detectron2.config import get_cfg

    from siamtrack import add_siamtrack_config

    cfg = load_config(str(REPO_ROOT / "configs" / "siamrpn_alex.yaml"),
                      ["TRACK.BASE_SIZE", "5", "DATASETS.SIAM.VIDEOS_PER_EPOCH", "9", "TRACK.LR", "0.2"])
    assert cfg.TRACK.SCORE_SIZE_OFFSET == 5 and cfg.TRACK.LR == 0.2
    # a value under the new name wins over one under the old
    cfg = add_siamtrack_config(get_cfg())
    cfg.merge_from_list(["TRACK.SCORE_SIZE_OFFSET", "7"])
    cfg.merge_from_file(str(REPO_ROOT / "configs" / "siamrpn_alex.yaml"))
    assert cfg.TRACK.SCORE_SIZE_OFFSET == 0 and type(cfg.clone()) is type(cfg)
    with pytest.raises(ConfigError, match="TRACK.NO_SUCH"):
        load_config(str(REPO_ROOT / "configs" / "siamrpn_alex.yaml"), ["TRACK.NO_SUCH", "1"])
