"""Training checkpoints that are never partial, and a clear word when one cannot be resumed.

* :class:`SiamCheckpointer` -- detectron2's :class:`DetectionCheckpointer` writing every file
  (``model_XXXXXXX.pth``, ``model_final.pth``, ``last_checkpoint``) to a temporary file in the
  same folder first and renaming it when complete: a full disk during a save leaves the earlier
  checkpoints and ``last_checkpoint`` as they were (and is one line, :class:`CheckpointWriteError`);
  Ctrl-C or SIGTERM during a save takes effect once the save is complete. A model holding NaN or
  infinity (a diverged training) is never saved: :class:`TrainingDivergedError` names the last
  good checkpoint instead.
* :func:`resume_problem` -- why the checkpoint ``last_checkpoint`` names cannot be resumed
  (missing, empty, truncated), with the newest readable earlier checkpoint to use instead.
"""
import os
import re
import zipfile

import torch
from detectron2.checkpoint import DetectionCheckpointer

from ..checkpoint.loading import non_finite_report
from ..utils.errors import InputError, first_line
from ..utils.interrupts import interrupts_deferred

__all__ = ["CheckpointWriteError", "TrainingDivergedError", "SiamCheckpointer", "last_checkpoint_path",
           "checkpoint_problem", "resume_problem", "LEFTOVERS"]

# What a killed run leaves in OUTPUT_DIR: this module's temporary files (and utils.fileio's).
LEFTOVERS = (".*.tmp-*", ".tmp_*")


class CheckpointWriteError(InputError):
    """A checkpoint that could not be written (full disk, read-only folder); the earlier ones stay."""


class TrainingDivergedError(InputError):
    """The model holds NaN or infinity: training diverged; nothing is saved over the checkpoints."""


class _Recorder:
    """A binary file whose write errors are kept: torch.save reports them as a RuntimeError
    ("unexpected pos ...") that no longer says why."""

    def __init__(self, f):
        self._f, self.error = f, None

    def write(self, data):
        try:
            return self._f.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def __getattr__(self, name):
        return getattr(self._f, name)

_NUMBERED = re.compile(r"model_(\d+)\.pth$")


def _write_atomically(path, write):
    """Call ``write(binary_file)`` on ``.<name>.tmp-<pid>`` beside ``path``, then rename it to
    ``path``; on any failure or interrupt the temporary file is removed. (Only the main process
    saves checkpoints, so the name is unique; ``open`` gives the mode the umask allows.)"""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.tmp-{os.getpid()}")
    recorder = None
    try:
        with open(tmp, "wb") as f:
            recorder = _Recorder(f)
            write(recorder)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:
        cause = recorder.error if recorder is not None and recorder.error is not None else exc
        kept = last_checkpoint_path(folder)
        raise CheckpointWriteError(
            f"cannot write checkpoint {path}: {getattr(cause, 'strerror', None) or first_line(cause)}; "
            + (f"the earlier checkpoints are kept, the last is {kept} (continue with --resume)"
               if kept and os.path.isfile(kept) else "no checkpoint was written")) from None
    finally:
        try:
            if os.path.exists(tmp):
                os.remove(tmp)
        except OSError:
            pass


class SiamCheckpointer(DetectionCheckpointer):
    """:class:`DetectionCheckpointer` whose files appear only complete (see the module docstring).

    What a checkpoint holds is unchanged: ``model``, the ``checkpointables`` (the trainer's
    state: iteration, hooks, optimizer) and the keyword arguments of :meth:`save`.
    """

    def save(self, name, **kwargs):
        """Write ``<save_dir>/<name>.pth`` atomically, then point ``last_checkpoint`` at it."""
        if not self.save_dir or not self.save_to_disk:
            return
        data = {"model": self.model.state_dict()}
        broken = non_finite_report(data["model"])
        if broken:
            kept = last_checkpoint_path(self.save_dir)
            raise TrainingDivergedError(
                f"training diverged: the model holds {broken}, so {name}.pth was not saved (lower "
                "SOLVER.BASE_LR or the LR schedule); " + (f"the last good checkpoint is {kept}" if kept
                                                          and os.path.isfile(kept) else "no checkpoint was written"))
        for key, obj in self.checkpointables.items():
            data[key] = obj.state_dict()
        data.update(kwargs)
        basename = f"{name}.pth"
        save_file = os.path.join(self.save_dir, basename)
        self.logger.info("Saving checkpoint to %s", save_file)
        # A signal in the middle of torch.save surfaces as its zip writer's RuntimeError, not as
        # the interrupt: let the save finish (a second or so), then stop with the checkpoint kept.
        with interrupts_deferred():
            _write_atomically(save_file, lambda f: torch.save(data, f))
            self.tag_last_checkpoint(basename)

    def tag_last_checkpoint(self, last_filename_basename):
        """Write ``last_checkpoint`` (the name of the newest checkpoint) atomically."""
        _write_atomically(os.path.join(self.save_dir, "last_checkpoint"),
                          lambda f: f.write(last_filename_basename.encode("utf-8")))


def last_checkpoint_path(output_dir):
    """The checkpoint ``output_dir/last_checkpoint`` names (as DetectionCheckpointer reads it), or None."""
    try:
        with open(os.path.join(output_dir, "last_checkpoint"), encoding="utf-8") as f:
            return os.path.join(output_dir, f.read().strip())
    except OSError:
        return None


def checkpoint_problem(path):
    """Why ``path`` is not a complete checkpoint file (``"does not exist"``, ``"is empty"``,
    ``"is truncated or damaged (...)"``), or None. A torch file is a zip archive: its directory
    is at the end and every entry has a CRC, so a cut or damaged file is found without unpickling."""
    if not os.path.isfile(path):
        return "does not exist"
    if os.path.getsize(path) == 0:
        return "is empty"
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return f"is truncated or not a checkpoint ({first_line(exc)})"
    if bad is not None:
        return f"is damaged (its entry {bad} fails its CRC check)"
    return None


def _checkpoints_newest_first(output_dir):
    """``model_XXXXXXX.pth`` files of ``output_dir`` by falling iteration, ``model_final.pth`` first."""
    try:
        names = os.listdir(output_dir)
    except OSError:
        return []
    numbered = sorted(((int(m.group(1)), n) for n in names if (m := _NUMBERED.fullmatch(n))), reverse=True)
    return (["model_final.pth"] if "model_final.pth" in names else []) + [n for _, n in numbered]


def resume_problem(output_dir):
    """One line saying why ``--resume`` cannot continue from the checkpoint that
    ``output_dir/last_checkpoint`` names, and which earlier checkpoint can; None when it can
    (or when there is no ``last_checkpoint``: a resume then starts afresh, as in detectron2)."""
    path = last_checkpoint_path(output_dir)
    problem = checkpoint_problem(path) if path is not None else None
    if problem is None:
        return None
    tag = os.path.join(output_dir, "last_checkpoint")
    message = f"--resume: the last checkpoint {path} (named in {tag}) {problem}"
    earlier = next((name for name in _checkpoints_newest_first(output_dir)
                    if os.path.join(output_dir, name) != path
                    and checkpoint_problem(os.path.join(output_dir, name)) is None), None)
    if earlier is None:
        return message + "; no other checkpoint there is readable: start without --resume"
    return (message + f"; the newest readable other checkpoint is {earlier}: to resume from it, "
            f"write its name into {tag} (echo {earlier} > {tag})")
