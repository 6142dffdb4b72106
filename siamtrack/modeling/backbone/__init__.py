"""Siamese backbones registered in detectron2's ``BACKBONE_REGISTRY``.

``build_siam_resnet_backbone``, ``build_siam_alexnet_backbone`` and
``build_siam_mobilenetv2_backbone``; parameter names equal pysot's (docs/model.md).
"""
from .alexnet import LEGACY_TO_LAYERED, SiamAlexNet, build_siam_alexnet_backbone
from .mobilenet_v2 import SiamMobileNetV2, build_siam_mobilenetv2_backbone
from .resnet import SiamResNet, build_siam_resnet_backbone

__all__ = [
    "SiamResNet", "SiamAlexNet", "SiamMobileNetV2", "LEGACY_TO_LAYERED",
    "build_siam_resnet_backbone", "build_siam_alexnet_backbone", "build_siam_mobilenetv2_backbone",
]
