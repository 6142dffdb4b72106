"""siamtrack's development tools: code that checks or studies the library and is not part of it.

It lives beside the package, under ``tools/``, and the wheel does not ship it (``setup.py``
packages only ``siamtrack`` and ``siamtrack_cli``); run it from a checkout with the thin
wrappers of ``tools/`` (``tools/*.py`` put this folder on the import path):

* :mod:`.gpu_check` / :mod:`.gpu_check_cli` — the GPU check (``tools/gpu_check.py``, docs/gpu.md);
* :mod:`.lost_signal` — the study of the target-lost signal (``tools/lost_signal.py``,
  docs/tracking.md, "Target lost");
* :mod:`.benchmark_rows` — README table rows from a ``siamtrack-benchmark --json`` result
  (``tools/benchmark_rows.py``, docs/deploy.md, "Speed").
"""
