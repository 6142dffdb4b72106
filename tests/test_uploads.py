"""Host-to-device copies (GPU-readiness, CPU-side): one pinned non-blocking upload, training
targets built on the CPU and moved once, the crop twin's tables uploaded once per call."""
from unittest import mock

import numpy as np
import torch

from siamtrack.config import load_config
from siamtrack.modeling.heads.anchor_head import AnchorHead
from siamtrack.modeling.meta_arch import SiamRPN
from siamtrack.structures import crop as crop_module
from siamtrack.structures.boxes import cxcywh_to_xyxy
from siamtrack.structures.crop import opencv_crops, torch_crops
from siamtrack.structures.upload import upload


def test_upload_pins_and_does_not_block_on_cuda_only():
    host = torch.arange(6)
    assert upload(host, "cpu") is host  # no copy on the CPU
    assert torch.equal(upload(np.arange(6), "cpu"), host)
    fake = mock.MagicMock(spec=torch.Tensor)
    fake.device = torch.device("cpu")
    with mock.patch("torch.as_tensor", return_value=fake):
        upload(fake, "cuda:0")
    fake.pin_memory.assert_called_once_with()
    fake.pin_memory.return_value.to.assert_called_once_with(torch.device("cuda:0"), non_blocking=True)


def test_torch_crops_upload_their_tables_once_and_equal_opencv():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    windows = [((60.0, 45.0), 80, (10.0, 20.0, 30.0)), ((5.0, 80.0), 60, (1.0, 2.0, 3.0)),
               ((100.0, 10.0), 254, (7.0, 8.0, 9.0))]  # resize, padding, the 2x downscale
    with mock.patch.object(crop_module, "upload", wraps=upload) as spy:
        crops = torch_crops(torch.from_numpy(frame), windows, 127)
    assert spy.call_count == 1
    assert crops.is_contiguous() and torch.equal(crops, opencv_crops(frame, windows, 127, "cpu"))


def test_anchor_targets_are_built_on_the_cpu_and_moved_once():
    """The same targets as one call per pair (bit for bit), built on CPU tensors even for outputs
    held elsewhere (the meta device stands in for a GPU), each moved in one upload."""
    cfg = load_config("pysot/siamrpn_alex_dwxcorr", ["MODEL.DEVICE", "cpu"])
    torch.manual_seed(0)
    head = SiamRPN(cfg).rpn_head
    gt = torch.tensor([[100.0, 100.0, 160.0, 150.0], [90.0, 80.0, 200.0, 170.0], [120.0, 110.0, 140.0, 150.0]])
    negatives = [False, True, False]
    size, k = 21, head.num_anchors
    outputs = {"cls": torch.zeros(3, 2 * k, size, size, device="meta"),
               "loc": torch.zeros(3, 4 * k, size, size, device="meta")}
    seen = {}

    def loss(cls, loc, labels, deltas, weights):
        seen.update(labels=labels, deltas=deltas, weights=weights)
        return {}

    head.loss = loss
    built_on = []
    targets = head.targets
    head.targets = lambda anchors, *args: built_on.append(anchors.device) or targets(anchors, *args)
    torch.manual_seed(1)
    with mock.patch("siamtrack.modeling.heads.anchor_head.upload", wraps=upload) as spy:
        AnchorHead.losses(head, outputs, gt, negatives, 255)
    assert set(built_on) == {torch.device("cpu")} and spy.call_count == 3
    assert all(t.device.type == "meta" for t in seen.values())
    torch.manual_seed(1)  # the per-pair calls draw the same random subsamples
    anchors = cxcywh_to_xyxy(torch.tensor(head.box_coder.anchors(size, 255)))
    per_pair = [targets(anchors, k, size, 255, box, neg) for box, neg in zip(gt, negatives)]
    torch.manual_seed(1)
    AnchorHead.losses(head, {"cls": torch.zeros(3, 2 * k, size, size), "loc": torch.zeros(3, 4 * k, size, size)},
                      gt, negatives, 255)
    for name, expected in zip(("labels", "deltas", "weights"), zip(*per_pair)):
        assert torch.equal(seen[name], torch.stack(expected)), name
