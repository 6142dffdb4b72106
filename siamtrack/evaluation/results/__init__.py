"""A tracker's result files in pysot's layouts (docs/evaluation.md): :mod:`.files` (one
sequence's file: paths, atomic writes, reads), :mod:`.longterm` (boxes and confidences),
:mod:`.folders` (a whole tracker folder), :mod:`.fingerprint` (what made a folder: resume
safety), :mod:`.claims` (one writer per sequence)."""
from .claims import SequenceClaim
from .files import ResultsError, read_boxes, result_path, write_boxes
from .fingerprint import ResultsRecord, default_tracker_name, results_fingerprint
from .folders import is_tracker_dir, load_result_times, load_tracker_results
from .longterm import load_longterm_results, read_longterm_results, write_longterm_results

__all__ = ["SequenceClaim", "ResultsError", "read_boxes", "result_path", "write_boxes", "ResultsRecord",
           "default_tracker_name", "results_fingerprint", "is_tracker_dir", "load_result_times",
           "load_tracker_results", "load_longterm_results", "read_longterm_results",
           "write_longterm_results"]
