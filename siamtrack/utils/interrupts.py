"""Ctrl-C and SIGTERM held back while a unit of work must complete (a frame written to every
output), then handled as they would have been."""
import os
import signal
import threading
from contextlib import contextmanager

__all__ = ["interrupts_deferred", "interrupt_behind"]

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM") if hasattr(signal, name))


@contextmanager
def interrupts_deferred():
    """Inside the block, SIGINT / SIGTERM are only recorded; on leaving it, the handlers in place
    before are restored and the first recorded signal is handed to its handler (Python's
    ``KeyboardInterrupt``, a command's own handler, or the default action). In the main thread
    only (elsewhere Python runs no signal handlers, and the block is a no-op).

    Blocking the signals (``pthread_sigmask``) would not do: a process-directed signal is then
    delivered to another thread (torch's, OpenCV's) and Python still runs its handler at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous = {}
    for sig in _SIGNALS:
        handler = signal.getsignal(sig)
        if handler not in (signal.SIG_IGN, None):
            previous[sig] = handler
            signal.signal(sig, lambda signum, frame: pending.append((signum, frame)))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:
            signum, frame = pending[0]
            handler = previous[signum]
            if handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)  # the default action, as if it had not been held back
            else:
                handler(signum, frame)


def interrupt_behind(exc, depth=32):
    """The ``KeyboardInterrupt`` that ``exc`` is or was raised while handling (its causes and
    contexts, ``depth`` deep at most), or None: a Ctrl-C / SIGTERM that surfaced as another
    error (a data-loader worker killed by the same signal)."""
    for _ in range(depth):
        if exc is None or isinstance(exc, KeyboardInterrupt):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None
