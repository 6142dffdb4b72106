"""The GPU check's report: one :class:`CheckLine` per measured fact, written as it comes.

Each line has a *kind* that says what its status means:

* ``exactness`` — a bound the device must meet (CUDA vs CPU outputs, boxes, crops); a FAIL or
  ERROR makes the check exit non-zero;
* ``test`` — the test suite's CUDA-marked tests; a failure also makes the check exit non-zero;
* ``goal`` — a speed or training goal of the project (docs/gpu.md; benchmark figures: reported, not enforced);
* ``info`` — a measurement with no bound (``INFO``), or a speed-up that could not be tried.

Statuses: ``PASS``, ``FAIL``, ``SKIP`` (not run here, with the reason), ``INFO`` (no bound),
``ERROR`` (the step raised; the note holds the error's first line). The JSON file is rewritten
atomically after every line, so an interrupted run keeps everything measured so far.
"""
import contextlib
import json
import math
import time
from dataclasses import asdict, dataclass, field

from tabulate import tabulate

from siamtrack.utils.errors import first_line
from siamtrack.utils.fileio import atomic_write

__all__ = ["CheckLine", "Report", "judge", "ENFORCED_KINDS", "FORMAT"]

FORMAT = "siamtrack-gpu-check"
ENFORCED_KINDS = ("exactness", "test")  # a FAIL / ERROR of these fails the check


@dataclass
class CheckLine:
    """One fact: ``value`` (a number, or None) in ``unit`` against ``bound`` (text), its status."""

    section: str
    name: str
    value: object
    unit: str
    bound: str
    status: str
    kind: str
    note: str = ""
    details: dict = field(default_factory=dict)
    detail: bool = False  # a speed grid cell: in the JSON and the speed table, not the main table


def judge(value, op, limit):
    """``"PASS"`` when ``value op limit`` holds (op one of ``<=``, ``>=``, ``==``), else ``"FAIL"``;
    a value that is not a finite number fails."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "FAIL"
    ok = {"<=": value <= limit, ">=": value >= limit, "==": value == limit}[op]
    return "PASS" if ok else "FAIL"


def _cell(value, unit):
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.4g}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


class Report:
    """Collects lines, prints each as it comes, and keeps ``json_path`` up to date."""

    def __init__(self, meta, json_path=None, table_path=None, echo=print):
        self.meta = dict(meta)
        self.lines = []
        self.sections = {}
        self.json_path = json_path
        self.table_path = table_path
        self.echo = echo
        self.start = time.perf_counter()

    def elapsed(self):
        """Seconds since the report was created."""
        return time.perf_counter() - self.start

    def progress(self, message):
        """Print ``message`` with the elapsed time (progress of a long run)."""
        self.echo(f"[gpu-check {self.elapsed():6.1f} s] {message}")

    def add(self, line):
        """Record ``line``, print it and rewrite the JSON file; returns the line."""
        self.lines.append(line)
        if not line.detail:
            note = f" ({line.note})" if line.note else ""
            self.progress(f"{line.status:5} {line.section}: {line.name} = {_cell(line.value, line.unit)} "
                          f"[{line.bound}]{note}")
        self.write()
        return line

    @contextlib.contextmanager
    def guard(self, section, name, kind="info"):
        """Run the block; an exception becomes an ``ERROR`` line (``kind``: whether it counts as
        an exactness failure) instead of ending the check. Ctrl-C still ends it."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 -- any failure of a step is reported, the check goes on
            self.add(CheckLine(section, name, None, "", "-", "ERROR", kind,
                               note=f"{type(exc).__name__}: {first_line(exc)}"[:300]))

    def end_section(self, name, status, seconds):
        """Record that section ``name`` ended (``done``, ``skipped`` or ``error``)."""
        self.sections[name] = {"status": status, "seconds": round(seconds, 2)}
        self.write()

    def failed(self):
        """The enforced lines (exactness, tests) that failed or raised."""
        return [line for line in self.lines if line.kind in ENFORCED_KINDS and line.status in ("FAIL", "ERROR")]

    def exit_status(self):
        """0 when every enforced line passed or was skipped, else 1."""
        return 1 if self.failed() else 0

    def counts(self):
        """``{status: number of lines}``."""
        counts = {}
        for line in self.lines:
            counts[line.status] = counts.get(line.status, 0) + 1
        return counts

    def to_dict(self):
        """The JSON document (see docs/gpu.md, "The JSON file")."""
        return {
            "format": FORMAT, "version": 1, **self.meta, "seconds": round(self.elapsed(), 2),
            "sections": self.sections, "counts": self.counts(), "exactness_ok": not self.failed(),
            "lines": [asdict(line) for line in self.lines],
        }

    def write(self):
        """Rewrite the JSON file (atomically) and the table file, when they were asked for."""
        if self.json_path:
            atomic_write(self.json_path, [json.dumps(self.to_dict(), indent=1, default=str)])
        if self.table_path:
            atomic_write(self.table_path, [self.table("github")])

    def table(self, fmt="simple"):
        """The main table and the speed grid as text (``fmt``: a tabulate format, e.g. ``github``)."""
        rows = [(line.section, line.name, _cell(line.value, line.unit), line.bound, line.status, line.note)
                for line in self.lines if not line.detail]
        text = tabulate(rows, headers=("section", "check", "value", "bound / goal", "status", "note"),
                        tablefmt=fmt, disable_numparse=True)
        grid = self.speed_grid(fmt)
        return text + ("\n\n" + grid if grid else "")

    def speed_grid(self, fmt="simple"):
        """Speed runs as a grid: one row per model and setting, one column per target count
        (aggregate target-frames/s), plus the outside-network ms of each cell."""
        cells = [line for line in self.lines if line.detail]
        if not cells:
            return ""
        counts = sorted({line.details["targets"] for line in cells})
        rows = {}
        for line in cells:
            key = (line.details["model"], line.details["setting"])
            row = rows.setdefault(key, {})
            if line.status == "INFO":
                row[line.details["targets"]] = (f"{line.value:.1f} ({line.details['outside_ms']:.2f} ms)")
            else:
                row[line.details["targets"]] = line.status
        headers = ["model", "setting"] + [f"{n} target{'s' if n > 1 else ''}" for n in counts]
        body = [[model, setting] + [row.get(n, "-") for n in counts] for (model, setting), row in rows.items()]
        title = "speed: aggregate target-frames/s (tracker time outside the network per frame)"
        return title + "\n" + tabulate(body, headers=headers, tablefmt=fmt, disable_numparse=True)
