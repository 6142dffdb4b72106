"""Safe file writing: atomic writes that honour the umask, outputs that never overwrite an
input, one writer per output, and what a file that should hold a checkpoint actually holds.

An existing output that is neither a regular file nor a folder (``/dev/null``, ``/dev/stdout``,
a FIFO, a link to one) is written directly: a rename would replace the device by a file.
"""
import glob
import os
import tempfile
from contextlib import contextmanager
from typing import Iterable, Optional, Sequence, Tuple

from .errors import InputError, first_line

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; a second writer is then not detected
    fcntl = None

__all__ = ["current_umask", "is_special", "cannot_write", "OutputBusyError", "lock_or_refuse", "open_locked", "folder_lock",
           "remove_leftovers", "atomic_write", "atomic_write_with", "OutputClashError", "same_file",
           "check_outputs_spare_inputs", "check_folder_spares_inputs", "file_kind"]

_ZIP_MAGIC = b"PK\x03\x04"
_PICKLE_PROTOCOL = 0x80  # every pickle of protocol 2 or later starts with the PROTO opcode


class OutputClashError(InputError):
    """An output path that resolves to one of the command's inputs (it would destroy it)."""


class OutputBusyError(InputError):
    """An output another running process is writing (its lock is held)."""


def cannot_write(path, exc) -> InputError:
    """The one-line :class:`InputError` for an ``OSError`` (or torch's ``RuntimeError``) met
    while writing ``path``: ``"cannot write PATH: <reason>"``."""
    reason = getattr(exc, "strerror", None) or first_line(exc)
    return InputError(f"cannot write {path}: {reason}")


def is_special(path) -> bool:
    """True for an existing path that is neither a regular file nor a folder (a device, a FIFO,
    or a link to one): outputs are written to it directly, never renamed over it."""
    return os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)


def lock_or_refuse(fd, path, what="output"):
    """Take the exclusive advisory lock of the open file ``fd`` (a number or a file object)
    without waiting; raise :class:`OutputBusyError` naming ``path`` when another process
    holds it. The lock lasts until the file is closed (or the process ends, even by SIGKILL)."""
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputBusyError(f"{what} {path} is being written by another running process: wait for it to "
                              "finish or choose another output") from None
    except OSError:  # a file system without locks (some network mounts): a second writer goes unseen
        pass


def open_locked(path):
    """The file ``path`` opened for writing (created with the umask's mode) and locked
    (:func:`lock_or_refuse`); it is emptied only once the lock is held, so a second writer never
    truncates the first one's file. Returns the descriptor (closing it releases the lock)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        lock_or_refuse(fd, path)
        os.ftruncate(fd, 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def folder_lock(folder, what="output folder"):
    """Hold the exclusive lock of ``folder`` (created if missing) for the block: a second
    writer into the same folder gets :class:`OutputBusyError` at once (no lock file is left)."""
    os.makedirs(folder, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY)
    try:
        lock_or_refuse(fd, folder, what)
        yield
    finally:
        os.close(fd)


def remove_leftovers(folder, patterns) -> list:
    """Remove what killed runs left in ``folder``: the files and folders matching the glob
    ``patterns`` (call it while holding the folder's lock); returns the removed paths."""
    import shutil

    removed = []
    for pattern in patterns:
        for path in glob.glob(os.path.join(glob.escape(os.fspath(folder)), pattern)):
            try:
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
            except OSError:
                continue
            removed.append(path)
    return removed


def current_umask() -> int:
    """The process's file-creation mask: from ``/proc/self/status`` on Linux, else by setting
    and restoring it (which another thread creating a file at that instant could notice)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path, lines: Iterable[str]):
    """Write ``lines`` (each followed by a newline) to ``path`` through a temporary file in the
    same folder and a rename, so that readers never see a partial file and an interrupted write
    leaves the old file (or none). Missing folders are created. A device or FIFO
    (:func:`is_special`) is written directly.

    The file gets the mode a plain ``open(path, "w")`` would give (``0o666`` less the umask);
    ``tempfile.mkstemp`` alone would leave it readable by its owner only. An ``OSError`` names
    ``path`` (``exc.filename``), never the temporary file.
    """
    atomic_write_with(path, lambda f: f.write("".join(line + "\n" for line in lines)))


def atomic_write_with(path, write, binary=False):
    """:func:`atomic_write` for any content: ``write(file)`` fills the temporary file (opened
    for text, or bytes with ``binary``), which then replaces ``path``; same modes and errors."""
    path = os.fspath(path)
    if is_special(path):
        with open(path, "wb" if binary else "w") as f:
            write(f)
        return
    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp_", suffix=os.path.splitext(path)[1])
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, path) from None
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            write(f)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(exc, OSError):
            raise type(exc)(exc.errno, exc.strerror, path) from None
        raise


def same_file(a, b) -> bool:
    """True when paths ``a`` and ``b`` name the same file: ``os.path.samefile`` when both exist
    (hard links, symbolic links, ``..``), else the same real path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_outputs_spare_inputs(outputs: Sequence[Tuple[str, object]], inputs: Sequence[Tuple[str, object]]):
    """Raise :class:`OutputClashError` when an output resolves to an input, or two outputs to
    the same file. ``outputs`` and ``inputs`` are ``(what, path)`` pairs (``"--output-boxes"``,
    ``"out.txt"``); pairs whose path is empty or None are skipped. Call it before writing anything."""
    outputs = [(what, os.fspath(p)) for what, p in outputs if p]
    inputs = [(what, os.fspath(p)) for what, p in inputs if p]
    for i, (what, path) in enumerate(outputs):
        for source, input_path in inputs:
            if same_file(path, input_path):
                name = source if source.startswith("input") else f"the input {source}"
                raise OutputClashError(f"{what} {path} is {name} {input_path}: refusing "
                                       "to overwrite an input; choose another output path")
        for other, other_path in outputs[:i]:
            if (what, path) == (other, other_path):
                raise OutputClashError(f"{what} {path} is given twice; give each output its own path")
            if same_file(path, other_path):
                raise OutputClashError(f"{what} {path} and {other} {other_path} are the same file; "
                                       "give each output its own path")


def check_folder_spares_inputs(what, folder, inputs: Sequence[Tuple[str, object]]):
    """Raise :class:`OutputClashError` when an input of ``inputs`` (``(what, path)`` pairs) is
    the output folder ``folder`` or lies inside it (replacing the folder would delete it)."""
    real_folder = os.path.realpath(folder)
    for source, path in inputs:
        if path and os.path.exists(path):
            real = os.path.realpath(path)
            if os.path.commonpath([real, real_folder]) == real_folder:
                raise OutputClashError(f"{what} {folder} holds the input {source} {path}: refusing to write "
                                       "over an input; choose another output folder")


def file_kind(path) -> Optional[str]:
    """What ``path`` starts with: ``"zip"`` (a zip archive: PyTorch's format since 1.6),
    ``"pickle"`` (protocol 2+: older ``torch.save`` files), ``"empty"``, ``"text"`` (UTF-8
    text) or ``"binary"`` (anything else); None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    if not head:
        return "empty"
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head[0] == _PICKLE_PROTOCOL:
        return "pickle"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the 4096 bytes
            return "binary"
    return "text"
