"""Fold eval-mode BatchNorm into the preceding convolution (tracker speed-up)."""
import torch.nn as nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def _fuse_pair(parent, conv_name, bn_name):
    conv, bn = getattr(parent, conv_name), getattr(parent, bn_name)
    setattr(parent, conv_name, fuse_conv_bn_eval(conv, bn))
    setattr(parent, bn_name, nn.Identity())


def fuse_conv_bn(model):
    """Fold every BatchNorm2d that directly follows a Conv2d into that conv, in place.

    Pairs are consecutive children of an ``nn.Sequential`` (pysot's ``features``, ``downsample``,
    ``conv_kernel``, ``head``, ``conv``) and attribute pairs ``convN`` / ``bnN`` (ResNet blocks
    and stem). The model must be in eval mode (running statistics are folded); the result is
    for inference only and its ``state_dict`` no longer matches pysot's keys. Returns the
    number of folded pairs.
    """
    if model.training:
        raise RuntimeError("fuse_conv_bn needs a model in eval mode (call model.eval() first)")
    fused = 0
    for module in list(model.modules()):
        if isinstance(module, nn.Sequential):
            names = list(module._modules)
            for a, b in zip(names, names[1:]):
                if isinstance(module._modules[a], nn.Conv2d) and isinstance(module._modules[b], nn.BatchNorm2d):
                    _fuse_pair(module, a, b)
                    fused += 1
        for name, child in list(module.named_children()):
            if name.startswith("conv") and isinstance(child, nn.Conv2d):
                bn_name = "bn" + name[len("conv"):]
                if isinstance(getattr(module, bn_name, None), nn.BatchNorm2d):
                    _fuse_pair(module, name, bn_name)
                    fused += 1
    return fused
