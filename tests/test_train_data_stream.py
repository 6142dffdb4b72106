"""What a resume relies on besides the checkpoint: the batch of an iteration depends on the
iteration alone (not on the loader workers or where the run started), the loader leaves torch's
global generator alone, and weights load strictly unless a partial load is asked for."""
import pytest
import torch
from torch import nn

from siamtrack.checkpoint import WeightsError, load_weights
from siamtrack.config import load_config
from siamtrack.data.build import build_pair_train_loader, restart_pair_loader
from siamtrack.data.pairs import PairBatchSampler

from conftest import REPO_ROOT


def test_batch_positions_per_iteration_and_rank():
    ranks = [PairBatchSampler(3, rank, 2) for rank in (0, 1)]
    assert [r.positions(0) for r in ranks] == [[0, 2, 4], [1, 3, 5]]
    assert [r.positions(4) for r in ranks] == [[24, 26, 28], [25, 27, 29]]  # 4 blocks of 6 before
    resumed = iter(PairBatchSampler(3, 1, 2, start_iter=4))
    assert next(resumed) == [25, 27, 29] and next(resumed) == [31, 33, 35]
    with pytest.raises(ValueError):
        PairBatchSampler(3, 2, 2)


def _cfg(workers):
    return load_config(str(REPO_ROOT / "configs" / "quickstart_synthetic.yaml"),
                       ["SOLVER.IMS_PER_BATCH", "2", "DATASETS.SIAM.SYNTHETIC_NUM_TRAIN", "6",
                        "DATALOADER.NUM_WORKERS", str(workers)])


def _digest(batch):
    return [(s["template"].sum().item(), s["search"].sum().item(), s["search_box"].tolist(), s["negative"])
            for s in batch]


def test_the_batch_of_an_iteration_ignores_workers_and_the_start():
    stream = iter(build_pair_train_loader(_cfg(0)))
    expected = [_digest(next(stream)) for _ in range(4)][2:]  # iterations 2 and 3
    for loader in (build_pair_train_loader(_cfg(2), start_iter=2),
                   restart_pair_loader(build_pair_train_loader(_cfg(0)), 2)):
        batches = iter(loader)
        assert [_digest(next(batches)) for _ in range(2)] == expected
    with pytest.raises(TypeError):
        restart_pair_loader([[1, 2]], 2)


def test_the_loader_leaves_the_global_generator_alone():
    """The training step's random draws (anchor sampling) come from torch's global generator,
    seeded per iteration; a loader started in the middle of a run must not shift it."""
    loader = build_pair_train_loader(_cfg(1))
    torch.manual_seed(0)
    state = torch.get_rng_state()
    next(iter(loader))
    assert torch.equal(torch.get_rng_state(), state)


class _Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3)
        self.head = nn.Conv2d(width, 1, 1)
        self.extra = nn.Linear(2, 2)


def test_weights_that_do_not_fit_load_only_with_partial_allowed(tmp_path):
    other = _Net(8)
    del other.extra
    path = tmp_path / "other.pth"
    torch.save({"model": other.state_dict()}, path)
    with pytest.raises(WeightsError, match=r"2 missing \(extra.weight, extra.bias\); 3 mis-shaped.*; or set OPT True"):
        load_weights(_Net(4), path, partial_option="OPT")
    model = _Net(8)
    model.head = nn.Conv2d(8, 2, 1)  # the head no longer fits, the conv does
    before = model.head.weight.detach().clone()
    report = load_weights(model, path, allow_partial=True)
    assert "2 missing (extra.weight, extra.bias)" in report and "mis-shaped (head.weight [1, 8, 1, 1]" in report
    assert torch.equal(model.conv.weight, other.conv.weight)  # loaded
    assert torch.equal(model.head.weight, before)  # kept its value
    assert load_weights(_Net(8), path, allow_partial=True).startswith("2 missing")
