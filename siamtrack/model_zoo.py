"""The packaged configs by name, as detectron2's ``model_zoo``.

``get_config_file("pysot/siamrpn_r50_l234_dwxcorr.yaml")`` is the path of a packaged YAML file,
``get_config("siamrpnpp_r50")`` the config itself (detectron2's defaults with siamtrack's keys,
the file merged), ``list_configs()`` the names. A name is a path relative to the repository's
``configs/`` folder, with or without ``.yaml``, or a pysot experiment name alone
(``"siamrpn_r50_l234_dwxcorr"``); see :mod:`siamtrack.packaged_configs` for the rule, which
``--config-file`` of every command and :func:`siamtrack.config.load_config` follow too.

Unlike detectron2's zoo there are no downloadable trained weights: pysot's checkpoints come from
its model zoo by hand and are converted with ``siamtrack-convert`` (README, "Getting pysot's
weights").
"""
from .config import UnknownConfigError, load_config
from .packaged_configs import configs_dir as _configs_dir
from .packaged_configs import find_config, list_configs

__all__ = ["UnknownConfigError", "configs_dir", "list_configs", "get_config_file", "get_config"]


def configs_dir():
    """The folder of the packaged configs; raises :class:`UnknownConfigError` when there is none."""
    root = _configs_dir()
    if root is None:
        raise UnknownConfigError("no packaged configs folder found: reinstall siamtrack")
    return root


def get_config_file(name):
    """Absolute path of the packaged config ``name``; raises :class:`UnknownConfigError` (one
    line, listing the packaged names) when none matches."""
    path = find_config(name)
    if path is None:
        raise UnknownConfigError(f"unknown config {name!r}; packaged configs: {', '.join(list_configs())}")
    return path


def get_config(name, trained=False):
    """The config of the packaged ``name``: ``detectron2.config.get_cfg()`` with siamtrack's keys
    (``add_siamtrack_config``), the file merged, ``MODEL.DEVICE`` following the device rule
    (docs/config.md). Like detectron2's ``model_zoo.get_config``; ``trained=True`` raises
    :class:`UnknownConfigError`: siamtrack cannot download trained weights (set
    ``cfg.MODEL.WEIGHTS`` to a checkpoint converted with ``siamtrack-convert``)."""
    path = get_config_file(name)
    if trained:
        raise UnknownConfigError(
            f"no downloadable trained weights for {name!r}: download pysot's model.pth by hand "
            "(README, \"Getting pysot's weights\"), convert it with siamtrack-convert and set MODEL.WEIGHTS")
    return load_config(path)
