"""Bottom layer: helpers every other siamtrack package may use, and that import none of them.

* :mod:`.errors` — :class:`InputError`, the root of user-facing errors, and ``first_line``;
* :mod:`.device` — the one ``MODEL.DEVICE`` rule (default, checks, :class:`DeviceError`);
* :mod:`.textio` — the one reader of number, flag and name files;
* :mod:`.natural_sort` — the one natural sort (every digit run compares as a number);
* :mod:`.frames` — frame normalisation, image listing (natural order) and reading;
* :mod:`.video_io` — frame sources: video file, image folder, camera (truncated files reported);
* :mod:`.video_encode` — video encoders: codec per container, odd frame sizes;
* :mod:`.fileio` — atomic writes that honour the umask, outputs that never overwrite an input,
  what a would-be checkpoint file holds;
* :mod:`.interrupts` — Ctrl-C / SIGTERM held back while a unit of work completes.

See ``docs/architecture.md`` for the layer order.
"""
from .errors import InputError, first_line

__all__ = ["InputError", "first_line"]
