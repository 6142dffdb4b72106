"""Synthetic tracking videos, generated on the fly from a seed: nothing downloaded or written.

A video is a procedurally textured object (noise, stripes, checker or blobs in random colours,
rectangle or ellipse) moving smoothly over a textured, slowly panning background, with scale
and aspect-ratio change, look-alike distractors, a bar that partially occludes the target,
motion blur and illumination change. Every frame is a pure function of
``(seed, video index, frame index)``; a 320x240 frame takes a few milliseconds.

* ``synthetic_pairs_train``: :data:`NUM_TRAIN` videos of :data:`TRAIN_FRAMES` frames as video
  dicts whose ``frame_source`` renders frames (the training loader uses
  ``DATASETS.SIAM.SYNTHETIC_NUM_TRAIN`` videos instead of the default count).
* ``synthetic_videos_test``: :data:`NUM_TEST` sequences of :data:`TEST_FRAMES` frames, other
  seeds; :func:`synthetic_sequence` gives frames + boxes, :func:`write_synthetic_otb` writes them
  in the OTB layout for the evaluation tools.
"""
import os
from collections import OrderedDict

import cv2
import numpy as np

from .synthetic_masks import SyntheticMask

FRAME_SIZE = (320, 240)  # width, height
NUM_TRAIN, TRAIN_FRAMES, TRAIN_SEED = 2000, 50, 0
NUM_TEST, TEST_FRAMES, TEST_SEED = 8, 60, 1000
TEXTURES = ("noise", "stripes", "checker", "blobs")
_MARGIN = 24  # background is larger than the frame by this on each side (camera pan)


def _palette(rng, n=3, hue=None):
    """``n`` random, fairly saturated BGR colours (float32), hues within 25 of ``hue`` if given."""
    hues = rng.integers(0, 180, n) if hue is None else (hue + rng.integers(-25, 26, n)) % 180
    hsv = np.stack([hues, rng.integers(90, 256, n), rng.integers(70, 256, n)], 1)
    return cv2.cvtColor(hsv.astype(np.uint8)[None], cv2.COLOR_HSV2BGR)[0].astype(np.float32)


def texture(rng, height, width, kind=None, palette=None):
    """A ``height x width`` uint8 BGR texture of ``kind`` (random if None) in ``palette`` colours."""
    kind = kind or TEXTURES[rng.integers(len(TEXTURES))]
    palette = _palette(rng) if palette is None else np.asarray(palette, np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "noise":
        cell = int(rng.integers(4, 16))
        low = rng.random((height // cell + 2, width // cell + 2)).astype(np.float32)
        t = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    elif kind == "stripes":
        theta, period = rng.random() * np.pi, rng.uniform(6, 24)
        t = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period)
    elif kind == "checker":
        cell = int(rng.integers(5, 20))
        t = ((xx // cell + yy // cell) % 2).astype(np.float32)
    else:  # blobs
        t = np.zeros((height, width), np.float32)
        for _ in range(int(rng.integers(8, 24))):
            c = (int(rng.integers(width)), int(rng.integers(height)))
            r = int(rng.integers(2, max(3, min(height, width) // 4)))
            cv2.circle(t, c, r, float(rng.random()), -1)
    t = np.clip(t, 0, 1)[..., None]
    fine = cv2.resize(rng.random((height // 3 + 2, width // 3 + 2)).astype(np.float32),
                      (width, height))[..., None]
    img = palette[0] * (1 - t) + palette[1] * t
    img = img * (1 - 0.35 * fine) + palette[2] * (0.35 * fine)
    return np.clip(img, 0, 255).astype(np.uint8)


def _trajectory(rng, n, width, height, size_range):
    """Smooth random boxes (n, 4) x, y, w, h (integers, inside the frame)."""
    t = np.arange(n, dtype=np.float64)
    base = rng.uniform(*size_range) * min(width, height)
    aspect0 = np.exp(rng.uniform(-0.6, 0.6))
    scale = np.exp(rng.uniform(0.1, 0.4) * np.sin(2 * np.pi * t / rng.uniform(30, 120)
                                                  + rng.uniform(0, 6.3)))
    aspect = aspect0 * np.exp(rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * t / rng.uniform(30, 120)
                                                             + rng.uniform(0, 6.3)))
    w = np.clip(base * scale * np.sqrt(aspect), 8, width * 0.6)
    h = np.clip(base * scale / np.sqrt(aspect), 8, height * 0.6)
    centre = []
    for extent in (width, height):
        amp = rng.uniform(0.1, 0.35) * extent
        path = (rng.uniform(0.3, 0.7) * extent
                + amp * np.sin(2 * np.pi * t / rng.uniform(25, 90) + rng.uniform(0, 6.3))
                + 0.3 * amp * np.sin(2 * np.pi * t / rng.uniform(8, 20) + rng.uniform(0, 6.3)))
        centre.append(path)
    x = np.clip(centre[0] - w / 2, 0, width - w)
    y = np.clip(centre[1] - h / 2, 0, height - h)
    boxes = np.stack([np.floor(x), np.floor(y), np.round(w), np.round(h)], 1)
    boxes[:, 2] = np.minimum(boxes[:, 2], width - boxes[:, 0])
    boxes[:, 3] = np.minimum(boxes[:, 3], height - boxes[:, 1])
    return boxes


class SyntheticVideo:
    """One synthetic video: ``video(frame_index)`` renders a frame, ``boxes`` are its x,y,w,h.

    Picklable and cheap to build (only the trajectories are computed); textures are made on
    first use and kept in a small per-process cache.
    """

    _cache = OrderedDict()
    _CACHE_SIZE = 16

    def __init__(self, seed, index, num_frames, size=FRAME_SIZE):
        self.seed, self.index, self.num_frames = int(seed), int(index), int(num_frames)
        self.width, self.height = int(size[0]), int(size[1])
        rng = np.random.default_rng([self.seed, self.index, 0])
        self.boxes = _trajectory(rng, self.num_frames, self.width, self.height, (0.15, 0.35))
        self.num_distractors = int(rng.integers(1, 3))
        self.distractor_boxes = [
            _trajectory(rng, self.num_frames, self.width, self.height, (0.12, 0.3))
            for _ in range(self.num_distractors)
        ]
        pan = rng.uniform(-1, 1, 2) * _MARGIN
        steps = np.linspace(-1, 1, self.num_frames)[:, None]
        self.pan = np.round(_MARGIN + steps * pan).astype(int)
        # occlusion: a bar crossing the target during one window of frames
        length = int(rng.integers(self.num_frames // 6 + 1, self.num_frames // 3 + 2))
        start = int(rng.integers(0, max(1, self.num_frames - length)))
        self.occlusion = (start, start + length, bool(rng.integers(2)), rng.uniform(0.3, 0.6))
        self.blur_prob = rng.uniform(0.1, 0.3)

    def _assets(self):
        """Background, target / distractor patches and masks, and the occluder (cached)."""
        key = (self.seed, self.index, self.width, self.height)
        assets = self._cache.get(key)
        if assets is not None:
            self._cache.move_to_end(key)
            return assets
        rng = np.random.default_rng([self.seed, self.index, 1])
        hue = int(rng.integers(180))  # background hues around it, objects' opposite
        bg = texture(rng, self.height + 2 * _MARGIN, self.width + 2 * _MARGIN,
                     palette=_palette(rng, hue=hue))
        kind = TEXTURES[rng.integers(len(TEXTURES))]
        palette = _palette(rng, hue=(hue + 90) % 180)
        ellipse = bool(rng.integers(2))
        target = texture(rng, 64, 64, kind, palette)
        distractors = [
            texture(rng, 64, 64, kind, np.clip(palette + rng.normal(0, 20, palette.shape), 0, 255))
            for _ in range(self.num_distractors)
        ]
        mask = np.zeros((64, 64), np.uint8)
        if ellipse:
            cv2.ellipse(mask, (32, 32), (31, 31), 0, 0, 360, 255, -1)
        else:
            mask[:] = 255
            cv2.rectangle(target, (0, 0), (63, 63), (20, 20, 20), 2)
        occluder = texture(rng, 64, 64)
        assets = (bg, target, distractors, mask, occluder)
        self._cache[key] = assets
        if len(self._cache) > self._CACHE_SIZE:
            self._cache.popitem(last=False)
        return assets

    def occluder_box(self, frame_index):
        """The box (x, y, w, h) of the bar occluding the target in frame ``frame_index``, or None."""
        start, stop, vertical, cover = self.occlusion
        if not start <= frame_index < stop:
            return None
        x, y, w, h = self.boxes[frame_index]
        progress = (frame_index - start) / max(1, stop - start - 1)
        if vertical:  # a vertical bar sliding across the target horizontally
            bw = max(2, int(w * cover))
            return (int(x - bw + progress * (w + bw)), y - h * 0.3, bw, h * 1.6)
        bh = max(2, int(h * cover))
        return (x - w * 0.3, int(y - bh + progress * (h + bh)), w * 1.6, bh)

    @staticmethod
    def _paste(frame, patch, mask, box):
        """Paste ``patch`` resized to ``box`` (x, y, w, h) through ``mask``, clipped to the frame."""
        x, y, w, h = (int(v) for v in box)
        if w <= 0 or h <= 0:
            return
        p = cv2.resize(patch, (w, h), interpolation=cv2.INTER_LINEAR)
        m = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST) > 127
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, frame.shape[1]), min(y + h, frame.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        region = frame[y0:y1, x0:x1]
        sub_m = m[y0 - y : y1 - y, x0 - x : x1 - x]
        region[sub_m] = p[y0 - y : y1 - y, x0 - x : x1 - x][sub_m]

    def __call__(self, frame_index):
        """Render frame ``frame_index`` as an HxWx3 uint8 BGR image."""
        i = int(frame_index)
        if not 0 <= i < self.num_frames:
            raise IndexError(f"synthetic video {self.index} has {self.num_frames} frames, not {i}")
        bg, target, distractors, mask, occluder = self._assets()
        rng = np.random.default_rng([self.seed, self.index, 2, i])
        ox, oy = self.pan[i]
        frame = bg[oy : oy + self.height, ox : ox + self.width].copy()
        for patch, boxes in zip(distractors, self.distractor_boxes):
            self._paste(frame, patch, mask, boxes[i])
        self._paste(frame, target, mask, self.boxes[i])
        box = self.occluder_box(i)
        if box is not None:
            self._paste(frame, occluder, np.full((64, 64), 255, np.uint8), box)
        if rng.random() < self.blur_prob:
            length = int(rng.integers(3, 12))
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1.0 / length
            angle = rng.uniform(0, 180)
            rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
            kernel = cv2.warpAffine(kernel, rot, (length, length))
            frame = cv2.filter2D(frame, -1, kernel / max(kernel.sum(), 1e-6))
        gain = 1.0 + 0.15 * np.sin(2 * np.pi * i / 40.0 + self.index)
        return cv2.convertScaleAbs(frame, alpha=gain, beta=float(rng.normal(0, 4)))


def synthetic_video_dicts(num_videos, seed, num_frames, size=FRAME_SIZE, prefix="synthetic"):
    """``num_videos`` synthetic videos as video dicts (frames rendered by ``frame_source``)."""
    videos = []
    for index in range(int(num_videos)):
        video = SyntheticVideo(seed, index, num_frames, size)
        b = video.boxes
        xyxy = np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], 1)
        videos.append({
            "video": f"{prefix}_{index:05d}",
            "frame_source": video,
            "mask_source": SyntheticMask(video),  # the target's pixels, for SiamMask
            "height": video.height,
            "width": video.width,
            "tracks": {0: {"frames": np.arange(num_frames, dtype=np.int32),
                           "boxes": xyxy.astype(np.float32)}},
        })
    return videos


def load_synthetic_pairs(num_videos=NUM_TRAIN, seed=TRAIN_SEED, num_frames=TRAIN_FRAMES):
    """The training videos of ``synthetic_pairs_train`` (video dicts)."""
    return synthetic_video_dicts(num_videos, seed, num_frames, prefix="synthetic_train")


def load_synthetic_videos_test(num_videos=NUM_TEST, seed=TEST_SEED, num_frames=TEST_FRAMES):
    """The evaluation sequences of ``synthetic_videos_test`` (video dicts)."""
    return synthetic_video_dicts(num_videos, seed, num_frames, prefix="synthetic_test")


def synthetic_sequence(index, seed=TEST_SEED, num_frames=TEST_FRAMES, size=FRAME_SIZE):
    """Render synthetic sequence ``index``: (list of HxWx3 uint8 BGR frames, (N, 4) x,y,w,h boxes)."""
    video = SyntheticVideo(seed, index, num_frames, size)
    return [video(i) for i in range(num_frames)], video.boxes.copy()


def sequence_name(index):
    """Name of synthetic test sequence ``index`` (folder name in the OTB layout)."""
    return f"synthetic_{index:02d}"


def write_synthetic_otb(root, num_videos=NUM_TEST, seed=TEST_SEED, num_frames=TEST_FRAMES,
                        size=FRAME_SIZE):
    """Write sequences in OTB layout: ``<root>/<seq>/img/0001.jpg`` + ``groundtruth_rect.txt``.

    Boxes are integer ``x,y,w,h`` lines (comma separated). Returns the sequence names.
    """
    names = []
    for index in range(int(num_videos)):
        frames, boxes = synthetic_sequence(index, seed, num_frames, size)
        name = sequence_name(index)
        img_dir = os.path.join(root, name, "img")
        os.makedirs(img_dir, exist_ok=True)
        for i, frame in enumerate(frames):
            cv2.imwrite(os.path.join(img_dir, f"{i + 1:04d}.jpg"), frame,
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
        with open(os.path.join(root, name, "groundtruth_rect.txt"), "w") as f:
            for x, y, w, h in boxes:
                f.write(f"{int(x)},{int(y)},{int(w)},{int(h)}\n")
        names.append(name)
    return names
