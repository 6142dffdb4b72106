"""Hyper-parameter search of the SiamRPN tracker with Optuna: the work of ``siamtrack-tune``
(``tools/tune_tracker.py``; docs/evaluation.md, "Tuning the tracker").

Each trial sets ``TRACK.PENALTY_K``, ``TRACK.WINDOW_INFLUENCE`` and ``TRACK.LR`` (and on request
``TRACK.INSTANCE_SIZE``), runs the tracker over the benchmark with :func:`.runner.run_benchmark`
and scores it with :func:`.scoring.score_results`; the study lives in an Optuna database (SQLite
or any database URL Optuna accepts), so processes on several machines pointing at the same
database share it, and a killed run resumes where it stopped: completed trials are kept, the
trial that was running is marked failed and its parameters are tried again first.
"""
import hashlib
import inspect
import math
import os
import socket
import time
import warnings
from dataclasses import dataclass
from typing import Optional

from ...tracking import build_tracker
from ...utils.errors import InputError, first_line
from ...utils.extras import require
from ..benchmarks import Benchmark
from ..results.fingerprint import file_sha256
from ..runs.runner import run_benchmark
from ..metrics.scoring import score_results

__all__ = ["TuningError", "SEARCH_SPACE", "INSTANCE_SIZES", "METRICS", "metric_value", "check_metric",
           "tracker_fingerprint", "display_url", "open_study", "TuningRun", "tune"]

# Ranges covering pysot's published values (PENALTY_K 0.04-0.24, WINDOW_INFLUENCE 0.28-0.5,
# LR 0.22-0.5; configs/pysot/) with room around them; PENALTY_K is sampled on a log scale.
SEARCH_SPACE = {"PENALTY_K": (0.01, 0.5, True), "WINDOW_INFLUENCE": (0.2, 0.6, False), "LR": (0.2, 0.6, False)}
INSTANCE_SIZES = (255, 287, 8)  # low, high, step: 255, 263, ..., 287 (pysot: 255 ResNet, 287 AlexNet)
CREATE_ATTEMPTS = 3  # a new shared database: see open_study
CREATION_RACES = ("already exists", "UNIQUE constraint failed", "database is locked")
# --metric -> the attribute of the scoring result it reads
METRICS = {"auc": "success_auc", "eao": "eao", "ao": "ao", "f1": "f1"}
HEARTBEAT_SECONDS, GRACE_SECONDS = 10, 60  # a trial without a heartbeat for 60 s is stale


class TuningError(InputError):
    """The study cannot be opened or does not fit the command; one line meant for users."""


def metric_value(score, metric) -> float:
    """The value of ``metric`` (a key of :data:`METRICS`) in a scoring result."""
    value = getattr(score, METRICS[metric], None)
    if value is None:
        raise TuningError(f"--metric {metric} is not scored for this benchmark ({type(score).__name__} has "
                          f"no {METRICS[metric]})")
    return float(value)


def check_metric(benchmark: Benchmark, metric):
    """Refuse a metric the benchmark's protocol does not score, before any trial runs."""
    if metric not in METRICS:
        raise TuningError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    offered = {"auc": benchmark.protocol == "ope", "eao": benchmark.protocol == "vot",
               "ao": benchmark.results_layout == "got10k",
               "f1": "longterm" in (benchmark.protocol, benchmark.results_layout)}[metric]
    if not offered:
        raise TuningError(f"--metric {metric} is not scored on {benchmark.name} (protocol {benchmark.protocol}, "
                          f"results {benchmark.results_layout}); auc: OPE benchmarks, eao: VOT, ao: GOT-10k, "
                          "f1: long-term")
    if not benchmark.has_full_gt:
        raise TuningError(f"{benchmark.name} has no public ground truth to score trials with")


def tracker_fingerprint(cfg, tuned_keys):
    """A short hash of what decides the tracker's boxes besides the tuned keys: ``cfg.MODEL``
    (the weights file by its content, not its path; not the device) and ``cfg.TRACK``."""
    model, track = cfg.MODEL.clone(), cfg.TRACK.clone()
    model.defrost()
    track.defrost()
    model.DEVICE = ""
    if model.WEIGHTS and os.path.isfile(model.WEIGHTS):
        model.WEIGHTS = file_sha256(model.WEIGHTS)
    for key in tuned_keys:
        track[key] = None
    return hashlib.sha256((model.dump() + track.dump()).encode()).hexdigest()[:16]


def display_url(url):
    """``url`` with any password hidden, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: say it as given
        return url


def _retry_stale_trials(optuna):
    """The RDBStorage argument queueing a stale trial's parameters again once (its names since
    Optuna 4.9, and before)."""
    storages = optuna.storages
    if "heartbeat_stale_trial_callback" in inspect.signature(storages.RDBStorage).parameters:
        return {"heartbeat_stale_trial_callback": storages.RetryHeartbeatStaleTrialCallback(max_retry=1)}
    return {"failed_trial_callback": storages.RetryFailedTrialCallback(max_retry=1)}


def _create_or_load(optuna, name, storage_url, engine, seed):
    """Optuna's storage for ``storage_url`` and study ``name`` in it, created when missing."""
    with warnings.catch_warnings():  # the heartbeat options are "experimental" since Optuna 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            storage_url, engine_kwargs=engine, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
            **_retry_stale_trials(optuna))
    return optuna.create_study(storage=storage, study_name=name, direction="maximize", load_if_exists=True,
                               sampler=optuna.samplers.TPESampler(seed=seed))


def open_study(name, storage_url, identity, seed=None):
    """Create or load study ``name`` in ``storage_url`` (maximising), checking that a loaded
    study was made with the same ``identity`` (a dict: metric, benchmark, tuned keys, tracker
    fingerprint). Raises :class:`TuningError` for an unreachable storage or another study."""
    optuna = require("optuna", "tune")
    optuna.logging.set_verbosity(optuna.logging.ERROR)  # its failed-trial warnings carry tracebacks
    engine = {"connect_args": {"timeout": 60}} if storage_url.startswith("sqlite") else None
    for attempt in range(CREATE_ATTEMPTS):
        try:
            study = _create_or_load(optuna, name, storage_url, engine, seed)
            break
        except Exception as exc:  # sqlalchemy / driver errors of every kind: the storage is unusable
            # Processes starting together on a new database race to create its tables (or the
            # study); the loser sees one of these, and a second try loads what the winner made.
            if any(race in str(exc) for race in CREATION_RACES) and attempt + 1 < CREATE_ATTEMPTS:
                time.sleep(0.5 * (attempt + 1))
                continue
            raise TuningError(f"cannot open study storage {display_url(storage_url)}: {first_line(exc)}") from None
    known = study.user_attrs
    if not known:
        for key, value in identity.items():
            study.set_user_attr(key, value)
    elif {k: known.get(k) for k in identity} != identity:
        differs = ", ".join(f"{k} {known.get(k)!r} (now {v!r})" for k, v in identity.items() if known.get(k) != v)
        raise TuningError(f"study {name!r} in {display_url(storage_url)} was made with {differs}; use another --study")
    return study


@dataclass
class TuningRun:
    """What :func:`tune` did: the study, the trials this process completed, the best trial."""

    study: object
    completed_here: int
    best: Optional[object]  # optuna FrozenTrial, None when no trial completed


def _suggest(trial, search_instance_size):
    """The TRACK values of ``trial``."""
    params = {key: trial.suggest_float(key, low, high, log=log) for key, (low, high, log) in SEARCH_SPACE.items()}
    if search_instance_size:
        low, high, step = INSTANCE_SIZES
        params["INSTANCE_SIZE"] = trial.suggest_int("INSTANCE_SIZE", low, high, step=step)
    return params


def _completed(study):
    import optuna

    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def _machine():
    """This machine (and boot): host name and kernel boot id, so that a process id is
    compared only with processes of the same machine."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


def _retry_orphans(study):
    """Fail the trials left running by a process of this machine that is gone, and queue
    their parameters again (other machines' ones: by the heartbeat, after the grace period)."""
    import optuna

    host = _machine()
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        pid = trial.user_attrs.get("pid")
        if trial.user_attrs.get("host") != host or pid is None or pid == os.getpid() or _alive(pid):
            continue
        study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
        if trial.params:
            study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})


def _alive(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def tune(cfg, benchmark, study, trials, metric, search_instance_size=False, progress=True, report=print):
    """Run trials of ``study`` until it has ``trials`` completed ones (shared with every
    process on the same study), each scoring the tracker of ``cfg`` with the trial's TRACK
    values on ``benchmark`` by ``metric``; ``report`` gets one line per finished trial."""
    import optuna

    check_metric(benchmark, metric)
    benchmark.check_frames()
    model = build_tracker(cfg).model  # built and loaded once; every trial wraps it
    _retry_orphans(study)
    done_here = []

    def objective(trial):
        trial_cfg = cfg.clone()
        trial_cfg.defrost()
        for key, value in _suggest(trial, search_instance_size).items():
            trial_cfg.TRACK[key] = value
        # who runs it, after its parameters: a trial with these can be retried if the process dies
        trial.set_user_attr("host", _machine())
        trial.set_user_attr("pid", os.getpid())
        results = run_benchmark(build_tracker(trial_cfg, model), benchmark, progress=progress,
                                tracker_name=f"trial {trial.number}")
        score = score_results(benchmark, results)
        for key, value in score.summary().items():
            if isinstance(value, (int, float)):
                trial.set_user_attr(key, value)
        value = metric_value(score, metric)
        if not math.isfinite(value):  # e.g. EAO of sequences all shorter than its interval
            raise TuningError(f"trial {trial.number}: {metric} on {benchmark.name} is {value}; this benchmark "
                              f"cannot be tuned for {metric}")
        return value

    def finished(study, trial):
        if trial.state != optuna.trial.TrialState.COMPLETE:
            return
        done_here.append(trial.number)
        best = study.best_trial
        values = " ".join(f"{k} {v:.4g}" for k, v in trial.params.items())
        report(f"trial {trial.number}: {metric} {trial.value:.4f} ({values}); {_completed(study)}/{trials} "
               f"completed; best {best.value:.4f} (trial {best.number})")

    remaining = trials - _completed(study)
    if remaining > 0:
        stop = optuna.study.MaxTrialsCallback(trials, states=(optuna.trial.TrialState.COMPLETE,))
        try:
            study.optimize(objective, n_trials=remaining, callbacks=[finished, stop])
        except KeyboardInterrupt:
            _requeue_interrupted(study)
            raise KeyboardInterrupt(f"{_completed(study)} of {trials} trials completed in the study; "
                                    "run the same command to resume") from None
    best = study.best_trial if _completed(study) else None
    return TuningRun(study, len(done_here), best)


def _requeue_interrupted(study):
    """Queue again the parameters of this process's trial that Ctrl-C failed."""
    import optuna

    mine = [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,))
            if t.user_attrs.get("pid") == os.getpid() and t.user_attrs.get("host") == _machine()]
    if mine and mine[-1].params:
        study.enqueue_trial(mine[-1].params, user_attrs={"retry_of": mine[-1].number})
