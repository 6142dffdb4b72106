"""Where the packaged configs are and how a config name finds its file (standard library only).

A name is a config file's path relative to the configs folder, with or without ``.yaml``
(``"siamrpnpp_r50"``, ``"pysot/siamrpn_r50_l234_dwxcorr.yaml"``), or the bare file name of a
config in a sub-folder when it is unique (``"siamrpn_r50_l234_dwxcorr"``: pysot's experiment
names). Files whose name starts with ``Base-`` are the bases of other configs: found by their
exact name (for ``_BASE_``), not listed as models.

The configs folder is ``siamtrack/configs`` in an installed wheel (``setup.py`` ships the
repository's ``configs/`` there as package data) and the repository's ``configs/`` in a
checkout or an editable install.

This module imports nothing but the standard library and no other siamtrack module, so the
commands (``siamtrack_cli``) load it by file path to check a ``--config-file`` name before
importing torch: the commands and :func:`siamtrack.config.load_config` resolve names alike.
"""
import os
from pathlib import Path

__all__ = ["configs_dir", "list_configs", "find_config", "missing_config_message"]

SUFFIX = ".yaml"
BASE_PREFIX = "Base-"


def configs_dir():
    """The folder of the packaged configs (see the module doc), or None when there is none."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "configs", package_dir.parent / "configs"):
        if candidate.is_dir():
            return candidate
    return None


def _all_names(root):
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in root.rglob("*" + SUFFIX))


def list_configs():
    """Names of the packaged model configs (relative paths without ``.yaml``, bases left out),
    sorted; empty when there is no configs folder."""
    root = configs_dir()
    if root is None:
        return []
    return [n for n in _all_names(root) if not os.path.basename(n).startswith(BASE_PREFIX)]


def find_config(name):
    """Absolute path (str) of the packaged config ``name`` (see the module doc), or None."""
    root = configs_dir()
    key = str(name).replace("\\", "/")
    if root is None or not key or os.path.isabs(key):
        return None
    key = key[: -len(SUFFIX)] if key.endswith(SUFFIX) else key
    names = _all_names(root)
    if key in names:
        return str(root / (key + SUFFIX))
    matches = [n for n in list_configs() if n.rsplit("/", 1)[-1] == key]
    return str(root / (matches[0] + SUFFIX)) if len(matches) == 1 else None


def missing_config_message(name):
    """The one-line error for a ``--config-file`` / :func:`siamtrack.config.load_config` argument
    that is neither a file nor a packaged config name; it lists the packaged names."""
    known = list_configs()
    return f"config file not found: {name} (packaged configs: {', '.join(known) or 'none'})"
