"""Every configuration key siamtrack adds to detectron2's config, with its default.

This is the one place where siamtrack's keys are declared and documented; ``docs/config.md``
explains them for users. Defaults follow pysot's ``config.py`` (the SiamRPN++ reference code)
unless a comment says otherwise; YAML files in ``configs/`` set the per-experiment values.
"""
import os

import yaml
from detectron2.config import CfgNode as CN
from detectron2.config import get_cfg

from .packaged_configs import find_config, missing_config_message
from .utils.device import announce_cpu_fallback, default_device
from .utils.errors import InputError
from .utils.value_checks import check_track_values


class ConfigError(InputError):
    """A config file or override that cannot be loaded; the message is one line."""


class UnknownConfigError(ConfigError):
    """A config name that is neither a file nor a packaged config; the message lists the packaged
    names (``siamtrack.model_zoo.list_configs()``)."""


def load_config(config_file, opts=()):
    """detectron2's default config plus siamtrack's keys, ``config_file`` and ``opts`` merged in.

    ``config_file`` is a YAML path or a packaged config name (``"siamrpnpp_r50"``,
    ``"pysot/siamrpn_alex_dwxcorr.yaml"``: see :mod:`siamtrack.model_zoo`); an existing file wins.
    ``opts`` are trailing ``KEY VALUE`` overrides. A missing file, a YAML error, an unknown key or
    a bad value raises :class:`ConfigError` with a one-line message (yacs' own messages span
    several lines); a ``TRACK.*`` value outside its range raises ``TrackValueError``.
    """
    config_file = os.fspath(config_file)
    if not os.path.isfile(config_file):
        packaged = find_config(config_file)
        if packaged is None:
            raise UnknownConfigError(missing_config_message(config_file))
        config_file = packaged
    cfg = add_siamtrack_config(get_cfg())
    try:
        loaded = read_config_file(config_file)
        cfg.merge_from_other_cfg(CN(loaded))
        cfg.merge_from_list(list(opts))
        device_set = "MODEL.DEVICE" in list(opts)[::2] or "DEVICE" in (loaded.get("MODEL") or {})
    except Exception as exc:  # yacs raises KeyError / ValueError / AssertionError / YAMLError
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        raise ConfigError(f"bad config or overrides: {lines[0]}") from None
    if not device_set:
        announce_cpu_fallback()
    return check_track_values(cfg)  # the ranges of TRACK.* values (utils/value_checks.py)


def read_config_file(config_file):
    """The YAML of ``config_file`` merged onto its ``_BASE_`` files, as a dict: fvcore's rule (a
    base is relative to its file; the file's values win), and a base that is no file there may
    be a packaged config name (``_BASE_: siamrpnpp_r50.yaml``, docs/config.md)."""
    with open(config_file, encoding="utf-8") as f:
        text = f.read()
    try:
        loaded = yaml.safe_load(text) or {}
    except yaml.constructor.ConstructorError:  # python tags (detectron2's merge_from_file allows them)
        loaded = yaml.unsafe_load(text) or {}
    bases = loaded.pop("_BASE_", [])
    merged = {}
    for base in bases if isinstance(bases, list) else [bases]:
        base = os.path.expanduser(str(base))
        if not os.path.isabs(base):
            beside = os.path.join(os.path.dirname(config_file), base)
            base = beside if os.path.isfile(beside) else (find_config(base) or beside)
        _merge_into(read_config_file(base), merged)
    _merge_into(loaded, merged)
    return merged


def _merge_into(a, b):
    """Merge dict ``a`` into dict ``b`` in place, values of ``a`` winning (fvcore's rule)."""
    for key, value in a.items():
        if isinstance(value, dict) and isinstance(b.get(key), dict):
            _merge_into(value, b[key])
        elif isinstance(value, dict) and key in b:
            raise KeyError(f"cannot inherit key {key!r} from a base")
        else:
            b[key] = value


def add_siamtrack_config(cfg):
    """Add siamtrack's keys (model, input crops, pair data, solver recipe, tracker) to ``cfg``.

    Call it on ``detectron2.config.get_cfg()`` before ``merge_from_file`` of a siamtrack YAML.
    Calling it twice is harmless.
    """
    _add_model_config(cfg)
    _add_input_config(cfg)
    _add_dataset_config(cfg)
    _add_solver_config(cfg)
    _add_tracker_config(cfg)
    _add_test_config(cfg)
    _add_siammask_config(cfg)
    return cfg


def _add_model_config(cfg):
    cfg.MODEL.META_ARCHITECTURE = "SiamRPN"
    # The device rule (docs/config.md): detectron2's default "cuda" becomes CUDA when this machine
    # has it, else the CPU (load_config says so once); a device set explicitly is kept, and
    # checked where the model is built (utils/device.resolve_device).
    if cfg.MODEL.DEVICE == "cuda":
        cfg.MODEL.DEVICE = default_device()
    # The network takes raw BGR 0..255 crops (no normalisation), as pysot does.
    cfg.MODEL.PIXEL_MEAN = [0.0, 0.0, 0.0]
    cfg.MODEL.PIXEL_STD = [1.0, 1.0, 1.0]
    cfg.MODEL.BACKBONE.NAME = "build_siam_resnet_backbone"

    # Siamese ResNet (pysot's atrous ResNet: conv1 without padding, dilated layer3/4).
    cfg.MODEL.SIAM_RESNET = CN()
    cfg.MODEL.SIAM_RESNET.DEPTH = 50  # 18, 34 or 50
    # Outputs among "stem" (after conv1-bn-relu), "layer1" .. "layer4" (pysot used_layers 0..4).
    cfg.MODEL.SIAM_RESNET.OUT_FEATURES = ["layer2", "layer3", "layer4"]

    # AlexNet; LAYOUT "legacy" names parameters features.N (released models), "layered"
    # names them layer1..layer5 (pysot's AlexNet training config). Output feature: "layer5".
    cfg.MODEL.SIAM_ALEXNET = CN()
    cfg.MODEL.SIAM_ALEXNET.WIDTH_MULT = 1.0
    cfg.MODEL.SIAM_ALEXNET.LAYOUT = "legacy"

    # MobileNetV2 with dilated later stages; outputs among "layer0" .. "layer7".
    cfg.MODEL.SIAM_MOBILENETV2 = CN()
    cfg.MODEL.SIAM_MOBILENETV2.WIDTH_MULT = 1.4
    cfg.MODEL.SIAM_MOBILENETV2.OUT_FEATURES = ["layer3", "layer5", "layer7"]

    # Adjust neck: 1x1 conv + BN per level, centre crop of template-sized maps.
    cfg.MODEL.SIAM_NECK = CN()
    cfg.MODEL.SIAM_NECK.NAME = "AdjustNeck"  # "" for none (AlexNet)
    cfg.MODEL.SIAM_NECK.OUT_CHANNELS = [256, 256, 256]  # one per backbone output
    cfg.MODEL.SIAM_NECK.CENTER_SIZE = 7  # crop maps narrower than CROP_BELOW to this size
    cfg.MODEL.SIAM_NECK.CROP_BELOW = 20

    # Siamese head (SIAM_HEAD_REGISTRY): "MultiRPNHead", "DepthwiseRPNHead", "UpChannelRPNHead" or "SiamFCHead".
    cfg.MODEL.SIAM_HEAD = CN()
    cfg.MODEL.SIAM_HEAD.NAME = "MultiRPNHead"
    cfg.MODEL.SIAM_HEAD.HIDDEN_CHANNELS = 256  # DepthwiseRPNHead, UpChannelRPNHead (MultiRPN uses in channels)
    cfg.MODEL.SIAM_HEAD.WEIGHTED = True  # MultiRPN: softmax-weighted fusion, else plain mean

    # SiamFCHead: score-map cell spacing (the backbone's total stride) and the training label.
    cfg.MODEL.SIAM_FC = CN()
    cfg.MODEL.SIAM_FC.STRIDE = 8
    cfg.MODEL.SIAM_FC.POSITIVE_RADIUS = 16  # positive cells within this many search-crop pixels

    # Anchors (pysot ANCHOR.*): per-position shapes from stride, ratios and scales.
    cfg.MODEL.SIAM_ANCHOR = CN()
    cfg.MODEL.SIAM_ANCHOR.STRIDE = 8
    cfg.MODEL.SIAM_ANCHOR.RATIOS = [0.33, 0.5, 1.0, 2.0, 3.0]
    cfg.MODEL.SIAM_ANCHOR.SCALES = [8]

    # Anchor targets and losses for training.
    cfg.MODEL.SIAM_RPN = CN()
    cfg.MODEL.SIAM_RPN.IOU_THRESHOLDS = [0.3, 0.6]  # Matcher: < 0.3 negative, >= 0.6 positive
    cfg.MODEL.SIAM_RPN.BATCH_SIZE_PER_PAIR = 64  # anchors sampled per positive pair
    cfg.MODEL.SIAM_RPN.POSITIVE_FRACTION = 0.25  # at most 16 positives of 64
    cfg.MODEL.SIAM_RPN.NEGATIVE_PAIR_NUM = 16  # negatives kept around a distractor (negative pair)
    # "pysot": softmax NLL split into positives/negatives + weighted L1 (pysot);
    # "bce_smoothl1": sigmoid binary cross-entropy + smooth-L1 (the seed article's variant).
    cfg.MODEL.SIAM_RPN.LOSS_TYPE = "pysot"
    cfg.MODEL.SIAM_RPN.CLS_WEIGHT = 1.0
    cfg.MODEL.SIAM_RPN.LOC_WEIGHT = 1.2
    cfg.MODEL.SIAM_RPN.SMOOTH_L1_BETA = 1.0 / 9.0

    # Local ImageNet weights (torchvision format) for the backbone at training start; no download.
    cfg.MODEL.SIAM_PRETRAINED = ""
    # Training from MODEL.WEIGHTS that do not fit the model (missing / unexpected / mis-shaped
    # tensors) is refused unless this is True: then the tensors that fit are loaded, the others
    # keep their initial values, and one warning lists them (docs/training.md).
    cfg.MODEL.SIAM_PARTIAL_LOAD = False


def _add_input_config(cfg):
    cfg.INPUT.FORMAT = "BGR"
    cfg.INPUT.SIAM = CN()
    # The template side and the context: TRACK.EXEMPLAR_SIZE / CONTEXT_AMOUNT (training and tracking).
    cfg.INPUT.SIAM.SEARCH_SIZE = 255  # search crop side for training
    cfg.INPUT.SIAM.NEG = 0.2  # probability of a negative (distractor) pair
    cfg.INPUT.SIAM.NEG_SAME_CATEGORY = 0.0  # of those, the share from the template's category (DaSiamRPN)
    cfg.INPUT.SIAM.GRAY = 0.0  # probability of a grey pair
    for name, shift, scale, blur in (("TEMPLATE", 4, 0.05, 0.0), ("SEARCH", 64, 0.18, 0.0)):
        aug = CN()
        aug.SHIFT = shift  # max translation (pixels of the 511 crop)
        aug.SCALE = scale  # max relative scale change per axis
        aug.BLUR = blur  # probability of motion blur
        aug.FLIP = 0.0  # probability of a horizontal flip
        aug.COLOR = 1.0  # probability of PCA colour jitter
        setattr(cfg.INPUT.SIAM, name, aug)


def _add_dataset_config(cfg):
    # Per entry of DATASETS.TRAIN (same order): frames between template and search, and how
    # many videos of it one pass uses (-1: all of them). Empty lists mean 1 / -1 for each.
    cfg.DATASETS.SIAM = CN()
    cfg.DATASETS.SIAM.FRAME_RANGE = []
    cfg.DATASETS.SIAM.NUM_USE = []
    cfg.DATASETS.SIAM.SEED = 123456
    # Built-in synthetic data (registered as synthetic_pairs_train / synthetic_videos_test).
    cfg.DATASETS.SIAM.SYNTHETIC_NUM_TRAIN = 2000
    cfg.DATASETS.SIAM.SYNTHETIC_NUM_TEST = 8


def _add_solver_config(cfg):
    cfg.SOLVER.MAX_ITER = 0  # 0: EPOCHS x ITERS_PER_EPOCH (a positive value stops training early)
    cfg.SOLVER.SIAM = CN()
    cfg.SOLVER.SIAM.ITERS_PER_EPOCH = 1000  # pysot epochs expressed in iterations
    cfg.SOLVER.SIAM.EPOCHS = 20
    # Learning rate: warm-up (geometric, per epoch) then log decay, as pysot.
    cfg.SOLVER.SIAM.LR_TYPE = "log"
    cfg.SOLVER.SIAM.LOG_START_LR = 0.005
    cfg.SOLVER.SIAM.LOG_END_LR = 0.0005
    cfg.SOLVER.SIAM.WARMUP_EPOCHS = 5
    cfg.SOLVER.SIAM.WARMUP_START_LR = 0.001
    cfg.SOLVER.SIAM.WARMUP_END_LR = 0.005
    # Backbone frozen (BatchNorm in eval mode) until this epoch, then these stages train at
    # BACKBONE_LR_FACTOR x the base LR with BatchNorm back in training mode.
    cfg.SOLVER.SIAM.BACKBONE_TRAIN_EPOCH = 10
    cfg.SOLVER.SIAM.BACKBONE_TRAIN_LAYERS = ["layer2", "layer3", "layer4"]
    cfg.SOLVER.SIAM.BACKBONE_LR_FACTOR = 0.1
    cfg.SOLVER.SIAM.KERNEL_LR_FACTOR = 1.0  # UpChannelRPNHead template convs' LR factor (docs/training.md)
    cfg.SOLVER.SIAM.SKIP_LOSS_ABOVE = 1e4  # skip iterations with a non-finite or huge loss
    # Gradients over processes: "sum" as pysot (DDP averages, so the loss is scaled by the
    # world size for backward), or "mean" (DDP's plain average).
    cfg.SOLVER.SIAM.GRADIENT_REDUCTION = "sum"


def _add_tracker_config(cfg):
    cfg.TRACK = CN()
    # TRACKER_REGISTRY name: "SiamRPNTracker", "SiamRPNLTTracker" (long-term) or "SiamFCTracker".
    cfg.TRACK.TYPE = "SiamRPNTracker"
    # Crops, shared by training (template) and tracking.
    cfg.TRACK.EXEMPLAR_SIZE = 127  # template crop side
    cfg.TRACK.CONTEXT_AMOUNT = 0.5  # context around the box
    cfg.TRACK.INSTANCE_SIZE = 255  # search crop side when tracking
    # SiamRPN trackers (pysot's TRACK.*).
    cfg.TRACK.PENALTY_K = 0.04
    cfg.TRACK.WINDOW_INFLUENCE = 0.44
    cfg.TRACK.LR = 0.4
    # Score-map side S = (INSTANCE_SIZE - EXEMPLAR_SIZE) // stride + 1 + SCORE_SIZE_OFFSET
    # (pysot's TRACK.BASE_SIZE: 8 for the ResNet / MobileNet heads, 0 for AlexNet).
    cfg.TRACK.SCORE_SIZE_OFFSET = 8
    cfg.TRACK.LOST_INSTANCE_SIZE = 831  # long-term tracker: pysot's core/config.py defaults
    cfg.TRACK.CONFIDENCE_LOW = 0.85  # (docs/tracking.md, "Long-term tracking")
    cfg.TRACK.CONFIDENCE_HIGH = 0.998
    # Target-lost signal of the short-term trackers (each result's "lost"; docs/tracking.md,
    # "Target lost"): lost after LOST_FRAMES consecutive frames scored below LOST_SCORE, found
    # again after LOST_FRAMES consecutive frames at or above it. Only reported: boxes unchanged.
    # Chosen by measurement (docs/tracking.md, "How well lost tells"): the best F1 on the
    # synthetic absence clips among the settings that never flag pysot's AlexNet on bag.avi.
    cfg.TRACK.LOST_SCORE = 0.9
    cfg.TRACK.LOST_FRAMES = 8
    # SiamFC tracker (Bertinetto et al. 2016; the defaults are the paper's).
    cfg.TRACK.SIAMFC = CN()
    cfg.TRACK.SIAMFC.SCALE_NUM = 3  # search scales per frame
    cfg.TRACK.SIAMFC.SCALE_STEP = 1.0375  # ratio between neighbouring scales
    cfg.TRACK.SIAMFC.SCALE_PENALTY = 0.9745  # factor on the responses of the changed scales
    cfg.TRACK.SIAMFC.SCALE_LR = 0.59  # damping of the size update
    cfg.TRACK.SIAMFC.WINDOW_INFLUENCE = 0.176  # weight of the cosine window
    cfg.TRACK.SIAMFC.RESPONSE_UPSCALE = 16  # bicubic upsampling of the response (17 -> 272)
    # Runtime of the network: "torch" or "onnxruntime" (MODEL.WEIGHTS: a folder of tools/export_onnx.py; onnx extra; docs/deploy.md).
    cfg.TRACK.BACKEND = "torch"
    # Speed-ups, off by default: each changes bits (docs/tracking.md, "Exactness and speed options").
    cfg.TRACK.FUSE_CONV_BN = False
    cfg.TRACK.CHANNELS_LAST = False  # CPU: k x k weights stored channels-last; CUDA: whole model
    cfg.TRACK.HALF = False  # half precision on CUDA only
    # bfloat16 autocast of the network on the CPU (fast with AMX / AVX-512 BF16; not pysot-exact)
    cfg.TRACK.BF16 = False
    # Winograd F(4x4, 3x3) for the large 3x3 convolutions on the CPU, PyTorch backend: float32,
    # outputs within a few 1e-6 of the direct convolution's (not bit-exact; docs/deploy.md).
    cfg.TRACK.WINOGRAD = False
    cfg.TRACK.GPU_CROP = True  # on CUDA, cut search crops on the GPU (bit-exact with OpenCV)
    # Several targets: one batched forward per frame (on CUDA the last bits may differ from solo
    # runs); False runs each target alone. The exact CPU default (PyTorch, NCHW float32) always runs
    # them alone, as pysot: same bits, and faster there (docs/tracking.md, "Several targets").
    cfg.TRACK.BATCH_TARGETS = True
    cfg.TRACK.DASIAMRPN = CN({"SMALL_TARGET_AREA": 0.0, "SMALL_INSTANCE_SIZE": 287, "WINDOW": "hanning"})  # docs/model.md


def _add_test_config(cfg):
    cfg.TEST.SIAM = CN()
    # Benchmark evaluation in training (DATASETS.TEST entries are benchmark names).
    cfg.TEST.SIAM.DATASET_ROOTS = []  # one folder per DATASETS.TEST entry ("" = default)
    cfg.TEST.SIAM.MAX_SEQUENCES = 0  # 0 = all sequences


def _add_siammask_config(cfg):
    # SiamMask (META_ARCHITECTURE "SiamMask", TRACK.TYPE "SiamMaskTracker"; docs/config.md, "SiamMask")
    cfg.MODEL.SIAM_MASK = m = CN()
    m.HIDDEN_CHANNELS, m.OUT_SIZE = 256, 63  # correlation channels (refine input); mask head side
    # training: the paper's loss weight (32), stage "mask" (all but refine) or "refine" (refine only)
    m.LOSS_WEIGHT, m.TRAIN_STAGE, m.POSITIONS_PER_PAIR = 32.0, "mask", 8
    cfg.TRACK.MASK_THRESHOLD = 0.30  # binarises the pasted mask (pysot's TRACK.MASK_THERSHOLD)
    cfg.TRACK.MASK_PROBABILITY = False  # results' "mask": the probability map instead of the binary one
