"""Which video each training pair comes from, and which frames of it (docs/data.md, "Which
video: the index pool" and "Which frames").

* :class:`VideoIndexPool` — pysot's index pool: every sub-dataset contributes a pick list of
  NUM_USE video indices (its videos shuffled, repeated until NUM_USE, truncated); the pool is the
  concatenation of the pick lists shuffled again and again and appended. pysot truncates it at
  ``VIDEOS_PER_EPOCH * EPOCH``; here it simply goes on, so pair ``p`` of the run is a pure
  function of ``(seed, p)``. Sampling is proportional to NUM_USE.
* :class:`PairRequestDataset` — turns a position of that stream into a *pair request* for the
  mapper: the video's dataset dict, its FRAME_RANGE, a candidate video for a negative pair
  (sub-dataset chosen uniformly, then a video uniformly) and the pair's seed.
* :class:`CategoryIndex` — every object of the training data by category, for DaSiamRPN's
  same-category negative pairs (``INPUT.SIAM.NEG_SAME_CATEGORY``).
* :func:`positive_frames`, :func:`random_frame` — frame choice inside one video.
* :class:`PairBatchSampler` — the stream positions of each iteration's batch, per process.
"""
from collections import defaultdict

import numpy as np
import torch.utils.data as torchdata
from torch.utils.data import Sampler

from .datasets.video import track_category, video_tracks


class VideoIndexPool:
    """The infinite, seeded stream of (sub-dataset, video) indices of pysot's index pool."""

    def __init__(self, sizes, num_use, seed):
        """``sizes``: videos per sub-dataset; ``num_use``: pick-list lengths (-1: all videos)."""
        if len(sizes) != len(num_use):
            raise ValueError(f"{len(sizes)} datasets but {len(num_use)} NUM_USE values")
        self.sizes = [int(n) for n in sizes]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self.seed = int(seed)
        picks = []
        for k, (n, use) in enumerate(zip(self.sizes, num_use)):
            use = n if int(use) < 0 else int(use)
            if n == 0 or use == 0:
                continue
            rng = np.random.default_rng([self.seed, 0, k])
            pick = []
            while len(pick) * n < use:
                pick.append(rng.permutation(n))
            picks.append(np.concatenate(pick)[:use] + self.offsets[k])
        if not picks:
            raise ValueError("the training datasets contribute no video (all empty or NUM_USE 0)")
        self.pick = np.concatenate(picks)
        self._block = (-1, None)

    def __len__(self):
        """Length of one shuffled block of the pool (the sum of the pick lists)."""
        return len(self.pick)

    def global_index(self, position):
        """Global video index at ``position`` of the stream (block b = b-th shuffle of the pick)."""
        block, offset = divmod(int(position), len(self.pick))
        if self._block[0] != block:
            perm = np.random.default_rng([self.seed, 1, block]).permutation(len(self.pick))
            self._block = (block, self.pick[perm])
        return int(self._block[1][offset])

    def locate(self, global_index):
        """``(dataset index, video index)`` of a global video index."""
        k = int(np.searchsorted(self.offsets, global_index, side="right") - 1)
        return k, int(global_index - self.offsets[k])

    def __getitem__(self, position):
        """``(dataset index, video index)`` at ``position`` of the stream."""
        return self.locate(self.global_index(position))


def positive_frames(tracks, frame_range, rng):
    """A positive pair: a track uniformly, template position t uniformly, search position in
    ``[max(t-R, 0), min(t+R, n-1)]`` uniformly (positions in the track's list, may equal t).

    ``tracks`` as from :func:`video_tracks`; returns two ``(track_id, frame, box)``.
    """
    tid, frames, boxes = tracks[int(rng.integers(len(tracks)))]
    n = len(frames)
    t = int(rng.integers(n))
    lo, hi = max(t - int(frame_range), 0), min(t + int(frame_range), n - 1)
    s = int(rng.integers(lo, hi + 1))
    return (tid, frames[t], boxes[t]), (tid, frames[s], boxes[s])


def random_frame(tracks, rng):
    """A random track, then a random frame of it: ``(track_id, frame, box)``."""
    tid, frames, boxes = tracks[int(rng.integers(len(tracks)))]
    i = int(rng.integers(len(frames)))
    return tid, frames[i], boxes[i]


class CategoryIndex:
    """Where the objects of each category are: ``(dataset, video, track id)`` per category, over
    the lists of dataset dicts of a :class:`PairRequestDataset` (objects without a category, see
    :func:`~siamtrack.data.datasets.video.track_category`, are left out)."""

    def __init__(self, datasets):
        objects = defaultdict(list)
        for k, dicts in enumerate(datasets):
            for i, d in enumerate(dicts):
                for tid, _, _ in video_tracks(d):
                    category = track_category(d, tid)
                    if category is not None:
                        objects[(k, category)].append((k, i, tid))
        self.datasets = datasets
        self.objects = dict(objects)

    def __len__(self):
        """The number of indexed objects."""
        return sum(len(v) for v in self.objects.values())

    def draw(self, k, i, track_id, category, rng):
        """Another object of ``category`` in dataset ``k`` (category ids are per dataset) than
        track ``track_id`` of its video ``i``, uniformly: ``(dataset dict, track id)``, or None
        when ``category`` is None or has no other object."""
        candidates = self.objects.get((k, category), ())
        if category is None or len(candidates) < 2:
            return None
        j = int(rng.integers(len(candidates)))
        if candidates[j] == (k, i, track_id):  # the template's own object: take the next one
            j = (j + 1) % len(candidates)
        _, i2, tid2 = candidates[j]
        return self.datasets[k][i2], tid2


class PairRequestDataset(torchdata.Dataset):
    """Map-style view of the pair stream: item ``p`` is the mapped pair at stream position ``p``.

    ``datasets`` is a list of lists of dataset dicts (one list per entry of DATASETS.TRAIN,
    videos without usable track removed), ``frame_ranges`` one FRAME_RANGE per list. The pair
    request handed to ``mapper`` is ``{"dataset_dict", "frame_range", "negative_dict", "seed"}``,
    plus ``"category_index"`` (the :class:`CategoryIndex`) and ``"video_index"`` (``(dataset,
    video)`` of ``dataset_dict`` in it) when a ``category_index`` is given.
    """

    def __init__(self, datasets, frame_ranges, num_use, seed, mapper, length=2**62, category_index=None):
        self.datasets = datasets
        self.frame_ranges = [int(r) for r in frame_ranges]
        self.pool = VideoIndexPool([len(d) for d in datasets], num_use, seed)
        self.seed = int(seed)
        self.mapper = mapper
        self._length = int(length)
        self._nonempty = [k for k, d in enumerate(datasets) if len(d)]
        self.category_index = category_index

    def __len__(self):
        return self._length

    def negative_candidate(self, k, i, rng):
        """A video other than dataset ``k`` video ``i`` (unless it is the only one): a dataset
        uniformly, then a video uniformly; a draw of the same video moves to the next."""
        k2 = self._nonempty[int(rng.integers(len(self._nonempty)))]
        i2 = int(rng.integers(len(self.datasets[k2])))
        if (k2, i2) == (k, i):  # same video: take the next one (of this or the next dataset)
            if len(self.datasets[k]) > 1:
                i2 = (i + 1) % len(self.datasets[k])
            else:
                k2 = self._nonempty[(self._nonempty.index(k) + 1) % len(self._nonempty)]
                i2 = 0
        return self.datasets[k2][i2]

    def request(self, position):
        """The pair request at stream ``position`` (before mapping)."""
        k, i = self.pool[position]
        rng = np.random.default_rng([self.seed, 2, int(position)])
        request = {
            "dataset_dict": self.datasets[k][i],
            "frame_range": self.frame_ranges[k],
            "negative_dict": self.negative_candidate(k, i, rng),
            "seed": [self.seed, 3, int(position)],
        }
        if self.category_index is not None:
            request["category_index"], request["video_index"] = self.category_index, (k, i)
        return request

    def __getitem__(self, position):
        return self.mapper(self.request(position))


class PairBatchSampler(Sampler):
    """Infinite batches of pair-stream positions, one batch per training iteration.

    Iteration ``i`` of rank ``r`` (of ``world_size`` processes, ``batch_size`` pairs each) takes
    the positions ``i * batch_size * world_size + r + k * world_size`` for ``k < batch_size``: the
    ranks share out one block of the stream per iteration, rank ``r`` taking ``r, r + w, ...``.
    A batch depends on nothing but ``(i, r, world_size, batch_size)`` -- not on the number of
    loader workers, nor on where the run started -- so a run resumed at ``start_iter`` gets
    exactly the batches the uninterrupted run got (``docs/training.md``, "Resume").
    """

    def __init__(self, batch_size, rank=0, world_size=1, start_iter=0):
        self.batch_size, self.rank, self.world_size = int(batch_size), int(rank), int(world_size)
        self.start_iter = int(start_iter)
        if self.batch_size <= 0 or self.world_size <= 0 or not 0 <= self.rank < self.world_size:
            raise ValueError(f"bad pair batches: batch {batch_size}, rank {rank} of {world_size}")

    def positions(self, iteration):
        """The stream positions of this rank's batch at ``iteration``."""
        base = int(iteration) * self.batch_size * self.world_size + self.rank
        return [base + k * self.world_size for k in range(self.batch_size)]

    def __iter__(self):
        iteration = self.start_iter
        while True:
            yield self.positions(iteration)
            iteration += 1


def usable_dicts(dataset_dicts):
    """The dicts with at least one usable track (non-crowd, positive size, visible)."""
    return [d for d in dataset_dicts if video_tracks(d)]
