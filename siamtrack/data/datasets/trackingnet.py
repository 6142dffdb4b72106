"""TrackingNet (https://tracking-net.org) training chunks as video dicts.

Every ``TRAIN_<k>`` chunk present under the root is read by
:func:`siamtrack.data.sequences.read_trackingnet` (the reader evaluation uses for ``TEST``;
layout in ``datasets/README.md``). Videos are named ``<chunk>/<sequence>``.
"""
from ..sequences.trackingnet import TRACKINGNET_FRAME_NAME, read_trackingnet, trackingnet_chunks
from .video import sequence_video_dict


def load_trackingnet(root, chunks=None):
    """Read the TrackingNet ``TRAIN_k`` chunks under ``root`` (default: all present) as video dicts."""
    videos = []
    for chunk in chunks if chunks is not None else trackingnet_chunks(root):
        for seq in read_trackingnet(root, chunk):
            video = sequence_video_dict(seq, name=f"{chunk}/{seq.name}",
                                        frame_format=TRACKINGNET_FRAME_NAME, first_frame=0)
            if video is not None:
                videos.append(video)
    return videos
