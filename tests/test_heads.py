"""Neck, correlation primitives, heads and BN folding (docs/model.md)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from detectron2.config import get_cfg

from siamtrack import add_siamtrack_config, fuse_conv_bn
from siamtrack.modeling import SIAM_HEAD_REGISTRY, AdjustNeck, AnchorBoxCoder, SiamRPN, build_siam_head, concat_states
from siamtrack.modeling.heads.rpn import xcorr_depthwise
from siamtrack.modeling.xcorr import xcorr_up_channel


def _randomise(module):
    """Random weights and BN statistics so that equalities are not trivially true."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.dtype.is_floating_point:
                t.copy_(torch.rand(t.shape, generator=gen) * (1.0 if "running_var" in name else 0.2)
                        + (0.5 if "running_var" in name else -0.1))
    return module


def test_neck_crops_template_maps_only():
    neck = _randomise(AdjustNeck([8, 16], [4, 4])).eval()
    assert [n for n, _ in neck.named_children()] == ["downsample2", "downsample3"]
    z = [torch.rand(1, 8, 15, 15), torch.rand(1, 16, 15, 15)]
    x = [torch.rand(1, 8, 31, 31), torch.rand(1, 16, 31, 31)]
    with torch.no_grad():
        zo, xo = neck(z), neck(x)
        full = neck.downsample2.downsample(z[0])
    assert zo[0].shape == (1, 4, 7, 7) and xo[1].shape == (1, 4, 31, 31)
    assert torch.equal(zo[0], full[:, :, 4:11, 4:11])  # centre crop, offset (15 - 7) // 2
    assert not any(isinstance(m, torch.nn.ReLU) for m in neck.modules())
    assert [n for n, _ in AdjustNeck([8], [4]).named_children()] == ["downsample"]
    with pytest.raises(ValueError, match="OUT_CHANNELS"):
        AdjustNeck([8, 16], [4])


def test_depthwise_and_up_channel_xcorr_match_per_sample_convolution():
    x, z = torch.rand(2, 3, 9, 9), torch.rand(2, 3, 4, 4)
    out = xcorr_depthwise(x, z)
    for b in range(2):
        for c in range(3):
            ref = F.conv2d(x[b:b + 1, c:c + 1], z[b:b + 1, c:c + 1])
            assert torch.allclose(out[b, c], ref[0, 0], atol=1e-5)
    k = torch.rand(2, 3 * 5, 4, 4)
    up = xcorr_up_channel(x, k)
    assert up.shape == (2, 5, 6, 6)
    assert torch.allclose(up[1, 2], F.conv2d(x[1:2], k[1:2, 6:9])[0, 0], atol=1e-5)


def _cfg(head, **kw):
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    cfg.MODEL.SIAM_HEAD.NAME = head
    for key, value in kw.items():
        setattr(cfg.MODEL.SIAM_HEAD, key, value)
    return cfg


@pytest.mark.parametrize("zs,xs,out", [(7, 31, 25), (6, 22, 17), (6, 26, 21)])
def test_depthwise_rpn_output_sizes(zs, xs, out):
    head = build_siam_head(_cfg("DepthwiseRPNHead", HIDDEN_CHANNELS=16), [8]).eval()
    maps = head([torch.rand(2, 8, zs, zs)], [torch.rand(2, 8, xs, xs)])
    assert maps["cls"].shape == (2, 10, out, out) and maps["loc"].shape == (2, 20, out, out)
    keys = head.state_dict()
    assert tuple(keys["cls.head.3.weight"].shape) == (10, 16, 1, 1)
    assert tuple(keys["loc.conv_kernel.0.weight"].shape) == (16, 8, 3, 3)
    with pytest.raises(ValueError, match="one feature level"):
        build_siam_head(_cfg("DepthwiseRPNHead"), [8, 8])


def test_up_channel_rpn_shapes_and_pysot_names():
    head = build_siam_head(_cfg("UpChannelRPNHead", HIDDEN_CHANNELS=8), [8]).eval()
    keys = head.state_dict()
    assert tuple(keys["template_cls_conv.weight"].shape) == (80, 8, 3, 3)
    assert tuple(keys["template_loc_conv.weight"].shape) == (160, 8, 3, 3)
    assert tuple(keys["loc_adjust.weight"].shape) == (20, 20, 1, 1)
    maps = head([torch.rand(1, 8, 7, 7)], [torch.rand(1, 8, 31, 31)])
    assert maps["cls"].shape == (1, 10, 25, 25) and maps["loc"].shape == (1, 20, 25, 25)


def test_up_channel_rpn_correlates_its_hidden_channels_not_its_input_width():
    # A thin backbone (8 channels) under a 12-channel correlation: the template convs make
    # 12 x 2k / 12 x 4k channels and the search convs 12.
    head = build_siam_head(_cfg("UpChannelRPNHead", HIDDEN_CHANNELS=12), [8]).eval()
    keys = head.state_dict()
    assert tuple(keys["template_cls_conv.weight"].shape) == (120, 8, 3, 3)
    assert tuple(keys["template_loc_conv.weight"].shape) == (240, 8, 3, 3)
    assert tuple(keys["search_cls_conv.weight"].shape) == tuple(keys["search_loc_conv.weight"].shape) == (12, 8, 3, 3)
    maps = head([torch.rand(1, 8, 7, 7)], [torch.rand(1, 8, 31, 31)])
    assert maps["cls"].shape == (1, 10, 25, 25) and maps["loc"].shape == (1, 20, 25, 25)


@pytest.mark.parametrize("weighted", [True, False])
def test_multi_rpn_fusion(weighted):
    head = _randomise(build_siam_head(_cfg("MultiRPNHead", WEIGHTED=weighted), [4, 6, 8])).eval()
    assert ("cls_weight" in head.state_dict()) == weighted
    z = [torch.rand(1, c, 7, 7) for c in (4, 6, 8)]
    x = [torch.rand(1, c, 31, 31) for c in (4, 6, 8)]
    with torch.no_grad():
        if weighted:
            head.cls_weight.copy_(torch.tensor([0.1, 0.7, -0.3]))
            head.loc_weight.copy_(torch.tensor([1.0, -1.0, 0.0]))
        maps = head(z, x)
        cls, loc = maps["cls"], maps["loc"]
        levels = [getattr(head, f"rpn{i}")(z[i - 2], x[i - 2]) for i in (2, 3, 4)]
        levels = [(lv["cls"], lv["loc"]) for lv in levels]
    assert cls.shape == (1, 10, 25, 25) and loc.shape == (1, 20, 25, 25)
    if weighted:
        wc, wl = F.softmax(head.cls_weight, 0), F.softmax(head.loc_weight, 0)
        ref_cls = sum(levels[i][0] * wc[i] for i in range(3))
        ref_loc = sum(levels[i][1] * wl[i] for i in range(3))
        mean_cls = sum(lv[0] for lv in levels) / 3
        assert not torch.allclose(cls, mean_cls, atol=1e-4)
    else:
        ref_cls = sum(lv[0] for lv in levels) / 3
        ref_loc = sum(lv[1] for lv in levels) / 3
    assert torch.allclose(cls, ref_cls, atol=1e-6) and torch.allclose(loc, ref_loc, atol=1e-6)


@pytest.mark.parametrize("name,levels", [("DepthwiseRPNHead", [64]), ("UpChannelRPNHead", [64]),
                                         ("MultiRPNHead", [64, 64, 64]), ("SiamFCHead", [64])])
def test_head_template_track_split_is_batch_invariant(name, levels):
    """``head(z, x)`` is ``head.track(x, head.template(z))``, and a batch of per-sample kernels
    gives each sample its batch-of-one outputs bit for bit. (64 channels: with maps of fewer than
    20480 values ATen picks another conv kernel at batch 1 than at batch 3.)"""
    head = _randomise(build_siam_head(_cfg(name, HIDDEN_CHANNELS=64), levels)).eval()
    gen = torch.Generator().manual_seed(1)
    z = [torch.rand(3, c, 7, 7, generator=gen) for c in levels]
    x = [torch.rand(3, c, 31, 31, generator=gen) for c in levels]
    with torch.no_grad():
        joint = head(z, x)
        kernels = [head.template([f[i:i + 1] for f in z]) for i in range(3)]
        batched = head.track(x, concat_states(kernels))
        single = [head.track([f[i:i + 1] for f in x], kernels[i]) for i in range(3)]
    assert set(batched) == ({"score"} if name == "SiamFCHead" else {"cls", "loc"})
    for key, out in batched.items():
        assert torch.equal(out, torch.cat([s[key] for s in single]))
        assert torch.equal(joint[key], head.track(x, head.template(z))[key])


def test_siamfc_head_gives_a_score_map():
    head = build_siam_head(_cfg("SiamFCHead"), [8])
    assert "SiamFCHead" in SIAM_HEAD_REGISTRY
    maps = head([torch.rand(2, 8, 6, 6)], [torch.rand(2, 8, 22, 22)])
    assert set(maps) == {"score"} and maps["score"].shape == (2, 1, 17, 17)
    decoded = head.decode(maps, 255)
    assert torch.equal(decoded["scores"], torch.sigmoid(maps["score"].flatten(1)))


def test_anchor_head_decode_is_the_box_coder():
    """The head's decoding (training-time inference) and the tracker's coder give the same bits."""
    cfg = _cfg("DepthwiseRPNHead", HIDDEN_CHANNELS=16)
    head = build_siam_head(cfg, [8]).eval()
    gen = torch.Generator().manual_seed(3)
    maps = {"cls": torch.randn(2, 10, 17, 17, generator=gen), "loc": torch.randn(2, 20, 17, 17, generator=gen) * 0.3}
    decoded = head.decode(maps, 255)
    coder = AnchorBoxCoder(cfg)
    boxes = coder.decode(maps["loc"])
    assert np.array_equal(decoded["centered"].numpy(), boxes.transpose(0, 2, 1))
    assert np.array_equal(decoded["scores"].numpy(), coder.scores(maps["cls"]))
    centre = boxes.transpose(0, 2, 1) + [127, 127, 0, 0]
    corners = np.concatenate([centre[..., :2] - centre[..., 2:] / 2, centre[..., :2] + centre[..., 2:] / 2], -1)
    assert np.allclose(decoded["boxes"].numpy(), corners, atol=1e-4)
    # anchor 2 (64 x 64) of the centre cell with zero deltas decodes to itself
    zero = {"cls": maps["cls"], "loc": torch.zeros(1, 20, 17, 17)}
    assert head.decode(zero, 255)["boxes"][0, 2 * 289 + 8 * 17 + 8].tolist() == [95.0, 95.0, 159.0, 159.0]


def test_fuse_conv_bn_keeps_outputs():
    cfg = get_cfg()
    add_siamtrack_config(cfg)
    cfg.MODEL.SIAM_RESNET.DEPTH = 18
    cfg.MODEL.SIAM_NECK.OUT_CHANNELS = [16, 16, 16]
    model = _randomise(SiamRPN(cfg)).eval()
    z, x = torch.rand(1, 3, 127, 127) * 255, torch.rand(1, 3, 255, 255) * 255
    with torch.no_grad():
        ref = model.track(x, model.template(z))
        with pytest.raises(RuntimeError, match="eval mode"):
            fuse_conv_bn(model.train())
        assert fuse_conv_bn(model.eval()) > 20
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
        out = model.track(x, model.template(z))
    for key in ("cls", "loc"):
        scale = ref[key].abs().max()
        assert (out[key] - ref[key]).abs().max() <= 1e-4 * scale
