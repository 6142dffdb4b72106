"""Checkpoint conversion: pysot model checkpoints and torchvision ImageNet backbones."""
from .imagenet import load_imagenet_backbone
from .pysot import ConversionError, convert_pysot_checkpoint, detect_experiment, load_pysot_file

__all__ = ["ConversionError", "convert_pysot_checkpoint", "detect_experiment", "load_pysot_file",
           "load_imagenet_backbone"]
