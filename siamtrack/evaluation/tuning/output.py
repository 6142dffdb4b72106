"""What a tuning study gives the user: the best trial as a ready config YAML and a PNG of the
trials (docs/evaluation.md, "Tuning the tracker")."""
import json
import os

from ...utils.fileio import atomic_write, atomic_write_with, cannot_write

__all__ = ["best_line", "write_best_config", "plot_trials"]


def best_line(study, metric):
    """One line: the best trial's number, value and TRACK values."""
    best = study.best_trial
    values = " ".join(f"TRACK.{k} {v!r}" for k, v in best.params.items())
    return f"best: trial {best.number}, {metric} {best.value:.4f}: {values}"


def write_best_config(path, base_config, study, metric, dataset, storage, opts=()):
    """Write the best trial of ``study`` as a YAML config at ``path`` (atomically): ``_BASE_``
    the input config (absolute path) and only the tuned ``TRACK`` keys; comments say where it
    comes from and which command-line overrides were not written."""
    import optuna

    best = study.best_trial
    completed = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    lines = [f"# Best trial of Optuna study {study.study_name!r} ({storage}): trial {best.number},",
             f"# {metric} {best.value!r} on {dataset}, of {completed} completed trials. Written by",
             "# siamtrack-tune: the input config with the tuned TRACK keys."]
    if opts:
        lines.append("# Not written here, give them again: " + " ".join(str(o) for o in opts))
    lines += [f"_BASE_: {json.dumps(os.path.abspath(base_config))}", "TRACK:"]
    lines += [f"  {key}: {value!r}" for key, value in best.params.items()]
    try:
        atomic_write(path, lines)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    return path


def plot_trials(path, study, metric):
    """A PNG at ``path``: the metric of every completed trial in order with the best so far,
    and the metric against each tuned value (the best trial marked)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna

    trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    keys = list(study.best_trial.params)
    fig, axes = plt.subplots(1, 1 + len(keys), figsize=(4 * (1 + len(keys)), 3.6), squeeze=False)
    axes = axes[0]
    numbers, values = [t.number for t in trials], [t.value for t in trials]
    best = [max(values[:i + 1]) for i in range(len(values))]
    axes[0].plot(numbers, values, "o", color="tab:blue", label="trial")
    axes[0].step(numbers, best, where="post", color="tab:red", label="best so far")
    axes[0].set_xlabel("trial")
    axes[0].set_ylabel(metric)
    axes[0].legend(loc="lower right")
    top = study.best_trial
    for ax, key in zip(axes[1:], keys):
        ax.plot([t.params[key] for t in trials], values, "o", color="tab:blue")
        ax.plot([top.params[key]], [top.value], "*", color="tab:red", markersize=14)
        ax.set_xlabel(f"TRACK.{key}")
        if key == "PENALTY_K":
            ax.set_xscale("log")
    fig.suptitle(f"{study.study_name}: {len(trials)} completed trials, best {metric} {top.value:.4f} "
                 f"(trial {top.number})")
    fig.tight_layout()
    try:  # atomic and honouring the umask, as every results file
        atomic_write_with(path, lambda f: fig.savefig(f, format="png", dpi=100), binary=True)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    finally:
        plt.close(fig)
    return path
