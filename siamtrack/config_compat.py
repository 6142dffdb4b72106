"""Deprecated config keys, still accepted for one release (docs/config.md, "Renamed keys").

:data:`RENAMED_KEYS` are moved to their new name and :data:`IGNORED_KEYS` dropped when a file or
a ``KEY VALUE`` list is merged into a :class:`SiamtrackCfgNode` (what
:func:`siamtrack.config.add_siamtrack_config` makes of a detectron2 config), each with a one-line
warning on the ``siamtrack.config_compat`` logger.
"""
import logging
import os

import yaml
from detectron2.config import CfgNode
from detectron2.utils.file_io import PathManager

from .packaged_configs import find_config

__all__ = ["RENAMED_KEYS", "IGNORED_KEYS", "SiamtrackCfgNode", "translate_deprecated_keys"]

logger = logging.getLogger(__name__)
BASE_KEY = "_BASE_"

# Old key -> new key; accepted (and moved) until the next release.
RENAMED_KEYS = {
    "TRACK.BASE_SIZE": "TRACK.SCORE_SIZE_OFFSET",  # not the 511 crop "base size"
    "INPUT.SIAM.EXEMPLAR_SIZE": "TRACK.EXEMPLAR_SIZE",  # one key for training and tracking
    "INPUT.SIAM.CONTEXT_AMOUNT": "TRACK.CONTEXT_AMOUNT",
    "MODEL.SIAM_HEAD.SIAMFC_RADIUS": "MODEL.SIAM_FC.POSITIVE_RADIUS",  # a target parameter
}
# Old key -> why it is ignored; accepted (without effect) until the next release.
IGNORED_KEYS = {
    "DATASETS.SIAM.VIDEOS_PER_EPOCH": "it only fed a log line; an epoch is SOLVER.SIAM.ITERS_PER_EPOCH iterations",
}


def _new_name(key):
    """The current name of ``key`` (warning if it is deprecated), or None if it is ignored."""
    if key in IGNORED_KEYS:
        logger.warning("config key %s is deprecated and ignored: %s", key, IGNORED_KEYS[key])
        return None
    if key in RENAMED_KEYS:
        logger.warning("config key %s is deprecated: use %s (accepted until the next release)",
                       key, RENAMED_KEYS[key])
        return RENAMED_KEYS[key]
    return key


def _pop(node, key):
    *parents, leaf = key.split(".")
    for name in parents:
        node = node.get(name)
        if not isinstance(node, dict):
            return False, None
    if leaf not in node:
        return False, None
    return True, node.pop(leaf)


def translate_deprecated_keys(node):
    """Move the deprecated keys of a config tree (a loaded file) to their new names, in place;
    a value under the new name wins over one under the old. Returns ``node``."""
    for old in list(IGNORED_KEYS) + list(RENAMED_KEYS):
        found, value = _pop(node, old)
        if not found:
            continue
        new = _new_name(old)
        if new is None:
            continue
        *parents, leaf = new.split(".")
        target = node
        for name in parents:
            target = target.setdefault(name, type(node)())
        target.setdefault(leaf, value)
    return node


def _merge_dicts(a, b):
    """Merge dict ``a`` into dict ``b`` in place, values of ``a`` winning (fvcore's rule)."""
    for key, value in a.items():
        if isinstance(value, dict) and key in b:
            if not isinstance(b[key], dict):
                raise KeyError(f"cannot inherit key {key!r} from base")
            _merge_dicts(value, b[key])
        else:
            b[key] = value


class SiamtrackCfgNode(CfgNode):
    """detectron2's ``CfgNode`` that accepts the deprecated keys of :data:`RENAMED_KEYS` (moved to
    their new name) and :data:`IGNORED_KEYS` (dropped) in ``merge_from_file`` /
    ``merge_from_other_cfg`` / ``merge_from_list``, each with a one-line warning.

    Files are translated one by one before their ``_BASE_`` chain is merged, so an old key in a
    file overrides the new key of its base as it did before the rename."""

    @classmethod
    def load_yaml_with_base(cls, filename, allow_unsafe=False):
        """fvcore's ``load_yaml_with_base`` (a file merged onto its ``_BASE_`` files, which are
        relative to it, or packaged config names such as ``siamrpnpp_r50.yaml``) with
        :func:`translate_deprecated_keys` applied to each file alone."""
        with PathManager.open(filename, "r") as f:
            text = f.read()
        try:
            cfg = yaml.safe_load(text)
        except yaml.constructor.ConstructorError:
            if not allow_unsafe:
                raise
            cfg = yaml.unsafe_load(text)
        cfg = translate_deprecated_keys(cfg or {})
        if BASE_KEY not in cfg:
            return cfg
        bases = cfg.pop(BASE_KEY)
        merged = {}
        for base in bases if isinstance(bases, list) else [bases]:
            base = os.path.expanduser(base)
            if not base.startswith(("/", "https://", "http://")):  # relative to the file, else a packaged name
                beside = os.path.join(os.path.dirname(filename), base)
                base = beside if os.path.isfile(beside) else (find_config(base) or beside)
            _merge_dicts(cls.load_yaml_with_base(base, allow_unsafe=allow_unsafe), merged)
        _merge_dicts(cfg, merged)
        return merged

    def merge_from_other_cfg(self, cfg_other):
        """Merge ``cfg_other`` (e.g. a loaded YAML file) after translating deprecated keys."""
        return super().merge_from_other_cfg(translate_deprecated_keys(cfg_other))

    @classmethod
    def _decode_cfg_value(cls, value):
        # yacs turns merged dicts into nodes of the root's class, and requires them to be of the
        # class of the nodes they merge into: detectron2's CfgNode (only the root is ours).
        return CfgNode._decode_cfg_value(value)

    def merge_from_list(self, cfg_list):
        """Merge ``KEY VALUE`` overrides after translating deprecated keys."""
        pairs = list(zip(cfg_list[0::2], cfg_list[1::2]))
        out = []
        for key, value in pairs:
            key = _new_name(key)
            if key is not None:
                out += [key, value]
        return super().merge_from_list(out + list(cfg_list[2 * len(pairs):]))
