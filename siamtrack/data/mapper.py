"""SiamPairMapper: a dataset dict (+ negative candidate) -> one training pair (``docs/data.md``).

Input: a *pair request* ``{"dataset_dict", "frame_range", "negative_dict", "seed"}`` (and
``"category_index"`` and ``"video_index"`` when same-category negatives are on) as made by
:class:`siamtrack.data.pairs.PairRequestDataset`, or a bare dataset dict (then FRAME_RANGE is 1,
no negative pair can be made, and the mapper's own generator is used). Dataset dicts are
detectron2 detection dicts (COCO) or video dicts (:mod:`siamtrack.data.datasets.video`).

Output (the contract with the model)::

    {"template": float32 (3, 127, 127), "search": float32 (3, 255, 255),
     "search_box": float32 [x1, y1, x2, y2] in search-crop pixels, "negative": bool}

CHW, BGR, 0..255 before the colour jitter (which may leave values outside, unclipped).
"""
import numpy as np
import torch
from detectron2.config import configurable

from ..utils.frames import read_image
from .augment import CropAugmentation, to_gray
from .datasets.video import frame_locator, track_category, video_tracks
from .pair_crop import BASE_SIZE, image_mean, pair_crop
from .pairs import positive_frames, random_frame


def load_frame(dataset_dict, track_id, frame):
    """Read one frame of a dataset dict as HxWx3 uint8 BGR (file or synthetic frame source);
    files are read by :func:`siamtrack.utils.frames.read_image` (a one-line ``FrameError``)."""
    kind, where, arg = frame_locator(dataset_dict, track_id, frame)
    if kind == "source":
        return where(arg)
    return read_image(where)


class SiamPairMapper:
    """Crop and augment a template / search pair from dataset dicts, detectron2-mapper style.

    Draw order per pair (pysot's): gray flag, negative flag, frames, template augmentation,
    search augmentation. The search target of a negative pair is a random object of
    ``negative_dict`` (another video / image): pysot's negatives, mostly of another category.
    With ``neg_same_category`` a negative pair's search target is, with that probability,
    another object of the template's category instead (DaSiamRPN's same-category semantic
    negatives, docs/data.md); that draw comes after the template's frame, and only when the
    probability is not 0, so pysot's stream is unchanged.
    """

    @configurable
    def __init__(
        self,
        *,
        template_aug,
        search_aug,
        exemplar_size=127,
        search_size=255,
        context_amount=0.5,
        neg=0.2,
        gray=0.0,
        neg_same_category=0.0,
        base_size=BASE_SIZE,
        seed=None,
    ):
        """
        Args:
            template_aug, search_aug (CropAugmentation): per-crop augmentation settings.
            exemplar_size, search_size: output sides (127, 255).
            context_amount: context around the target (0.5).
            neg, gray: probabilities of a negative pair and of a grey pair.
            neg_same_category: probability that a negative pair's search target has the
                template's category (when the request carries a ``category_index``).
            base_size: pysot's pre-crop side (511); shifts are in its pixels.
            seed: seed of the generator used for requests without their own ``seed``.
        """
        self.template_aug = template_aug
        self.search_aug = search_aug
        self.exemplar_size = int(exemplar_size)
        self.search_size = int(search_size)
        self.context_amount = float(context_amount)
        self.neg = float(neg)
        self.gray = float(gray)
        self.neg_same_category = float(neg_same_category)
        self.base_size = int(base_size)
        self._rng = np.random.default_rng(seed)

    @classmethod
    def from_config(cls, cfg, is_train=True):
        """Read TRACK.{EXEMPLAR_SIZE, CONTEXT_AMOUNT} (shared with the tracker) and
        INPUT.SIAM.{SEARCH_SIZE, NEG, NEG_SAME_CATEGORY, GRAY, TEMPLATE, SEARCH}."""
        siam = cfg.INPUT.SIAM
        return {
            "template_aug": CropAugmentation.from_node(siam.TEMPLATE),
            "search_aug": CropAugmentation.from_node(siam.SEARCH),
            "exemplar_size": cfg.TRACK.EXEMPLAR_SIZE,
            "search_size": siam.SEARCH_SIZE,
            "context_amount": cfg.TRACK.CONTEXT_AMOUNT,
            "neg": siam.NEG if is_train else 0.0,
            "gray": siam.GRAY if is_train else 0.0,
            "neg_same_category": siam.NEG_SAME_CATEGORY if is_train else 0.0,
            "seed": cfg.DATASETS.SIAM.SEED,
        }

    def choose_frames(self, request, rng):
        """Draw gray / negative flags and the template and search frames of a request.

        Returns ``(gray, negative, (dict, track, frame, box) for template, same for search)``.
        """
        d = request.get("dataset_dict", request)
        frame_range = request.get("frame_range", 1) if "dataset_dict" in request else 1
        neg_dict = request.get("negative_dict") if "dataset_dict" in request else None
        gray = bool(self.gray and self.gray > rng.random())
        negative = bool(self.neg and self.neg > rng.random()) and neg_dict is not None
        tracks = video_tracks(d)
        if not tracks:
            raise ValueError(f"dataset dict {d.get('video', d.get('file_name'))} has no usable object")
        if negative:
            template = (d,) + random_frame(tracks, rng)
            same = self._same_category_object(request, d, template[1], rng)
            if same is not None:
                neg_dict, neg_tracks = same
            else:
                neg_tracks = video_tracks(neg_dict)
            if not neg_tracks:
                raise ValueError("negative_dict has no usable object")
            search = (neg_dict,) + random_frame(neg_tracks, rng)
        else:
            t, s = positive_frames(tracks, frame_range, rng)
            template, search = (d,) + t, (d,) + s
        return gray, negative, template, search

    def _same_category_object(self, request, dataset_dict, track_id, rng):
        """``(dataset dict, [its track])`` of another object of the template track's category,
        drawn with probability ``neg_same_category``; None otherwise or when there is none."""
        if not self.neg_same_category or not self.neg_same_category > rng.random():
            return None
        index = request.get("category_index")
        if index is None:
            return None
        k, i = request["video_index"]
        found = index.draw(k, i, track_id, track_category(dataset_dict, track_id), rng)
        if found is None:
            return None
        other, other_id = found
        return other, [t for t in video_tracks(other) if t[0] == other_id]

    def _crop(self, frame_info, out_size, aug, gray, rng, cache):
        """Load (or reuse) a frame, warp its crop with drawn shift/scale, then colour/blur/flip."""
        d, tid, frame, box = frame_info
        key = (id(d), str(tid), str(frame))
        if key not in cache:
            image = load_frame(d, tid, frame)
            cache[key] = (image, None if d.get("precropped") else image_mean(image))
        image, mean = cache[key]
        box = np.asarray(box, dtype=np.float64)
        if d.get("normalized_boxes"):
            h, w = image.shape[:2]
            box = box * np.array([w, h, w, h], dtype=np.float64)
        scale, shift = aug.draw_geometry(rng)
        crop, crop_box = pair_crop(
            image, box, out_size, scale=scale, shift=shift, exemplar_size=self.exemplar_size,
            context_amount=self.context_amount, base_size=self.base_size, mean=mean,
            precropped=bool(d.get("precropped")),
        )
        if gray:
            crop = to_gray(crop)
        return aug.photometric(crop, crop_box, rng)

    def __call__(self, request):
        """Map a pair request (or a bare dataset dict) to a training sample dict."""
        rng = np.random.default_rng(request["seed"]) if "seed" in request else self._rng
        gray, negative, template, search = self.choose_frames(request, rng)
        cache = {}
        z, _ = self._crop(template, self.exemplar_size, self.template_aug, gray, rng, cache)
        x, box = self._crop(search, self.search_size, self.search_aug, gray, rng, cache)
        return {
            "template": _to_chw(z),
            "search": _to_chw(x),
            "search_box": torch.as_tensor(np.asarray(box, dtype=np.float32)),
            "negative": negative,
        }


def _to_chw(image):
    """HxWx3 array -> float32 CHW tensor (no normalisation)."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(image, np.float32).transpose(2, 0, 1)))
