"""Results that cannot be mistaken for another model's: the fingerprint of a results folder.

Each tracker folder written by ``siamtrack-eval`` holds ``fingerprint.json``::

    {"siamtrack_version": "0.1.0",
     "config_sha256": "<sha256 of the merged config, without the keys tracking does not read>",
     "weights_sha256": "<sha256 of the MODEL.WEIGHTS file>" or null,
     "weights": "<MODEL.WEIGHTS as given>", "config_file": "<--config-file as given>",
     "sequences": ["<sequence finished under this fingerprint>", ...]}

Resuming into a folder is allowed only when the three compared fields (version, config hash,
weights hash) are equal, and only the sequences listed are skipped; anything else is a
one-line :class:`~siamtrack.evaluation.results.ResultsError` naming ``--tracker-name`` and
``--no-resume``. docs/evaluation.md describes it.
"""
import hashlib
import json
import os
import re
from importlib import metadata
from typing import List, Optional

from ...utils.fileio import atomic_write, cannot_write
from .claims import update_lock
from .files import ResultsError

__all__ = ["FINGERPRINT_FILE", "COMPARED_FIELDS", "IGNORED_CONFIG_KEYS", "file_sha256",
           "results_fingerprint", "ResultsRecord", "default_tracker_name", "GENERIC_WEIGHTS_NAME"]

FINGERPRINT_FILE = "fingerprint.json"
COMPARED_FIELDS = ("siamtrack_version", "config_sha256", "weights_sha256")
# Config keys that do not change what a tracker outputs (training and bookkeeping sections).
IGNORED_CONFIG_KEYS = ("OUTPUT_DIR", "SOLVER", "DATALOADER", "DATASETS", "INPUT", "TEST", "SEED",
                       "VIS_PERIOD")
# Weights file names every run writes (detectron2's model_final / model_0004999, pysot's
# checkpoint_e20 and model): the default tracker name then includes the parent folder.
GENERIC_WEIGHTS_NAME = re.compile(
    r"^(model|checkpoint|weights|best|last|final|snapshot)([_-]?(final|best|last|e?\d+))?$", re.I)


def file_sha256(path: str) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ResultsError(f"cannot read weights {path}: {exc.strerror}") from None
    return digest.hexdigest()


def _version() -> str:
    try:
        return metadata.version("siamtrack")
    except metadata.PackageNotFoundError:
        return "unknown"


def results_fingerprint(cfg, config_file: str = "") -> dict:
    """The fingerprint of tracking with ``cfg`` (merged config, ``MODEL.WEIGHTS`` hashed)."""
    tracked = cfg.clone()
    tracked.defrost()
    weights = tracked.MODEL.WEIGHTS
    tracked.MODEL.WEIGHTS = ""
    for key in IGNORED_CONFIG_KEYS:
        tracked.pop(key, None)
    return {"siamtrack_version": _version(),
            "config_sha256": hashlib.sha256(tracked.dump(sort_keys=True).encode()).hexdigest(),
            # a weights name that is no file (a URL the loader resolves) is compared as given
            "weights_sha256": (file_sha256(weights) if os.path.isfile(weights) else f"name:{weights}")
            if weights else None,
            "weights": weights, "config_file": config_file}


def default_tracker_name(cfg, config_file: str) -> str:
    """pysot's model name — the weights file name up to its first '.' (else the config's) —
    prefixed with the parent folder when that name is one every run writes
    (``output/a/model_final.pth`` -> ``a_model_final``; :data:`GENERIC_WEIGHTS_NAME`)."""
    source = cfg.MODEL.WEIGHTS or config_file
    name = os.path.basename(source).split(".")[0] or "tracker"
    if cfg.MODEL.WEIGHTS and GENERIC_WEIGHTS_NAME.match(name):
        parent = os.path.basename(os.path.dirname(os.path.abspath(source)))
        if parent:
            name = f"{parent}_{name}"
    return name


def _differences(old: dict, new: dict) -> List[str]:
    labels = {"siamtrack_version": "siamtrack version", "config_sha256": "config",
              "weights_sha256": "weights"}
    return [labels[k] for k in COMPARED_FIELDS if old.get(k) != new.get(k)]


class ResultsRecord:
    """The fingerprint file of one tracker folder and the sequences finished under it.

    :meth:`open` checks (``resume``) or replaces (no ``resume``) the folder's fingerprint;
    :meth:`is_finished` / :meth:`add` are what the runner asks and tells after each sequence.
    """

    def __init__(self, tracker_dir: str, fingerprint: dict):
        self.tracker_dir = tracker_dir
        self.fingerprint = {k: v for k, v in fingerprint.items() if k != "sequences"}
        self.sequences: List[str] = []

    @property
    def path(self) -> str:
        """``<tracker_dir>/fingerprint.json``."""
        return os.path.join(self.tracker_dir, FINGERPRINT_FILE)

    def _read(self) -> Optional[dict]:
        if os.path.lexists(self.path) and not os.path.isfile(self.path):
            raise ResultsError(f"{self.path} is not a file: remove it, or give another --tracker-name")
        if not os.path.isfile(self.path):
            return None
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{self.path} is unreadable ({exc}): give another --tracker-name, "
                               "or --no-resume to re-run every sequence into it") from None
        return data

    def _holds_results(self) -> bool:
        if not os.path.isdir(self.tracker_dir):
            return False
        return any(n != FINGERPRINT_FILE and not n.startswith(".") for n in os.listdir(self.tracker_dir))

    def open(self, resume: bool = True) -> "ResultsRecord":
        """With ``resume``: keep the sequences of an equal fingerprint, refuse a different one
        (or results without one) with one line; without: start a new record. Writes the file."""
        with self._locked():
            old = self._read() if resume else None
            if resume and old is None and self._holds_results():
                raise ResultsError(f"results folder {self.tracker_dir} holds results without a "
                                   f"{FINGERPRINT_FILE} (made by another tool or version): give a new "
                                   "--tracker-name, or --no-resume to re-run every sequence into it")
            self._check(old)
            self.sequences = [str(s) for s in old.get("sequences", [])] if old else []
            self._write()
        return self

    def _check(self, old: Optional[dict]):
        differ = _differences(old, self.fingerprint) if old is not None else []
        if differ:
            raise ResultsError(
                f"results folder {self.tracker_dir} holds results made with other "
                f"{' and '.join(differ)} (weights {old.get('weights') or 'none'}, now "
                f"{self.fingerprint.get('weights') or 'none'}): give a new --tracker-name, or "
                "--no-resume to re-run every sequence into it")

    def _locked(self):
        """The folder's lock: processes and commands sharing the folder update the list in turn."""
        try:
            os.makedirs(self.tracker_dir, exist_ok=True)
        except OSError as exc:
            raise cannot_write(self.tracker_dir, exc) from None
        return update_lock(self.tracker_dir, ".fingerprint.lock")

    def refresh(self):
        """Read the sequences other processes finished since (same fingerprint only)."""
        with self._locked():
            old = self._read()
            self._check(old)
            if old is not None:
                self.sequences = sorted(set(self.sequences) | {str(s) for s in old.get("sequences", [])})

    def is_finished(self, name: str, refresh: bool = False) -> bool:
        """Whether ``name`` was finished under this fingerprint (``refresh``: as the file says now)."""
        if refresh and name not in self.sequences:
            self.refresh()
        return name in self.sequences

    def add(self, name: str):
        """Record ``name`` as finished, with what other processes recorded meanwhile (the file
        is rewritten atomically, under the folder's lock)."""
        with self._locked():
            old = self._read()
            self._check(old)
            listed = {str(s) for s in old.get("sequences", [])} if old else set()
            self.sequences = sorted(listed | set(self.sequences) | {name})
            self._write()

    def _write(self):
        data = dict(self.fingerprint, sequences=self.sequences)
        try:
            atomic_write(self.path, [json.dumps(data, indent=1)])
        except OSError as exc:
            raise cannot_write(self.path, exc) from None
