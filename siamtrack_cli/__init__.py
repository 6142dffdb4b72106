"""siamtrack's commands: the ``main(argv=None)`` of each, with its argument parser.

``siamtrack-track``, ``siamtrack-train``, ``siamtrack-eval``, ``siamtrack-convert`` and
``siamtrack-benchmark`` (console scripts), and ``tools/*.py`` (thin wrappers), call these.

This package sits above every layer of ``siamtrack`` (docs/architecture.md) and lives beside
it, not inside it, for one reason: ``import siamtrack`` registers everything with detectron2 and
so imports torch (seconds), and Python runs a package's ``__init__`` before any of its
submodules. Here, the modules import only the standard library at module level; each command
parses and checks its arguments first (``--help``, a bad option or a missing file answer at
once) and imports siamtrack afterwards.
"""
