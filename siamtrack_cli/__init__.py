"""siamtrack's commands: the ``main(argv=None)`` of each, with its argument parser.

The console scripts that ``setup.py`` declares call these: ``siamtrack-track`` (:mod:`.track`),
``siamtrack-train`` (:mod:`.train`), ``siamtrack-eval`` (:mod:`.eval`), ``siamtrack-convert``
(:mod:`.convert`), ``siamtrack-benchmark`` (:mod:`.benchmark`), ``siamtrack-export``
(:mod:`.export`) and ``siamtrack-tune`` (:mod:`.tune`); so do the thin wrappers of ``tools/``,
which add the quickstart (:mod:`.quickstart`, ``tools/quickstart.py``). ``common`` and ``paths``
are the helpers they share. (The development tools of the checkout, such as the GPU check, are
in ``tools/siamtrack_dev``, not here.)

This package sits above every layer of ``siamtrack`` (docs/architecture.md) and lives beside
it, not inside it, for one reason: ``import siamtrack`` registers everything with detectron2 and
so imports torch (seconds), and Python runs a package's ``__init__`` before any of its
submodules. Here, the modules import only the standard library at module level; each command
parses and checks its arguments first (``--help``, a bad option or a missing file answer at
once) and imports siamtrack afterwards.
"""
