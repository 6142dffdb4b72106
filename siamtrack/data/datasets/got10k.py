"""GOT-10k (http://got-10k.aitestunion.com) train / val splits as video dicts.

The layout is read by :func:`siamtrack.data.sequences.read_got10k` (the reader evaluation
uses too; layout in ``datasets/README.md``). Absent frames (``absence.label``) and empty boxes
are dropped; one track (id 0) per video, frame ids 1-based as the file names. The track's
``category`` is ``meta_info.ini``'s ``object_class`` (same-category negatives, docs/data.md).
"""
from ..sequences.got10k import GOT10K_FRAME_NAME, read_got10k
from .video import sequence_video_dict


def load_got10k(root, split="train"):
    """Read the GOT-10k ``split`` ("train" or "val") under ``root`` as a list of video dicts."""
    videos = (sequence_video_dict(seq, frame_format=GOT10K_FRAME_NAME, first_frame=1)
              for seq in read_got10k(root, split))
    return [v for v in videos if v is not None]
