"""Packaged configs by name: ``get_config_file("siamrpnpp_r50")`` -> path of its YAML file.

A name is a config file's path relative to the configs folder, with or without ``.yaml``
(``"siamrpnpp_r50"``, ``"pysot/siamrpn_r50_l234_dwxcorr.yaml"``), or the bare file name of a
config in a sub-folder when it is unique (``"siamrpn_r50_l234_dwxcorr"``: pysot's experiment
names). Files whose name starts with ``Base-`` are bases of other configs, not models.
"""
import os
from pathlib import Path

from .utils.errors import InputError

__all__ = ["UnknownConfigError", "configs_dir", "list_configs", "get_config_file"]


class UnknownConfigError(InputError):
    """A config name that matches no packaged config; the message lists the known names."""


def configs_dir():
    """The folder of the packaged configs: ``siamtrack/configs`` when the package carries them,
    else the repository's ``configs/``."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "configs", package_dir.parent / "configs"):
        if candidate.is_dir():
            return candidate
    raise UnknownConfigError(f"no configs folder found beside {package_dir}")


def list_configs():
    """Names of the packaged model configs (relative paths without ``.yaml``), sorted."""
    root = configs_dir()
    names = (p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*.yaml"))
    return sorted(n for n in names if not os.path.basename(n).startswith("Base-"))


def get_config_file(name):
    """Absolute path of the packaged config ``name`` (see the module doc); raises
    :class:`UnknownConfigError` naming the known configs when none matches."""
    root = configs_dir()
    key = str(name).replace("\\", "/")
    key = key[: -len(".yaml")] if key.endswith(".yaml") else key
    known = list_configs()
    if key in known:
        return str(root / f"{key}.yaml")
    matches = [n for n in known if n.rsplit("/", 1)[-1] == key]
    if len(matches) == 1:
        return str(root / f"{matches[0]}.yaml")
    raise UnknownConfigError(f"unknown config {name!r}; known configs: {', '.join(known)}")
