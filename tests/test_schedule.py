"""pysot's training schedule (docs/training.md): LR table, per-group scaling, backbone unfreezing, guards.

Uses tiny stand-in modules, so it checks the engine without the real model or data.
"""
import math

import numpy as np
import pytest
import torch
from torch import nn

from detectron2.config import get_cfg
from detectron2.engine import HookBase

from siamtrack.config import ConfigError, add_siamtrack_config
from siamtrack.engine import (
    BackboneUnfreezeHook,
    IterationSeedHook,
    SiamLRScheduler,
    SiamTrainLoop,
    build_lr_scheduler,
    build_optimizer,
    ddp_device_ids,
    finalize_solver_config,
    pysot_lr_table,
    schedule_summary,
    set_backbone_trainable,
)

IPE = 4  # iterations per epoch in these tests


def _cfg(**solver_siam):
    cfg = add_siamtrack_config(get_cfg())
    cfg.SOLVER.BASE_LR = 0.005
    cfg.SOLVER.WEIGHT_DECAY = 1e-4
    cfg.SOLVER.MOMENTUM = 0.9
    cfg.SOLVER.SIAM.ITERS_PER_EPOCH = IPE
    cfg.SOLVER.SIAM.BACKBONE_TRAIN_LAYERS = ["layer2"]
    for k, v in solver_siam.items():
        setattr(cfg.SOLVER.SIAM, k, v)
    return finalize_solver_config(cfg)


class TinySiam(nn.Module):
    """Stand-in with a pysot-like ``backbone`` (stages layer1, layer2) and a head."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Module()
        self.backbone.layer1 = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        self.backbone.layer2 = nn.Sequential(nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        self.neck = nn.Sequential(nn.Conv2d(4, 4, 1), nn.BatchNorm2d(4))
        self.head = nn.Conv2d(4, 1, 1)
        self.poison = set()  # iterations whose loss is NaN
        self.calls = 0

    def forward(self, batch):
        x = torch.stack([d["image"] for d in batch])
        y = self.head(self.neck(self.backbone.layer2(self.backbone.layer1(x))))
        loss = ((y - 1.0) ** 2).mean()
        if self.calls in self.poison:
            loss = loss * float("nan")
        self.calls += 1
        return {"loss_a": loss, "loss_b": 0.5 * loss}


def _loader():
    g = torch.Generator().manual_seed(0)
    while True:
        yield [{"image": torch.rand(3, 8, 8, generator=g)} for _ in range(2)]


def _params(module):
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def _bn_modes(backbone):
    return {n: m.training for n, m in backbone.named_modules() if isinstance(m, nn.BatchNorm2d)}


def test_resnet_lr_table_matches_pysot():
    table, main0 = pysot_lr_table(20, 0.005, 0.0005, 5, 0.001, 0.005)
    assert len(table) == 20
    # Geometric warm-up that never reaches its end value (docs/training.md).
    np.testing.assert_allclose(table[:5], [0.001, 0.00138, 0.00190, 0.00263, 0.00362], rtol=3e-3)
    np.testing.assert_allclose(table[5:], np.logspace(math.log10(0.005), math.log10(0.0005), 15))
    assert main0 == pytest.approx(0.005)
    assert max(table[:5]) < 0.005


def test_alexnet_lr_is_half_of_table():
    cfg = _cfg(EPOCHS=50, LOG_START_LR=0.01, LOG_END_LR=0.0005, WARMUP_START_LR=0.005,
               WARMUP_END_LR=0.01, BACKBONE_LR_FACTOR=1.0)
    table, _ = pysot_lr_table(50, 0.01, 0.0005, 5, 0.005, 0.01)
    model = TinySiam()
    opt = build_optimizer(cfg, model)
    sched = build_lr_scheduler(cfg, opt)
    for it in range(cfg.SOLVER.MAX_ITER):
        e = it // IPE
        for group in opt.param_groups:
            assert group["lr"] == pytest.approx(table[e] / 2)
        opt.step()
        sched.step()


def test_per_group_lr_follows_table_every_iteration():
    cfg = _cfg(EPOCHS=8, WARMUP_EPOCHS=3, BACKBONE_LR_FACTOR=0.1)
    assert cfg.SOLVER.MAX_ITER == 8 * IPE
    table, main0 = pysot_lr_table(8, 0.005, 0.0005, 3, 0.001, 0.005)
    model = TinySiam()
    opt = build_optimizer(cfg, model)
    sched = build_lr_scheduler(cfg, opt)
    groups = {g["name"]: g for g in opt.param_groups}
    assert set(groups) == {"backbone", "head"}
    for it in range(cfg.SOLVER.MAX_ITER):
        e = it // IPE
        assert groups["head"]["lr"] == pytest.approx(table[e] * 0.005 / main0)
        assert groups["backbone"]["lr"] == pytest.approx(table[e] * 0.0005 / main0)
        opt.step()
        sched.step()  # the step after the last iteration must not fail


def test_param_groups_hold_every_parameter_with_weight_decay():
    cfg = _cfg()
    model = TinySiam()
    set_backbone_trainable(model.backbone, None)  # frozen parameters are still in the groups
    opt = build_optimizer(cfg, model)
    in_opt = {id(p) for g in opt.param_groups for p in g["params"]}
    assert in_opt == {id(p) for p in model.parameters()}
    assert all(g["weight_decay"] == 1e-4 and g["momentum"] == 0.9 for g in opt.param_groups)
    backbone = {id(p) for p in model.backbone.parameters()}
    for g in opt.param_groups:
        assert all((id(p) in backbone) == (g["name"] == "backbone") for p in g["params"])


def test_kernel_lr_factor_gives_the_up_channel_template_convs_their_own_group():
    # DaSiamRPN from scratch (configs/dasiamrpn/dasiamrpn_alex.yaml): the template convs make
    # kernels each output sums 256 x 16 values of, so they train at 1 / 4096 of the head's LR.
    from siamtrack.config import load_config
    from siamtrack.modeling import SiamRPN

    cfg = load_config("dasiamrpn/dasiamrpn_alex", ["MODEL.DEVICE", "cpu", "SOLVER.SIAM.ITERS_PER_EPOCH", str(IPE)])
    assert cfg.SOLVER.SIAM.KERNEL_LR_FACTOR == 1 / 4096
    model = SiamRPN(cfg)
    opt = build_optimizer(cfg, model)
    sched = build_lr_scheduler(cfg, opt)
    groups = {g["name"]: g for g in opt.param_groups}
    head = model.rpn_head
    kernel_params = {id(p) for conv in (head.template_cls_conv, head.template_loc_conv) for p in conv.parameters()}
    assert {id(p) for p in groups["kernels"]["params"]} == kernel_params
    assert not kernel_params & {id(p) for p in groups["head"]["params"]}
    assert {id(p) for g in opt.param_groups for p in g["params"]} == {id(p) for p in model.parameters()}
    for _ in range(2 * IPE):  # the schedule keeps the ratio through warm-up and decay
        assert groups["kernels"]["lr"] == pytest.approx(groups["head"]["lr"] / 4096)
        opt.step()
        sched.step()
    # pysot's own value (1) keeps pysot's two groups; a factor on a head without kernels is refused
    assert {g["name"] for g in build_optimizer(_cfg(), TinySiam()).param_groups} == {"backbone", "head"}
    with pytest.raises(ConfigError, match="UpChannelRPNHead only"):
        build_optimizer(_cfg(KERNEL_LR_FACTOR=0.5), TinySiam())
    with pytest.raises(ConfigError, match="positive number"):
        build_optimizer(_cfg(KERNEL_LR_FACTOR=float("nan")), TinySiam())


def test_set_backbone_trainable_flips_grads_and_bn_modes():
    model = TinySiam().train()
    set_backbone_trainable(model.backbone, None)
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert not any(_bn_modes(model.backbone).values())
    set_backbone_trainable(model.backbone, ["layer2"])
    for name, p in model.backbone.named_parameters():
        assert p.requires_grad == name.startswith("layer2.")
    for name, training in _bn_modes(model.backbone).items():
        assert training == name.startswith("layer2.")
    with pytest.raises(ValueError, match="layer9"):
        set_backbone_trainable(model.backbone, ["layer9"])


class _Probe(HookBase):
    """Records, before each step (after the unfreeze hook), the optimizer/model state."""

    def __init__(self, model):
        self.model = model
        self.log = {}

    def before_step(self):
        self.log[self.trainer.iter] = {
            "momentum_buffers": len(self.trainer.optimizer.state),
            "layer2_grad": self.model.backbone.layer2[0].weight.requires_grad,
            "bn_modes": _bn_modes(self.model.backbone),
        }


def _train(model, cfg, start, end, optimizer=None, on_change=None, hooks_before=()):
    opt = optimizer or build_optimizer(cfg, model)
    loop = SiamTrainLoop(model, _loader(), opt, clip_value=10.0)
    unfreeze_iter = cfg.SOLVER.SIAM.BACKBONE_TRAIN_EPOCH * IPE
    if start == 0:
        set_backbone_trainable(model.backbone, None if unfreeze_iter > 0 else ["layer2"])
    probe = _Probe(model)
    sched = build_lr_scheduler(cfg, opt)
    loop.register_hooks([
        *hooks_before,
        BackboneUnfreezeHook(model.backbone, unfreeze_iter, ["layer2"], on_change=on_change),
        probe,
        SiamLRScheduler(opt, sched),
    ])
    loop.train(start, end)
    return loop, probe


def test_backbone_unfreeze_hook_schedule():
    cfg = _cfg(EPOCHS=6, WARMUP_EPOCHS=1, BACKBONE_TRAIN_EPOCH=2)
    model = TinySiam()
    before = _params(model)
    changes = []
    loop, probe = _train(model, cfg, 0, cfg.SOLVER.MAX_ITER, on_change=lambda: changes.append(1))
    unfreeze = 2 * IPE
    for it, rec in probe.log.items():
        assert rec["layer2_grad"] == (it >= unfreeze)
        # Frozen stage BNs in eval mode; layer2's go back to train mode at unfreeze.
        for name, training in rec["bn_modes"].items():
            assert training == (it >= unfreeze and name.startswith("layer2."))
    # Momentum buffers exist before, and are discarded exactly at the unfreeze iteration.
    assert probe.log[unfreeze - 1]["momentum_buffers"] > 0
    assert probe.log[unfreeze]["momentum_buffers"] == 0
    assert changes == [1]
    after = _params(model)
    for name in before:
        changed = not torch.equal(before[name], after[name])
        if name.startswith("backbone.layer1"):
            assert not changed, name  # stem-like stages never train
        elif name.startswith(("backbone.layer2", "neck", "head")):
            assert changed, name


def test_bn_modes_restored_after_model_train():
    """An evaluation hook's model.train() must not switch frozen BatchNorms to train mode."""
    cfg = _cfg(EPOCHS=4, WARMUP_EPOCHS=1, BACKBONE_TRAIN_EPOCH=10)

    class Evaluator(HookBase):
        def after_step(self):
            model.eval()
            model.train()

    model = TinySiam()
    _, probe = _train(model, cfg, 0, 6, hooks_before=[Evaluator()])
    assert not any(any(rec["bn_modes"].values()) for rec in probe.log.values())


def test_resume_after_unfreeze_restores_trained_state_without_reset():
    cfg = _cfg(EPOCHS=6, WARMUP_EPOCHS=1, BACKBONE_TRAIN_EPOCH=1)
    model = TinySiam()
    changes = []
    set_backbone_trainable(model.backbone, None)  # as the trainer builds it (iteration 0 state)
    opt = build_optimizer(cfg, model)
    head_w = model.head.weight
    opt.state[head_w]["momentum_buffer"] = torch.zeros_like(head_w)  # "loaded"
    _, probe = _train(model, cfg, 2 * IPE, 2 * IPE + 2, optimizer=opt,
                      on_change=lambda: changes.append(1))
    first = probe.log[2 * IPE]
    assert first["layer2_grad"] and first["momentum_buffers"] > 0
    assert changes == [1]


def test_nan_loss_iteration_is_skipped():
    cfg = _cfg(EPOCHS=4, WARMUP_EPOCHS=1, BACKBONE_TRAIN_EPOCH=0)
    model = TinySiam()
    model.poison = {3}

    class Snap(HookBase):
        def before_step(self):
            self.params = _params(model)

        def after_step(self):
            if self.trainer.iter == 3:
                after = _params(model)
                assert all(torch.equal(self.params[k], after[k]) for k in after)

    snap = Snap()
    loop, _ = _train(model, cfg, 0, 6, hooks_before=[snap])
    assert loop.num_skipped == 1
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_full_model_gradient_clipping():
    model = TinySiam()
    opt = build_optimizer(_cfg(), model)
    loop = SiamTrainLoop(model, _loader(), opt, clip_type="full_model", clip_value=10.0)
    for p in model.parameters():
        p.grad = torch.full_like(p, 100.0)
    loop._clip()
    total = torch.norm(torch.stack([p.grad.norm() for p in model.parameters()]))
    assert total.item() == pytest.approx(10.0, rel=1e-4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU error")
def test_amp_needs_cuda():
    model = TinySiam()
    with pytest.raises(RuntimeError, match="CUDA"):
        SiamTrainLoop(model, _loader(), build_optimizer(_cfg(), model), amp=True)


def test_ddp_device_ids_none_on_cpu():
    assert ddp_device_ids(TinySiam()) is None


def test_max_iter_zero_is_the_whole_schedule_and_negative_is_refused():
    cfg = _cfg(EPOCHS=6, WARMUP_EPOCHS=1)
    assert cfg.SOLVER.MAX_ITER == 6 * IPE  # 0, the default, derives EPOCHS x ITERS_PER_EPOCH
    for stop in (3, 100):  # a positive value is kept: training stops earlier or later
        cfg.SOLVER.MAX_ITER = stop
        assert finalize_solver_config(cfg).SOLVER.MAX_ITER == stop
    cfg.SOLVER.MAX_ITER = -5
    with pytest.raises(ConfigError, match="SOLVER.MAX_ITER -5 is negative"):
        finalize_solver_config(cfg)


def test_schedule_summary_states_the_arithmetic_once():
    cfg = _cfg(EPOCHS=6, WARMUP_EPOCHS=1, BACKBONE_TRAIN_EPOCH=2)
    cfg.SOLVER.IMS_PER_BATCH = 8
    assert schedule_summary(cfg) == (
        "Schedule: 6 epochs x 4 iterations = 24 iterations of 8 pairs; training runs all of it; "
        "backbone stages ['layer2'] train from epoch 2 (iteration 8)")
    cfg.SOLVER.MAX_ITER = 5
    assert "training stops early, after 5 (SOLVER.MAX_ITER); the backbone stays frozen" in schedule_summary(cfg)


def test_checkpoint_records_and_restores_the_backbone_state():
    """The hook's state goes into the checkpoint; a resumed run restores it, not the schedule's guess."""
    cfg = _cfg(EPOCHS=6, WARMUP_EPOCHS=1, BACKBONE_TRAIN_EPOCH=2)
    model = TinySiam()
    loop, _ = _train(model, cfg, 0, 3 * IPE)
    hook = next(h for h in loop._hooks if isinstance(h, BackboneUnfreezeHook))
    assert hook.state_dict() == {"trained": True, "train_layers": ["layer2"], "unfreeze_iter": 2 * IPE}

    resumed = TinySiam()
    set_backbone_trainable(resumed.backbone, None)
    hook = BackboneUnfreezeHook(resumed.backbone, 10 * IPE, ["layer2"])  # a later unfreeze...
    hook.load_state_dict({"trained": True, "train_layers": ["layer2"], "unfreeze_iter": 2 * IPE})
    hook.trainer = type("Trainer", (), {"iter": 3 * IPE})()
    hook.before_train()  # ...but the checkpoint says the stage trains already
    assert resumed.backbone.layer2[0].weight.requires_grad
    assert not resumed.backbone.layer1[0].weight.requires_grad

    # a checkpoint of frozen stages, resumed by a config that unfreezes earlier: unfrozen now
    frozen = TinySiam()
    set_backbone_trainable(frozen.backbone, None)
    optimizer = build_optimizer(cfg, frozen)
    optimizer.state[frozen.head.weight]["momentum_buffer"] = torch.zeros_like(frozen.head.weight)
    hook = BackboneUnfreezeHook(frozen.backbone, 1 * IPE, ["layer2"])
    hook.load_state_dict({"trained": False, "train_layers": ["layer2"], "unfreeze_iter": 4 * IPE})
    hook.trainer = type("Trainer", (), {"iter": 3 * IPE, "optimizer": optimizer})()
    hook.before_train()
    assert frozen.backbone.layer2[0].weight.requires_grad and not optimizer.state  # as pysot's rebuild


def test_iteration_seed_depends_on_the_iteration_only():
    hook = IterationSeedHook(seed=7, rank=0)
    draws = []
    for noise in (0, 13):
        torch.rand(noise)  # whatever was drawn before
        np.random.rand(noise)
        hook.trainer = type("Trainer", (), {"iter": 5})()
        hook.before_step()
        draws.append((torch.rand(3), np.random.rand(3)))
    assert torch.equal(draws[0][0], draws[1][0]) and np.array_equal(draws[0][1], draws[1][1])
    hook.trainer.iter = 6
    hook.before_step()
    assert not torch.equal(torch.rand(3), draws[0][0])
    other_rank = IterationSeedHook(seed=7, rank=1)
    other_rank.trainer = type("Trainer", (), {"iter": 5})()
    other_rank.before_step()
    assert not torch.equal(torch.rand(3), draws[0][0])


def test_console_line_shows_lr_and_lr_backbone():
    import logging

    from detectron2.utils.events import EventStorage

    from siamtrack.engine.logs import SiamMetricPrinter

    class Records(logging.Handler):
        def __init__(self):
            super().__init__()
            self.lines = []

        def emit(self, record):
            self.lines.append(record.getMessage())

    # on the logger itself: detectron2's setup_logger stops propagation to the root logger
    events, records = logging.getLogger("detectron2.utils.events"), Records()
    events.addHandler(records)
    level, events.level = events.level, logging.INFO
    try:
        with EventStorage(start_iter=3) as storage:
            storage.put_scalars(total_loss=1.5, lr=0.005, lr_backbone=0.0005, smoothing_hint=False)
            SiamMetricPrinter(max_iter=10).write()
    finally:
        events.removeHandler(records)
        events.level = level
    line, = records.lines
    assert "total_loss: 1.5" in line and "lr: 0.005  lr_backbone: 0.0005" in line
