"""Export a SiamRPN / SiamRPN++ model to ONNX (checked against PyTorch before it is kept).

    siamtrack-export --config-file configs/pysot/siamrpn_r50_l234_dwxcorr.yaml \\
        --output exported/r50 [--layout siamtrack|opencv|opencv-dasiamrpn] [--opset 17] MODEL.WEIGHTS model.pth

Layout ``siamtrack`` (default) writes ``template.onnx`` and ``track.onnx`` (dynamic batch) and
``opencv`` the three nets of OpenCV's SiamRPN++ sample, ``opencv-dasiamrpn`` the three files of
``cv2.TrackerDaSiamRPN``; all add ``model.json`` (docs/deploy.md).
Needs the ``onnx`` extra. Bad input: one line on stderr, exit status 2.
"""
import argparse
import os

from .common import add_config_arguments, config_file_problem, option_value, run_command
from .paths import output_folder_problem

__all__ = ["build_parser", "main"]

PROG = "siamtrack-export"
LAYOUTS = ("siamtrack", "opencv", "opencv-dasiamrpn")  # siamtrack.export.LAYOUTS (not imported before parsing)


def build_parser(prog=PROG):
    """The argument parser (detectron2 style: ``--config-file`` and trailing ``opts``)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True, metavar="DIR",
                        help="folder to create for the export (missing parent folders are created)")
    parser.add_argument("--layout", choices=LAYOUTS, default="siamtrack", help="graph layout (default: siamtrack)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version (default: 17)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing export folder")
    add_config_arguments(parser, required=True, help="siamtrack config of the model: a packaged name or a YAML path")
    return parser


def _argument_problem(args):
    """The first problem found in ``args`` without importing siamtrack, or None."""
    return config_file_problem(args.config_file) or output_folder_problem("--output", args.output)


def _export(args):
    from siamtrack.config import load_config
    from siamtrack.export import export_onnx
    from siamtrack.utils.fileio import check_folder_spares_inputs, folder_lock, remove_leftovers

    check_folder_spares_inputs("--output", args.output, [  # --overwrite replaces the whole folder
        ("--config-file", args.config_file), ("MODEL.WEIGHTS", option_value(args.opts, "MODEL.WEIGHTS"))])
    cfg = load_config(args.config_file, args.opts)
    parent, name = os.path.split(os.path.abspath(args.output))
    with folder_lock(parent, "the folder of --output"):  # one export at a time there; missing folders made
        remove_leftovers(parent, [f".{name}.partial-*", f".{name}.old-*"])  # of a killed export
        manifest = export_onnx(cfg, args.output, layout=args.layout, opset=args.opset, overwrite=args.overwrite)
    worst = max(manifest["check"]["max_relative_difference"].values())
    files = ", ".join(graph["file"] for graph in manifest["graphs"].values())
    print(f"wrote {args.output}: {files}, model.json (checked with {manifest['check']['runtime']}: "
          f"max relative difference {worst:.2g})")
    return 0


def main(argv=None):
    """Command-line entry point; returns the exit status."""
    return run_command(PROG, build_parser, _argument_problem, _export, argv)
