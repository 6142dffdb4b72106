"""What every command shares: one-line errors (status 2), Ctrl-C (status 130) and SIGTERM
(status 143) as one line, fast file checks.

Standard library only: this module is imported before argument parsing.
"""
import logging
import os
import signal
import sys
import threading
from importlib.util import find_spec, module_from_spec, spec_from_file_location
from pathlib import Path

__all__ = ["INPUT_ERROR", "INTERRUPTED", "TERMINATED", "Terminated", "program_name", "console_logging", "report_error", "execute",
           "run_command", "config_file_problem"]

INPUT_ERROR = 2
INTERRUPTED = 130
TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a process SIGTERM ended


class Terminated(KeyboardInterrupt):
    """SIGTERM (``timeout``, ``docker stop``, job schedulers), raised like Ctrl-C so that a
    command stops the same way -- partial outputs closed, one line -- and exits with 143."""


def _raise_terminated(signum, frame):
    raise Terminated("terminated (SIGTERM)")


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


def report_error(prog, message):
    """Print ``<prog>: error: <message>`` on stderr; returns the exit status 2."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return INPUT_ERROR


def execute(prog, work, *args):
    """Run ``work(*args)`` and return its exit status (0 when it returns None).

    A :class:`siamtrack.utils.errors.InputError` (the root of every user-facing error) prints
    ``<prog>: error: <first line>`` and returns 2; Ctrl-C prints one line (the interrupt's own
    message if it has one, e.g. what was kept) and returns 130. Anything else is a bug and
    keeps its traceback. SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``) meanwhile:
    the same one line, status 143.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if main_thread else None
    try:
        from siamtrack.utils.errors import InputError, first_line

        try:
            status = work(*args)
        except InputError as exc:
            return report_error(prog, first_line(exc))
        return 0 if status is None else status
    except KeyboardInterrupt as exc:
        print(f"{prog}: {str(exc) or 'interrupted'}", file=sys.stderr)
        return TERMINATED if isinstance(exc, Terminated) else INTERRUPTED
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def run_command(default_prog, build_parser, argument_problem, work, argv=None, log_to_console=False):
    """A command's ``main``: parse ``argv`` with ``build_parser(prog)``, report
    ``argument_problem(args)`` (checks that import nothing heavy) as one line with status 2,
    then :func:`execute` ``work(args)``. Run from the command line (``argv is None``),
    ``log_to_console`` shows siamtrack's log lines (:func:`console_logging`)."""
    prog = program_name(default_prog, argv)
    args = build_parser(prog).parse_args(argv)
    problem = argument_problem(args)
    if problem:
        return report_error(prog, problem)
    if log_to_console and argv is None:
        console_logging()
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
