"""What every command shares: one-line errors (status 2), Ctrl-C and SIGTERM (one line, status
130 / 143), the ``--config-file`` + trailing overrides arguments, fast config-file checks.

Standard library only: this module is imported before argument parsing.
"""
import argparse
import logging
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from importlib.util import find_spec, module_from_spec, spec_from_file_location
from pathlib import Path

__all__ = ["INPUT_ERROR", "INTERRUPTED", "TERMINATED", "program_name", "console_logging", "log_to_stderr", "report_error",
           "add_config_arguments", "add_threads_argument", "set_threads", "attach_negative_values", "stop_signals", "execute", "run_command",
           "config_file_problem", "option_value"]

INPUT_ERROR = 2
INTERRUPTED = 130  # 128 + SIGINT
TERMINATED = 143  # 128 + SIGTERM
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_received = []  # the stop signals received while a command runs, in order


def program_name(default, argv):
    """The name errors start with: the command as typed when run from the command line
    (``argv is None``: ``siamtrack-track`` or ``track_video.py``), else ``default``."""
    return os.path.basename(sys.argv[0]) if argv is None and sys.argv and sys.argv[0] else default


def console_logging(level=logging.INFO):
    """siamtrack's log lines (``siamtrack.*`` loggers) on stdout as plain messages, once."""
    logger = logging.getLogger("siamtrack")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


def log_to_stderr():
    """Move the console log lines of :func:`console_logging` to stderr (when stdout carries data,
    e.g. ``--output-boxes /dev/stdout``)."""
    for handler in logging.getLogger("siamtrack").handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)


def report_error(prog, message):
    """Print ``<prog>: error: <message>`` on stderr; returns the exit status 2."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return INPUT_ERROR


def add_config_arguments(parser, default=None, required=False,
                         help="siamtrack config: a packaged name (e.g. siamrpnpp_r50) or a YAML path",
                         opts_help="config overrides as KEY VALUE pairs, e.g. MODEL.WEIGHTS model.pth"):
    """detectron2's two config arguments: ``--config-file`` (a path or a packaged config name)
    and the trailing ``opts`` (``KEY VALUE ...`` overrides). Add ``opts`` last."""
    parser.add_argument("--config-file", default=default, required=required, metavar="FILE", help=help)
    parser.add_argument("opts", default=[], nargs=argparse.REMAINDER, help=opts_help)


def add_threads_argument(parser):
    """``--threads N``: CPU threads of PyTorch and OpenCV (default 0: PyTorch's own choice, one
    per core; docs/install.md, "CPU threads", has the measured effect on a busy machine)."""
    parser.add_argument("--threads", type=int, default=0, metavar="N",
                        help="CPU threads for PyTorch and OpenCV (default 0: one per core; use 1 or 2 on a "
                             "machine shared with other work)")


def set_threads(count):
    """Use ``count`` CPU threads in PyTorch and OpenCV, here and in the processes this one
    starts (``OMP_NUM_THREADS``); 0 leaves the defaults."""
    if count <= 0:
        return
    os.environ["OMP_NUM_THREADS"] = str(count)
    import cv2
    import torch

    torch.set_num_threads(count)
    cv2.setNumThreads(count)


def option_value(opts, key):
    """The value a ``KEY VALUE`` override list gives ``key`` (the last one), or None."""
    values = [value for name, value in zip(opts[::2], opts[1::2]) if name == key]
    return values[-1] if values else None


_NEGATIVE_VALUE = re.compile(r"-\.?\d")


def attach_negative_values(argv, options):
    """``argv`` with ``OPTION -20,140,...`` written ``OPTION=-20,140,...`` for each of ``options``:
    argparse takes a value starting with ``-`` for an option unless it is one plain number."""
    out, i = [], 0
    while i < len(argv):
        if argv[i] in options and i + 1 < len(argv) and _NEGATIVE_VALUE.match(argv[i + 1]):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def _on_stop_signal(signum, frame):
    """Ctrl-C and SIGTERM: the first raises ``KeyboardInterrupt`` (what was computed is kept as
    on Ctrl-C); a second one, while that is being handled, ends the process at once."""
    _received.append(signum)
    if len(_received) > 1:
        os.write(2, f"{program_name('siamtrack', None)}: stopped again, exiting at once\n".encode())
        os._exit(128 + signum)
    raise KeyboardInterrupt


@contextmanager
def stop_signals():
    """SIGINT and SIGTERM raise ``KeyboardInterrupt`` inside the block (main thread only; a
    signal the process was started to ignore stays ignored); the handlers in place before are
    restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    del _received[:]
    for sig, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, _on_stop_signal)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _interrupted(prog, exc):
    """One line for Ctrl-C / SIGTERM (with the interrupt's own message, e.g. what was kept);
    returns 130, or 143 for SIGTERM."""
    signum = _received[0] if _received else signal.SIGINT
    what = "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted"
    detail = str(exc)
    print(f"{prog}: {what}" + (f": {detail}" if detail else ""), file=sys.stderr)
    return TERMINATED if signum == signal.SIGTERM else INTERRUPTED


def execute(prog, work, *args):
    """Run ``work(*args)`` and return its exit status (0 when it returns None).

    A :class:`siamtrack.utils.errors.InputError` (the root of every user-facing error) prints
    ``<prog>: error: <first line>`` and returns 2; Ctrl-C prints one line (the interrupt's own
    message if it has one, e.g. what was kept) and returns 130, SIGTERM the same with 143
    (inside :func:`stop_signals`), also when the signal surfaced as another error. Anything
    else is a bug and keeps its traceback.
    """
    try:
        from siamtrack.utils.errors import InputError, first_line

        try:
            status = work(*args)
        except InputError as exc:
            return report_error(prog, first_line(exc))
        return 0 if status is None else status
    except KeyboardInterrupt as exc:
        return _interrupted(prog, exc)
    except Exception as exc:
        # A stop signal in the middle of an import or a C extension can surface as another
        # error (numpy turns it into an ImportError, which siamtrack's guard reports as a
        # missing detectron2): when one was received, it is the cause.
        interrupt = _interrupt_behind(exc)
        if interrupt is None and not _received:
            raise
        return _interrupted(prog, interrupt or KeyboardInterrupt())


def _interrupt_behind(exc):
    """The ``KeyboardInterrupt`` among the causes / contexts of ``exc``, or None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def run_command(default_prog, build_parser, argument_problem, work, argv=None, log_to_console=False,
                negative_value_options=()):
    """A command's ``main``: with SIGINT / SIGTERM handled (:func:`stop_signals`, installed before
    any heavy import), parse ``argv`` with ``build_parser(prog)`` (values of
    ``negative_value_options`` may start with ``-``), report ``argument_problem(args)`` (checks
    that import nothing heavy) as one line with status 2, then :func:`execute` ``work(args)``.
    Run from the command line (``argv is None``), ``log_to_console`` shows siamtrack's log
    lines (:func:`console_logging`)."""
    prog = program_name(default_prog, argv)
    from_command_line = argv is None
    with stop_signals():
        try:
            argv = sys.argv[1:] if from_command_line else list(argv)
            args = build_parser(prog).parse_args(attach_negative_values(argv, negative_value_options))
            problem = argument_problem(args)
            if problem:
                return report_error(prog, problem)
            if log_to_console and from_command_line:
                console_logging()
        except KeyboardInterrupt as exc:
            return _interrupted(prog, exc)
        return execute(prog, work, args)


def _packaged_configs():
    """:mod:`siamtrack.packaged_configs` (the config name rule), loaded from its file without
    importing siamtrack (whose ``__init__`` imports torch); None when siamtrack is not found."""
    if "siamtrack.packaged_configs" in sys.modules:
        return sys.modules["siamtrack.packaged_configs"]
    spec = find_spec("siamtrack")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "packaged_configs.py"
    module_spec = spec_from_file_location("_siamtrack_packaged_configs", path)
    if module_spec is None or not path.is_file():
        return None
    module = module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def config_file_problem(config_file):
    """Why ``config_file`` cannot be a config (``"config file not found: X (packaged configs:
    ...)"``), or None.

    A path that exists is fine; so is a packaged config name (``siamrpnpp_r50``,
    ``pysot/siamrpn_alex_dwxcorr.yaml``), resolved by the same rule as
    ``siamtrack.config.load_config``. Nothing heavy is imported, so a mistyped name is
    reported at once.
    """
    if os.path.isfile(config_file):
        return None
    packaged = _packaged_configs()
    if packaged is None:
        return f"config file not found: {config_file}"
    if packaged.find_config(config_file) is not None:
        return None
    return packaged.missing_config_message(config_file)
