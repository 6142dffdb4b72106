#!/usr/bin/env python
"""Convert a pysot SiamRPN++ checkpoint into a siamtrack (detectron2) checkpoint.

    python tools/convert_pysot_weights.py model.pth siamrpn_alex.pth [--config-file CONFIG]

Without ``--config-file`` the architecture is detected from the keys and the matching
``configs/pysot/<experiment>.yaml`` is printed. Exits with status 2 and one error line on bad input.
"""
import argparse
import sys
from pathlib import Path

import torch

from siamtrack.checkpoint.pysot import ConversionError, convert_pysot_checkpoint, load_pysot_file


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="pysot checkpoint (.pth): state_dict or {'state_dict': ...}")
    parser.add_argument("output", help="where to write the converted checkpoint (.pth)")
    parser.add_argument("--config-file", default=None, help="siamtrack YAML of the model (default: detect)")
    args = parser.parse_args(argv)
    if not Path(args.output).resolve().parent.is_dir():
        print(f"error: {args.output}: the output folder does not exist", file=sys.stderr)
        return 2
    try:
        checkpoint, experiment = convert_pysot_checkpoint(load_pysot_file(args.input), args.config_file)
        torch.save(checkpoint, args.output)
    except (ConversionError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(checkpoint['model'])} tensors to {args.output}")
    if experiment is not None:
        print(f"detected pysot experiment {experiment}; use --config-file configs/pysot/{experiment}.yaml "
              f"with MODEL.WEIGHTS {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
