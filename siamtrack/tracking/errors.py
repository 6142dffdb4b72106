"""The tracking package's input errors: each message is one line meant for users."""


class InputError(ValueError):
    """Base of every error caused by user input (video, frame, box, device, weights, config)."""
