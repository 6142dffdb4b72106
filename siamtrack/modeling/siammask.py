"""SiamMask: the Siamese tracker that also segments (docs/model.md, "SiamMask").

pysot's ``siammask_r50_l3``: a backbone whose last output (ResNet-50 layer3) feeds the adjust
neck, the RPN head and the mask correlation head (``mask_head``, :class:`MaskCorr`), and whose
earlier outputs (the pre-maxpool stem, layer1, layer2) feed the refine module (``refine_head``,
:class:`Refine`) with the correlation feature. Module names equal pysot's.
"""
import torch
from detectron2.config import configurable
from detectron2.modeling import META_ARCH_REGISTRY, build_backbone

from ..utils.device import resolve_device
from .heads import build_siam_head
from .heads.mask import MASK_SIZE, MaskCorr, Refine
from .mask_training import MaskTraining
from .meta_arch import SINGLE_THREAD_CPU_CHUNK, SiamRPN
from .neck import build_siam_neck

__all__ = ["SiamMask", "REFINE_FEATURES"]

# The backbone outputs the refine module reads, before the head's level.
REFINE_FEATURES = ("stem", "layer1", "layer2")


def _check_refine_features(shapes):
    """The backbone's outputs must be the refine features then one head level."""
    have = list(shapes)[:-1]
    if have != list(REFINE_FEATURES):
        raise ValueError(f"SiamMask needs backbone outputs {list(REFINE_FEATURES)} before the head's level, "
                         f"got {have} (MODEL.SIAM_RESNET.OUT_FEATURES: ['stem', 'layer1', 'layer2', 'layer3'])")


@META_ARCH_REGISTRY.register()
class SiamMask(SiamRPN):
    """:class:`SiamRPN` plus the mask branch (``MODEL.META_ARCHITECTURE: SiamMask``).

    * ``template(z)`` -> ``{"kernels": rpn kernels, "mask_kernel": mask-head kernel}``;
    * ``track(x, state)`` -> ``{"cls", "loc"}`` as :class:`SiamRPN`, plus what the refine module
      needs: ``"corr"`` (N, 256, 25, 25), the mask head's correlation feature, and the search
      branch's ``"stem"``, ``"layer1"``, ``"layer2"`` maps. The mask head's own 3969-channel
      output is computed only when :attr:`mask_logits` is True (pysot computes it on every frame
      and never uses it while tracking), then returned as ``"mask"`` (N, 3969, 25, 25);
    * ``refine(outputs, positions)`` -> (N, 127*127) mask logits of sample i at
      ``positions[i]`` = (y, x) of the score map (pysot's ``mask_refine``).
    """

    @configurable
    def __init__(self, *, backbone, neck, rpn_head, mask_head, refine_head, training=None, **kwargs):
        """
        Args:
            backbone: returns the :data:`REFINE_FEATURES` then the head's level.
            neck, rpn_head, pixel_mean, pixel_std: as :class:`SiamRPN` (on the last level only).
            mask_head (MaskCorr): the mask correlation head.
            refine_head (Refine): the refine module.
            training (MaskTraining): the mask branch's training stage, loss weight and targets
                (default: stage "mask", the paper's weight 32).
        """
        super().__init__(backbone=backbone, neck=neck, rpn_head=rpn_head, **kwargs)
        self.mask_head = mask_head
        self.refine_head = refine_head
        self.mask_logits = False
        self.mask_training = training or MaskTraining()
        self.mask_training.freeze(self)

    @classmethod
    def from_config(cls, cfg):
        """Constructor arguments from a config (``MODEL.SIAM_MASK`` for the mask branch)."""
        resolve_device(cfg.MODEL.DEVICE)
        backbone = build_backbone(cfg)
        shapes = backbone.output_shape()
        _check_refine_features(shapes)
        last = list(shapes.values())[-1]
        neck = build_siam_neck(cfg, [last])
        head_channels = neck.out_channels if neck is not None else [last.channels]
        mask = cfg.MODEL.SIAM_MASK
        return {
            "backbone": backbone,
            "neck": neck,
            "rpn_head": build_siam_head(cfg, head_channels),
            "mask_head": MaskCorr(head_channels[0], mask.HIDDEN_CHANNELS, mask.OUT_SIZE ** 2),
            "refine_head": Refine(mask.HIDDEN_CHANNELS, [shapes[name].channels for name in REFINE_FEATURES]),
            "training": MaskTraining(cfg),
            "pixel_mean": list(cfg.MODEL.PIXEL_MEAN),
            "pixel_std": list(cfg.MODEL.PIXEL_STD),
        }

    def split_features(self, images):
        """``(refine maps {"stem", "layer1", "layer2"}, head features [neck(last level)])``."""
        if self._normalize:
            images = (images - self.pixel_mean) / self.pixel_std
        feats = self.backbone(images)
        head = [feats[self.in_features[-1]]]
        head = self.neck(head) if self.neck is not None else head
        return {name: feats[name] for name in self.in_features[:-1]}, head

    def features(self, images):
        """Head features (the neck on the last backbone level), as a one-element list."""
        return self.split_features(images)[1]

    def template(self, z):
        """``{"kernels", "mask_kernel"}`` of template crops ``z`` (see class doc)."""
        feats = self.features(z)
        return {"kernels": self.rpn_head.template(feats), "mask_kernel": self.mask_head.template(feats[0])}

    def track(self, x, state):
        """Raw maps of search crops ``x``: the RPN's ``cls`` / ``loc``, the mask branch's and the
        refine module's inputs (see class doc)."""
        if x.device.type == "cpu" and torch.get_num_threads() == 1 and x.shape[0] > SINGLE_THREAD_CPU_CHUNK:
            return super().track(x, state)  # in chunks, each through this method
        refine_maps, feats = self.split_features(x)
        outputs = self.rpn_head.track(feats, state["kernels"])
        if self.mask_logits:
            outputs["mask"], outputs["corr"] = self.mask_head.track(feats[0], state["mask_kernel"])
        else:
            outputs["corr"] = self.mask_head.correlation(feats[0], state["mask_kernel"])
        outputs.update(refine_maps)
        return outputs

    def refine(self, outputs, positions):
        """Mask logits (N, 127*127), before the sigmoid, of :meth:`track` ``outputs`` at
        ``positions`` (one (y, x) per sample); each sample is refined alone."""
        return self.refine_head.at_positions(outputs["stem"], outputs["layer1"], outputs["layer2"],
                                             outputs["corr"], positions)

    def forward(self, batched_inputs):
        """Training: the RPN's losses and ``loss_mask`` (:class:`MaskTraining`; only ``loss_mask``
        in the refine stage); eval mode: :meth:`inference`. Pairs carry ``"search_mask"`` (H, W)
        0/1 for the search crop, absent where the data has no mask."""
        if not self.training:
            return self.inference(batched_inputs)
        return self.mask_training.losses(self, batched_inputs)

    def train(self, mode=True):
        """:meth:`nn.Module.train`, the frozen parts of the training stage kept in eval mode."""
        super().train(mode)
        self.mask_training.keep_frozen_in_eval(self)
        return self

    def inference(self, batched_inputs):
        """Decoded outputs of template/search pairs as :meth:`SiamRPN.inference`, plus
        ``"mask"`` (127, 127) probabilities at the best-scored anchor's position."""
        templates, searches = self._stack(batched_inputs)
        outputs = self.track(searches, self.template(templates))
        decoded = self.decode(outputs, searches.shape[-1])
        size = outputs["cls"].shape[-1]
        best = decoded["scores"].argmax(dim=1) % (size * size)
        positions = [(int(b) // size, int(b) % size) for b in best]
        masks = torch.sigmoid(self.refine(outputs, positions)).reshape(-1, MASK_SIZE, MASK_SIZE)
        results = [{key: value[i] for key, value in decoded.items()} for i in range(len(batched_inputs))]
        for result, mask in zip(results, masks):
            result["mask"] = mask
        return results
