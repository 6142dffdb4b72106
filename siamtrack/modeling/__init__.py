"""Siamese model family: backbones, neck, heads (each owning its targets, losses and decoding),
the box coder and the SiamRPN meta-architecture.

Importing this package registers the backbones in detectron2's ``BACKBONE_REGISTRY``, the heads
in :data:`SIAM_HEAD_REGISTRY` and ``SiamRPN`` / ``SiamMask`` in ``META_ARCH_REGISTRY``.
"""
from . import anchors  # noqa: F401
from .backbone import (  # noqa: F401
    SiamAlexNet, SiamMobileNetV2, SiamResNet, build_siam_alexnet_backbone, build_siam_mobilenetv2_backbone,
    build_siam_resnet_backbone,
)
from .box_coder import AnchorBoxCoder
from .fuse import fuse_conv_bn
from .inference_layout import keep_weights_channels_last
from .heads import (
    SIAM_HEAD_REGISTRY, AnchorHead, DepthwiseRPNHead, MultiRPNHead, SiamFCHead, SiamHead, UpChannelRPNHead,
    build_siam_head,
)
from .meta_arch import SiamRPN
from .siammask import SiamMask
from .neck import AdjustNeck, build_siam_neck
from .state import concat_states, slice_state
from .winograd import WinogradConv2d, use_winograd_convs

__all__ = [
    "SiamRPN", "SiamMask", "fuse_conv_bn", "keep_weights_channels_last", "SIAM_HEAD_REGISTRY", "build_siam_head", "build_siam_neck", "AdjustNeck",
    "SiamHead", "AnchorHead", "DepthwiseRPNHead", "UpChannelRPNHead", "MultiRPNHead", "SiamFCHead",
    "AnchorBoxCoder", "SiamResNet", "SiamAlexNet", "SiamMobileNetV2", "concat_states", "slice_state",
    "WinogradConv2d", "use_winograd_convs",
]
