"""Initialise Siamese backbones from ImageNet weights in torchvision's format (local files only).

Supported sources (``cfg.MODEL.SIAM_PRETRAINED``, loaded by :func:`load_imagenet_backbone`):

* torchvision ResNet-18/34/50: same parameter names as the Siamese ResNet. The layer2-4
  shortcut convs are 1x1 in torchvision but 3x3 here: the 1x1 kernel is placed at the centre
  of a zero 3x3 kernel (an approximation: pysot's own ``resnet50.model`` has trained 3x3
  kernels; docs/model.md, "ImageNet initialisation for training"). ``fc.*`` is ignored.
* torchvision MobileNetV2 (width 1.0 only): mapped block by block. pysot's t=1 block has an
  extra 1x1 expansion conv that torchvision lacks; it is set to the identity (BN statistics
  chosen so that BN is exactly the identity). Shapes only fit a backbone built with
  ``SIAM_MOBILENETV2.WIDTH_MULT 1.0``; the released SiamRPN++ MobileNet is x1.4, for which no
  torchvision file exists, so loading fails with a clear error.
* torchvision AlexNet: unsupported (64/192/384/256/256 channels without BatchNorm cannot fill
  pysot's 96/256/384/384/256 AlexNet-BN); a clear error says so.
* files already in the Siamese backbone's own naming (e.g. pysot's ``alexnet-bn.pth`` with
  ``layer1..5`` names, or ``features.N`` names): loaded by name, renaming the AlexNet layout.

Source tensors without a home (``fc``, ``classifier``, MobileNet's last 1x1 layer) are reported
(returned and logged), never silently dropped; a tensor whose shape does not fit (wrong variant
or width) makes loading fail, as does a file of which nothing matches.
"""
import logging
import re
from collections import OrderedDict

import torch

from ..modeling.backbone import SiamAlexNet, SiamMobileNetV2, SiamResNet
from .pysot import rename_alexnet_layout

__all__ = ["load_imagenet_backbone", "map_torchvision_resnet", "map_torchvision_mobilenet_v2"]

logger = logging.getLogger(__name__)


def _unwrap(obj):
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not any(torch.is_tensor(v) for v in obj.values()):
        raise ValueError("the pretrained file holds no state_dict of tensors")
    return OrderedDict((k[len("module."):] if k.startswith("module.") else k, v)
                       for k, v in obj.items() if torch.is_tensor(v))


def _centre_in_3x3(weight):
    """Place a (O, I, 1, 1) kernel at the centre of a zero (O, I, 3, 3) kernel."""
    out = weight.new_zeros(weight.shape[0], weight.shape[1], 3, 3)
    out[:, :, 1, 1] = weight[:, :, 0, 0]
    return out


def map_torchvision_resnet(source, target_shapes):
    """Map a torchvision ResNet state_dict onto Siamese ResNet names (same names, 3x3 shortcuts).

    Returns ``(mapped, adapted, unmapped)``: the mapped tensors, the names whose 1x1 shortcut
    kernel was placed at the centre of a 3x3 kernel, and source keys without a name mapping
    (none: every name passes through; ``fc.*`` is reported later as having no target).
    """
    mapped, adapted = OrderedDict(), []
    for key, value in source.items():
        target = target_shapes.get(key)
        if (target is not None and re.fullmatch(r"layer[234]\.0\.downsample\.0\.weight", key)
                and value.dim() == 4 and value.shape[2:] == (1, 1) and tuple(target[2:]) == (3, 3)):
            value = _centre_in_3x3(value)
            adapted.append(key)
        mapped[key] = value
    return mapped, adapted, []


# torchvision InvertedResidual sub-module -> pysot sub-module (t > 1 blocks, then the t = 1 block)
_MBV2_EXPANDED = {"conv.0.0": "conv.0", "conv.0.1": "conv.1", "conv.1.0": "conv.3", "conv.1.1": "conv.4",
                  "conv.2": "conv.6", "conv.3": "conv.7"}
_MBV2_T1 = {"conv.0.0": "conv.3", "conv.0.1": "conv.4", "conv.1": "conv.6", "conv.2": "conv.7"}
_MBV2_BLOCKS = [1, 2, 3, 4, 3, 3, 1]  # blocks of layer1 .. layer7


def map_torchvision_mobilenet_v2(source, backbone):
    """Map a torchvision MobileNetV2 state_dict onto pysot's names (``layer0`` .. ``layer7``).

    The t=1 block's extra expansion conv (``layer1.0.conv.0/1``) becomes an exact identity.
    Returns ``(mapped, adapted, unmapped)`` like :func:`map_torchvision_resnet`.
    """
    names = {"features.0.0": "layer0.0", "features.0.1": "layer0.1"}
    index = 1
    for layer, blocks in enumerate(_MBV2_BLOCKS, start=1):
        for block in range(blocks):
            table = _MBV2_T1 if index == 1 else _MBV2_EXPANDED
            for tv, ours in table.items():
                names[f"features.{index}.{tv}"] = f"layer{layer}.{block}.{ours}"
            index += 1
    mapped, unmapped = OrderedDict(), []
    for key, value in source.items():
        module, _, param = key.rpartition(".")
        if module in names:
            mapped[f"{names[module]}.{param}"] = value
        else:
            unmapped.append(key)
    adapted = []
    expand = backbone.layer1[0].conv
    channels = expand[0].weight.shape[0]
    if expand[0].weight.shape[1] == channels:
        eps = expand[1].eps
        mapped["layer1.0.conv.0.weight"] = torch.eye(channels).view(channels, channels, 1, 1)
        mapped["layer1.0.conv.1.weight"] = torch.ones(channels)
        mapped["layer1.0.conv.1.bias"] = torch.zeros(channels)
        mapped["layer1.0.conv.1.running_mean"] = torch.zeros(channels)
        # var + eps == 1 makes the BN an exact identity; ReLU6 is then exact too because the
        # input (layer0's ReLU6 output) already lies in [0, 6].
        mapped["layer1.0.conv.1.running_var"] = torch.full((channels,), 1.0 - eps)
        adapted = [f"layer1.0.conv.{n}" for n in ("0.weight", "1.weight", "1.bias", "1.running_mean",
                                                     "1.running_var")]
    return mapped, adapted, unmapped


def _own_naming(source, backbone):
    """Keys already in the backbone's naming (optionally ``backbone.``-prefixed or other AlexNet layout)."""
    source = OrderedDict((k[len("backbone."):] if k.startswith("backbone.") else k, v) for k, v in source.items())
    if isinstance(backbone, SiamAlexNet):
        source = rename_alexnet_layout(source, backbone.layout, prefix="")
    return source


def _is_torchvision_alexnet(source):
    w = source.get("features.0.weight")
    return w is not None and tuple(w.shape) == (64, 3, 11, 11) and "features.1.weight" not in source


def load_imagenet_backbone(model, path):
    """Load ImageNet weights from the local file ``path`` into ``model.backbone`` (or a backbone).

    Returns a report dict: ``loaded`` (backbone keys set), ``adapted`` (keys changed in shape or
    synthesised), ``skipped`` (source keys not used, with the reason) and ``not_loaded`` (backbone
    keys left at their initial values). Raises ``ValueError`` for an unsupported source.
    """
    backbone = getattr(model, "backbone", model)
    source = _unwrap(torch.load(str(path), map_location="cpu", weights_only=True))
    target = backbone.state_dict()
    shapes = {k: tuple(v.shape) for k, v in target.items()}
    if isinstance(backbone, SiamAlexNet) and _is_torchvision_alexnet(source):
        raise ValueError(
            f"{path} is torchvision's AlexNet (64/192/384/256/256 channels, no BatchNorm), which does not fit "
            "pysot's AlexNet-BN (96/256/384/384/256); use pysot's alexnet-bn.pth instead"
        )
    if isinstance(backbone, SiamMobileNetV2) and "features.0.0.weight" in source:
        mapped, adapted, unmapped = map_torchvision_mobilenet_v2(source, backbone)
    elif isinstance(backbone, SiamResNet) and "fc.weight" in source:
        mapped, adapted, unmapped = map_torchvision_resnet(source, shapes)
    else:
        mapped, adapted, unmapped = _own_naming(source, backbone), [], []
    fitting, skipped, misshaped = OrderedDict(), [f"{k} (not mapped)" for k in unmapped], []
    for key, value in mapped.items():
        if key not in shapes:
            skipped.append(f"{key} (no such backbone parameter)")
        elif tuple(value.shape) != shapes[key]:
            misshaped.append(f"{key} {list(value.shape)} vs backbone {list(shapes[key])}")
        else:
            fitting[key] = value.to(target[key].dtype)
    if misshaped:
        hint = ("; torchvision's MobileNetV2 only fits SIAM_MOBILENETV2.WIDTH_MULT 1.0"
                if isinstance(backbone, SiamMobileNetV2) else "")
        raise ValueError(f"{path} does not fit the {type(backbone).__name__} backbone: {len(misshaped)} "
                         f"mis-shaped tensors (e.g. {misshaped[0]}){hint}")
    if not any(k not in adapted and not k.endswith("num_batches_tracked") for k in fitting):
        raise ValueError(f"no tensor of {path} matches a {type(backbone).__name__} parameter name")
    backbone.load_state_dict(fitting, strict=False)
    not_loaded = [k for k in target if k not in fitting and not k.endswith("num_batches_tracked")]
    adapted = [a for a in adapted if a in fitting]
    logger.info("ImageNet init from %s: %d tensors loaded, %d adapted, %d source tensors skipped, "
                "%d backbone tensors not loaded", path, len(fitting), len(adapted), len(skipped), len(not_loaded))
    if skipped:
        logger.info("skipped: %s", ", ".join(skipped[:20]) + (" ..." if len(skipped) > 20 else ""))
    if not_loaded:
        logger.warning("backbone tensors left at initial values: %s",
                       ", ".join(not_loaded[:20]) + (" ..." if len(not_loaded) > 20 else ""))
    return {"loaded": list(fitting), "adapted": adapted, "skipped": skipped, "not_loaded": not_loaded}
