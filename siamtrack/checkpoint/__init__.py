"""Checkpoints: pysot model conversion, torchvision ImageNet backbones, strict weight loading."""
from .imagenet import load_imagenet_backbone
from .loading import WeightsError, load_weights, mismatch_report, read_model_state
from .pysot import (ConversionError, convert_pysot_checkpoint, convert_pysot_file, detect_experiment,
                    load_pysot_file, save_checkpoint)

__all__ = ["ConversionError", "convert_pysot_checkpoint", "convert_pysot_file", "detect_experiment",
           "load_pysot_file", "save_checkpoint", "load_imagenet_backbone", "WeightsError", "load_weights",
           "mismatch_report", "read_model_state"]
