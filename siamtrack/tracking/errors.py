"""The tracking package's input errors: each message is one line meant for users."""


class InputError(ValueError):
    """Base of every error caused by user input (video, frame, box, device, weights, config)."""


def first_line(exc):
    """First line of ``exc``'s message (its type name when the message is empty), for one-line reports."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
