"""Target masks of the synthetic videos (SiamMask training, docs/data.md, "Masks"): the pixels
where :class:`~siamtrack.data.datasets.synthetic.SyntheticVideo` draws its target (rectangle or
ellipse) and the occluding bar does not cover it."""
import numpy as np

__all__ = ["SyntheticMask"]


class SyntheticMask:
    """``mask(track_id, frame)`` -> (H, W) uint8 0/1 of the target of ``video``, a
    :class:`~siamtrack.data.datasets.synthetic.SyntheticVideo` (picklable)."""

    def __init__(self, video):
        self.video = video

    def __call__(self, track_id, frame):
        """The target's visible pixels in frame ``frame`` (``track_id`` is always 0 here)."""
        video, i = self.video, int(frame)
        _, _, _, shape, _ = video._assets()
        out = np.zeros((video.height, video.width), np.uint8)
        video._paste(out, np.ones((64, 64), np.uint8), shape, video.boxes[i])
        occluder = video.occluder_box(i)
        if occluder is not None:
            video._paste(out, np.zeros((64, 64), np.uint8), np.full((64, 64), 255, np.uint8), occluder)
        return out
