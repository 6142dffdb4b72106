"""Losses of the Siamese heads (docs/model.md, "Training forward": pysot's and the BCE / smooth-L1 variant).

Shapes: ``cls`` (B, 2k, S, S) class-major logits, ``loc`` (B, 4k, S, S) coordinate-major deltas;
``labels`` (B, A) int64 in {-1, 0, 1}, ``deltas`` (B, A, 4), ``loc_weights`` (B, A), with
``A = k*S*S`` anchor-major.
"""
import torch.nn.functional as F
from fvcore.nn import smooth_l1_loss

__all__ = ["AnchorLoss", "LOSS_TYPES", "pysot_cls_loss", "pysot_loc_loss", "bce_cls_loss", "smooth_l1_loc_loss",
           "siamfc_loss"]

LOSS_TYPES = ("pysot", "bce_smoothl1")


def one_of(key, value, choices):
    """``value`` when it is one of ``choices``, else a ValueError naming the config ``key``."""
    if value not in choices:
        raise ValueError(f"{key} must be one of {choices}, got {value!r}")
    return value


def _flat_pred(t, parts):
    """(B, parts*k, S, S) -> (B, k*S*S, parts) in the anchor-major flat order."""
    b = t.shape[0]
    return t.reshape(b, parts, -1).permute(0, 2, 1)


def _nll_group(log_probs, labels, value):
    """pysot's per-class mean NLL; a group with fewer than two members contributes 0.

    pysot squeezes the index list of each group, so a single-element group becomes a 0-d
    tensor that its ``len(size) == 0`` test treats as empty. The quirk is reproduced on purpose.
    The zero keeps the graph (``sum() * 0``) so every parameter still gets a gradient.
    """
    idx = (labels == value).nonzero().squeeze(1)
    if idx.numel() < 2:
        return log_probs.sum() * 0.0
    return F.nll_loss(log_probs[idx], labels[idx])


def pysot_cls_loss(cls, labels):
    """0.5 * mean NLL over positives + 0.5 * mean NLL over negatives, over the whole batch."""
    log_probs = F.log_softmax(_flat_pred(cls, 2), dim=-1).reshape(-1, 2)
    labels = labels.reshape(-1)
    return 0.5 * _nll_group(log_probs, labels, 1) + 0.5 * _nll_group(log_probs, labels, 0)


def pysot_loc_loss(loc, deltas, loc_weights):
    """Weighted L1: sum over anchors of weight * sum_j |p_j - t_j|, divided by the batch size."""
    diff = (_flat_pred(loc, 4) - deltas).abs().sum(dim=-1)
    return (diff * loc_weights).sum() / loc.shape[0]


def bce_cls_loss(cls, labels):
    """Sigmoid binary cross-entropy on the logit ``fg - bg`` over sampled anchors (label >= 0).

    ``sigmoid(fg - bg)`` equals the softmax foreground probability used at inference, so the
    two-channel output layout (and the tracker) stay unchanged. Mean over sampled anchors.
    """
    pred = _flat_pred(cls, 2)
    logits = (pred[..., 1] - pred[..., 0]).reshape(-1)
    labels = labels.reshape(-1)
    valid = labels >= 0
    if not bool(valid.any()):
        return cls.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[valid], labels[valid].to(logits.dtype))


def smooth_l1_loc_loss(loc, deltas, labels, beta):
    """Smooth-L1 (``beta``) on the deltas of positive anchors, summed, divided by #positives."""
    pred = _flat_pred(loc, 4)
    pos = labels == 1
    if not bool(pos.any()):
        return loc.sum() * 0.0
    return smooth_l1_loss(pred[pos], deltas[pos], beta, reduction="sum") / pos.sum()


def siamfc_loss(score, labels, weights):
    """Balanced logistic loss of a (B, 1, S, S) SiamFC score map, averaged over pairs."""
    logits = score.reshape(score.shape[0], -1)
    loss = F.binary_cross_entropy_with_logits(logits, labels, weight=weights, reduction="sum")
    return loss / score.shape[0]


class AnchorLoss:
    """The weighted classification + localisation loss of an anchor head.

    ``loss_type`` "pysot": softmax NLL split by class (:func:`pysot_cls_loss`) + weighted L1
    (:func:`pysot_loc_loss`); "bce_smoothl1": :func:`bce_cls_loss` + :func:`smooth_l1_loc_loss`.
    """

    def __init__(self, loss_type="pysot", cls_weight=1.0, loc_weight=1.2, smooth_l1_beta=1.0 / 9):
        """
        Args:
            loss_type: one of :data:`LOSS_TYPES` (``MODEL.SIAM_RPN.LOSS_TYPE``).
            cls_weight, loc_weight: weights of the two terms.
            smooth_l1_beta: beta of the smooth-L1 loss ("bce_smoothl1").
        """
        self.loss_type = one_of("MODEL.SIAM_RPN.LOSS_TYPE", loss_type, LOSS_TYPES)
        self.cls_weight = float(cls_weight)
        self.loc_weight = float(loc_weight)
        self.smooth_l1_beta = float(smooth_l1_beta)

    def __call__(self, cls, loc, labels, deltas, loc_weights):
        """``{"loss_cls", "loss_loc"}`` of head outputs against stacked anchor targets (module doc)."""
        if self.loss_type == "pysot":
            loss_cls = pysot_cls_loss(cls, labels)
            loss_loc = pysot_loc_loss(loc, deltas, loc_weights)
        else:
            loss_cls = bce_cls_loss(cls, labels)
            loss_loc = smooth_l1_loc_loss(loc, deltas, labels, self.smooth_l1_beta)
        return {"loss_cls": self.cls_weight * loss_cls, "loss_loc": self.loc_weight * loss_loc}
