"""Helpers of the DaSiamRPN tests: seeded models whose maps are neither flat nor saturated, and the
official checkpoint layout written from the facts of the official ``code/net.py`` (not from
siamtrack's modules), so the converter is checked against an independent definition."""
import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from siamtrack.modeling import SiamRPN


def read_frames(path, count):
    """The first ``count`` frames of a video."""
    capture, frames = cv2.VideoCapture(str(path)), []
    while len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def seeded_model(cfg, frame, seed=0):
    """``SiamRPN(cfg)`` with seeded weights, BatchNorm statistics taken from a crop of ``frame``
    and the head scaled so that class logits have unit spread and box deltas 0.2 (random
    weights alone give saturated scores and boxes that leave the frame at once)."""
    torch.manual_seed(seed)
    model = SiamRPN(cfg).eval()
    h, w = frame.shape[:2]
    crop = cv2.resize(frame[h // 6:h - h // 6, w // 4:w - w // 4], (271, 271))
    x = torch.from_numpy(crop.transpose(2, 0, 1)[None].astype(np.float32))
    with torch.no_grad():
        features = x
        for module in model.backbone.features:
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.copy_(features.mean((0, 2, 3)))
                module.running_var.copy_(features.var((0, 2, 3)))
            features = module(features)
        head, search = model.rpn_head, model.features(x)
        # Undo the head's from-scratch scaling of its template convs (1 / sqrt(256 * 16) = 1/64,
        # exact in floating point): the weights the OpenCV bounds were measured on.
        for conv in (head.template_cls_conv, head.template_loc_conv):
            conv.weight.mul_(64.0)
            conv.bias.mul_(64.0)
        kernels = head.template(model.features(x[:, :, 72:199, 72:199]))
        spread = head.track(search, kernels)["cls"].std()
        head.template_cls_conv.weight.div_(spread)
        head.template_cls_conv.bias.div_(spread)
        kernels = head.template(model.features(x[:, :, 72:199, 72:199]))
        head.loc_adjust.weight.mul_(0.2 / head.track(search, kernels)["loc"].std())
        head.loc_adjust.bias.zero_()
    return model


class OfficialSiamRPN(nn.Module):
    """The official DaSiamRPN network (foolwood/DaSiamRPN ``code/net.py``), written from its facts:
    AlexNet-BN ``featureExtract`` of widths (96, 256, 384, 384, 256) x ``size``, the up-channel head
    ``conv_r1`` / ``conv_cls1`` (template), ``conv_r2`` / ``conv_cls2`` (search), ``regress_adjust``."""

    def __init__(self, size=1, feature_out=256, anchor=5):
        super().__init__()
        c = [3] + [n * size for n in (96, 256, 384, 384, 256)]
        self.featureExtract = nn.Sequential(
            nn.Conv2d(c[0], c[1], 11, 2), nn.BatchNorm2d(c[1]), nn.MaxPool2d(3, 2), nn.ReLU(),
            nn.Conv2d(c[1], c[2], 5), nn.BatchNorm2d(c[2]), nn.MaxPool2d(3, 2), nn.ReLU(),
            nn.Conv2d(c[2], c[3], 3), nn.BatchNorm2d(c[3]), nn.ReLU(),
            nn.Conv2d(c[3], c[4], 3), nn.BatchNorm2d(c[4]), nn.ReLU(),
            nn.Conv2d(c[4], c[5], 3), nn.BatchNorm2d(c[5]))
        self.anchor, self.feature_out = anchor, feature_out
        self.conv_r1 = nn.Conv2d(c[5], feature_out * 4 * anchor, 3)
        self.conv_r2 = nn.Conv2d(c[5], feature_out, 3)
        self.conv_cls1 = nn.Conv2d(c[5], feature_out * 2 * anchor, 3)
        self.conv_cls2 = nn.Conv2d(c[5], feature_out, 3)
        self.regress_adjust = nn.Conv2d(4 * anchor, 4 * anchor, 1)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                nn.init.uniform_(module.running_mean, -1, 1)
                nn.init.uniform_(module.running_var, 0.5, 2)

    def outputs(self, z, x):
        """(box deltas, class logits) of search crop ``x`` against template crop ``z``, as the
        official ``temple`` then ``forward`` compute them."""
        z_f = self.featureExtract(z)
        side = z_f.shape[-1] - 2
        r1 = self.conv_r1(z_f).view(self.anchor * 4, self.feature_out, side, side)
        cls1 = self.conv_cls1(z_f).view(self.anchor * 2, self.feature_out, side, side)
        x_f = self.featureExtract(x)
        return self.regress_adjust(F.conv2d(self.conv_r2(x_f), r1)), F.conv2d(self.conv_cls2(x_f), cls1)


def official_state_dict(size, seed=0):
    """A seeded official-layout state dict (``size`` 2: BIG, 1: VOT / OTB) and its network."""
    torch.manual_seed(seed)
    net = OfficialSiamRPN(size=size, feature_out=256 * size).eval()
    state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    return state, net
