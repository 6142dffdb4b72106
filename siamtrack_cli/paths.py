"""Output paths checked before any work: a command that will fail to write its result says so
at once, in one line naming the user's path, instead of after minutes of tracking.

Standard library only (imported before argument parsing). The library checks the same again
when it writes (a folder can become read-only meanwhile) and refuses outputs that resolve to
an input (``siamtrack.utils.fileio.check_outputs_spare_inputs``).
"""
import os

__all__ = ["output_file_problem", "output_folder_problem"]


def _nearest_existing(path):
    """``path`` or its closest ancestor that exists."""
    path = os.path.abspath(path)
    while not os.path.lexists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def _folder_problem(what, path, folder):
    """Why no file can be created in the existing ``folder`` (an ancestor of ``path``), or None."""
    if not os.path.isdir(folder):
        return f"cannot write {what} {path}: {folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        read_only = hasattr(os, "statvfs") and os.statvfs(folder).f_flag & os.ST_RDONLY
        reason = "is on a read-only file system" if read_only else "is not writable (permission denied)"
        return f"cannot write {what} {path}: the folder {folder} {reason}"
    return None


def output_file_problem(what, path, make_folders=True):
    """Why the file ``path`` (the ``what`` output, e.g. ``"--output-boxes"``) cannot be written,
    or None: it is a folder, or its folder is missing (unless ``make_folders``: the writer
    creates it), not a folder, read-only or not writable."""
    if not path:
        return None
    if os.path.isdir(path):
        return f"cannot write {what} {path}: it is a folder"
    folder = os.path.dirname(os.path.abspath(path))
    if not make_folders and not os.path.isdir(folder):
        return f"cannot write {what} {path}: the folder {folder} does not exist"
    if os.path.exists(path) and not os.path.isfile(path):
        return None  # a device or FIFO (/dev/stdout): written directly
    return _folder_problem(what, path, _nearest_existing(folder))


def output_folder_problem(what, path):
    """Why the folder ``path`` cannot be created or written into, or None."""
    if not path:
        return None
    if os.path.isdir(path):
        return _folder_problem(what, path, path)
    if os.path.lexists(path):
        return f"cannot write {what} {path}: it exists and is not a folder"
    return _folder_problem(what, path, _nearest_existing(os.path.dirname(os.path.abspath(path))))
