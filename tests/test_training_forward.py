"""Training forward of SiamRPN: anchor targets, both loss types, SiamFC, gradients (docs/model.md)."""
import math

import pytest
import torch
from detectron2.config import get_cfg
from detectron2.modeling.box_regression import Box2BoxTransform

from siamtrack import add_siamtrack_config
from siamtrack.modeling import SiamRPN
from siamtrack.modeling.anchors import generate_base_anchors, training_anchor_grid
from siamtrack.modeling.losses import pysot_cls_loss
from siamtrack.modeling.targets import SiamAnchorTargets
from siamtrack.structures import cxcywh_to_xyxy


def _tiny_cfg(loss_type="pysot", head="MultiRPNHead"):
    """ResNet-18 + neck 16 x 3 for MultiRPN; a half-width AlexNet without neck otherwise (fast)."""
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    cfg.MODEL.SIAM_HEAD.NAME = head
    cfg.MODEL.SIAM_RPN.LOSS_TYPE = loss_type
    if head == "MultiRPNHead":
        cfg.MODEL.SIAM_RESNET.DEPTH = 18
        cfg.MODEL.SIAM_NECK.OUT_CHANNELS = [16, 16, 16]
    else:
        cfg.MODEL.BACKBONE.NAME = "build_siam_alexnet_backbone"
        cfg.MODEL.SIAM_ALEXNET.WIDTH_MULT = 0.25
        cfg.MODEL.SIAM_NECK.NAME = ""
        cfg.MODEL.SIAM_HEAD.HIDDEN_CHANNELS = 16
    return cfg


def _batch():
    gen = torch.Generator().manual_seed(1)
    pairs = []
    for box, negative in (([100.0, 95.0, 160.0, 150.0], False), ([40.0, 40.0, 90.0, 100.0], True)):
        pairs.append({"template": torch.rand(3, 127, 127, generator=gen) * 255,
                      "search": torch.rand(3, 255, 255, generator=gen) * 255,
                      "search_box": torch.tensor(box), "negative": negative})
    return pairs


@pytest.mark.parametrize("loss_type,head", [("pysot", "MultiRPNHead"), ("bce_smoothl1", "DepthwiseRPNHead"),
                                            ("pysot", "DepthwiseRPNHead"), ("pysot", "SiamFCHead")])
def test_losses_and_gradients_are_finite_for_every_parameter(loss_type, head):
    torch.manual_seed(0)
    model = SiamRPN(_tiny_cfg(loss_type, head)).train()
    losses = model(_batch())
    assert set(losses) == ({"loss_cls"} if head == "SiamFCHead" else {"loss_cls", "loss_loc"})
    total = sum(losses.values())
    assert torch.isfinite(total) and losses["loss_cls"].item() > 0
    if head != "SiamFCHead":
        assert losses["loss_loc"].item() > 0
    total.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
    grads = [p.grad.abs().sum() for n, p in model.named_parameters() if n.startswith("rpn_head")]
    assert sum(grads) > 0


def test_eval_forward_returns_decoded_pairs():
    model = SiamRPN(_tiny_cfg(head="DepthwiseRPNHead")).eval()
    with torch.no_grad():
        out = model(_batch())
    assert len(out) == 2 and out[0]["scores"].shape == (5 * 17 * 17,) and out[0]["boxes"].shape == (5 * 17 * 17, 4)
    assert ((out[1]["scores"] >= 0) & (out[1]["scores"] <= 1)).all()


def _targets():
    return SiamAnchorTargets([0.3, 0.6], 64, 0.25, 16, 8)


def _anchors(size=25, search=255):
    grid = torch.as_tensor(training_anchor_grid(generate_base_anchors(8, [0.33, 0.5, 1, 2, 3], [8]), 8, size, search))
    return grid, cxcywh_to_xyxy(grid)


def test_negative_pair_has_no_positive_and_negatives_around_the_distractor():
    grid, anchors = _anchors()
    box = torch.tensor([150.0, 60.0, 200.0, 100.0])  # centre (175, 80)
    labels, deltas, weights = _targets()(anchors, 5, 25, 255, box, negative=True)
    assert not (labels == 1).any() and (labels == 0).sum() == 16
    assert weights.abs().sum() == 0 and deltas.abs().sum() == 0
    cells = torch.nonzero(labels.view(5, 25, 25) == 0)[:, 1:]
    cx = 12 + math.ceil((175 - 127) / 8 + 0.5)
    cy = 12 + math.ceil((80 - 127) / 8 + 0.5)
    assert ((cells[:, 1] - cx).abs() <= 3).all() and ((cells[:, 0] - cy).abs() <= 3).all()


def test_positive_pair_sampling_and_weights():
    torch.manual_seed(0)
    grid, anchors = _anchors()
    labels, _, weights = _targets()(anchors, 5, 25, 255, torch.tensor([97.0, 97.0, 157.0, 157.0]), negative=False)
    n_pos, n_neg = int((labels == 1).sum()), int((labels == 0).sum())
    assert 0 < n_pos <= 16 and n_neg == 48  # negatives capped at 48 regardless of positives (pysot)
    assert torch.allclose(weights[labels == 1], torch.full((n_pos,), 1 / (n_pos + 1e-6)))
    assert weights[labels != 1].abs().sum() == 0


def test_box2box_deltas_equal_pysot_formula():
    grid, anchors = _anchors()
    box = torch.tensor([90.0, 100.0, 170.0, 141.0])
    tcx, tcy, tw, th = 130.0, 120.5, 80.0, 41.0
    deltas = Box2BoxTransform(weights=(1, 1, 1, 1)).get_deltas(anchors, box.expand(len(anchors), 4))
    expected = torch.stack([(tcx - grid[:, 0]) / grid[:, 2], (tcy - grid[:, 1]) / grid[:, 3],
                            torch.log(tw / grid[:, 2]), torch.log(th / grid[:, 3])], dim=1)
    assert torch.allclose(deltas, expected, atol=1e-5, rtol=1e-5)
    _, ours, _ = _targets()(anchors, 5, 25, 255, box, negative=False)
    assert torch.allclose(ours, expected, atol=1e-5, rtol=1e-5)


def test_pysot_cls_loss_class_split_and_single_element_quirk():
    cls = torch.randn(1, 10, 3, 3)
    labels = torch.full((1, 45), -1, dtype=torch.int64)
    labels[0, [0, 7]] = 1
    labels[0, [3, 4, 30]] = 0
    logp = torch.log_softmax(cls.view(1, 2, 45).permute(0, 2, 1), -1)[0]
    expected = 0.5 * -logp[[0, 7], 1].mean() + 0.5 * -logp[[3, 4, 30], 0].mean()
    assert torch.allclose(pysot_cls_loss(cls, labels), expected)
    labels[0, 7] = -1  # a single positive in the batch contributes 0 (pysot's squeeze quirk)
    assert torch.allclose(pysot_cls_loss(cls, labels), 0.5 * -logp[[3, 4, 30], 0].mean())
