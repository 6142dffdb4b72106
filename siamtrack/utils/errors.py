"""The root of every user-facing error: each message is one line meant for users.

Tools catch :class:`InputError` alone and print ``<tool>: error: <message>`` with exit status 2;
anything else is a bug and keeps its traceback.
"""


class InputError(ValueError):
    """Base of every error caused by user input (video, frame, box, device, weights, config,
    dataset layout, benchmark, results, conversion)."""


def first_line(exc):
    """First line of ``exc``'s message (its type name when the message is empty), for one-line reports."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
