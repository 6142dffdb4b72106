"""The root of every user-facing error: each message is one line meant for users.

Tools catch :class:`InputError` alone and print ``<tool>: error: <message>`` with exit status 2;
anything else is a bug and keeps its traceback.
"""


class InputError(ValueError):
    """Base of every error caused by user input (video, frame, box, device, weights, config,
    dataset layout, benchmark, results, conversion)."""


_WORKER_PREFIX = "Caught "


def first_line(exc):
    """First line of ``exc``'s message (its type name when the message is empty), for one-line
    reports. An error re-raised from a PyTorch DataLoader worker (``"Caught FrameError in
    DataLoader worker process 0."`` followed by the worker's traceback) gives the worker's own
    message, which names the file, with where it was raised."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    if lines[0].startswith(_WORKER_PREFIX) and "worker process" in lines[0] and len(lines) > 2:
        last = lines[-1].strip()
        name = type(exc).__name__
        message = last.split(f"{name}: ", 1)[1] if f"{name}: " in last else last
        return f"{message} (in {lines[0][len(_WORKER_PREFIX):].split(' ', 2)[2].rstrip('.')})"
    return lines[0]
