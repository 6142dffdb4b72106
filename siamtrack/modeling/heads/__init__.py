"""Siamese heads and their registry (docs/model.md, "Heads").

Every head owns its correlation, its training targets and losses and the decoding of its
outputs (:class:`SiamHead`): the anchor heads (:class:`AnchorHead`: ``DepthwiseRPNHead``,
``UpChannelRPNHead``, ``MultiRPNHead``) return ``{"cls", "loc"}`` maps, ``SiamFCHead`` a
``{"score"}`` response map.
"""
from .anchor_head import AnchorHead, anchor_head_args
from .base import SIAM_HEAD_REGISTRY, SiamHead, build_siam_head
from .rpn import DepthwiseRPN, DepthwiseRPNHead, DepthwiseXCorr, MultiRPNHead, UpChannelRPNHead
from .siamfc import SiamFCHead

__all__ = ["SIAM_HEAD_REGISTRY", "SiamHead", "AnchorHead", "anchor_head_args", "build_siam_head",
           "DepthwiseXCorr", "DepthwiseRPN", "DepthwiseRPNHead", "UpChannelRPNHead", "MultiRPNHead",
           "SiamFCHead"]
