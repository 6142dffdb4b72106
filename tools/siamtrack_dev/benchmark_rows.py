"""README table rows from a speed benchmark result (docs/deploy.md, "Speed").

    python tools/benchmark_rows.py RESULT.json NAME

``RESULT.json`` is what ``siamtrack-benchmark --json`` wrote; ``NAME`` the config's name as the
table shows it (e.g. ``pysot/siamrpn_alex_dwxcorr``). Prints the table header and one row per
target count and candidate.
"""
import argparse
import json
import sys

from siamtrack.evaluation.speed.io import BF16_CANDIDATE, FUSED_CANDIDATE, STAGES, WINOGRAD_CANDIDATE

__all__ = ["MARKDOWN_HEADER", "LABELS", "markdown_rows", "main"]

MARKDOWN_HEADER = ("| config | targets | runtime | target-frames/s | ms/frame | crop / network / decode / update ms "
                   "| network GFLOP/s | speed-up |\n|---|---|---|---|---|---|---|---|")
# README labels of the candidates not named as their TRACK.BACKEND
LABELS = {BF16_CANDIDATE: "torch, bfloat16 (not exact)", WINOGRAD_CANDIDATE: "torch, Winograd (float32)",
          FUSED_CANDIDATE: "torch, folded conv+BN (float32)", "torch": "torch (exact default)"}


def markdown_rows(result, config_name):
    """README table rows of a benchmark ``result``: one per target count and candidate."""
    rows = []
    for section in result["results"]:
        for name, c in section["candidates"].items():
            stages = " / ".join(f"{c['stages_ms'][s]:.1f}" for s in STAGES)
            gflops = f"{c['network_gflop_per_s']:.0f}" if c["network_gflop_per_s"] else "-"
            label = "pysot-equivalent baseline" if name == result["baseline"] else LABELS.get(name, name)
            speedup = "1.00" if name == result["baseline"] else f"**{c['speedup']:.2f}x**"
            rows.append(f"| `{config_name}` | {section['targets']} | {label} | {c['target_frames_per_s']:.2f} "
                        f"| {c['ms_per_frame']:.0f} | {stages} | {gflops} | {speedup} |")
    return rows


def main(argv=None):
    """Print the rows of ``RESULT.json``; 2 and one line when it cannot be read."""
    parser = argparse.ArgumentParser(prog="benchmark_rows", description=__doc__.split("\n\n")[0])
    parser.add_argument("result", help="the JSON written by siamtrack-benchmark --json")
    parser.add_argument("name", help="the config's name in the table")
    args = parser.parse_args(argv)
    try:
        with open(args.result, encoding="utf-8") as f:
            result = json.load(f)
        rows = markdown_rows(result, args.name)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"{parser.prog}: error: {args.result}: not a benchmark result ({type(exc).__name__}: "
              f"{str(exc).splitlines()[0] if str(exc) else ''})", file=sys.stderr)
        return 2
    print(MARKDOWN_HEADER)
    print("\n".join(rows))
    return 0
