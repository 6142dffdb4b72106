"""One reader per dataset layout, each returning :class:`VideoSequence` objects.

Training (:mod:`siamtrack.data.datasets`) turns them into video dicts and evaluation
(:mod:`siamtrack.evaluation.benchmarks`) into benchmarks, so a GOT-10k, LaSOT, TrackingNet or
VOT folder gives the same frames, boxes and flags to both. Layouts: ``datasets/README.md``;
reading rules (separators, NaN rows, blank lines, flags, frame order): ``docs/data.md``.
"""
from .base import DatasetLayoutError, VideoSequence, require_dir, require_file
from .folder import read_video_folder
from .got10k import read_got10k
from .lasot import read_lasot
from .nfs import read_nfs
from .otb import read_otb
from .pysot_json import read_pysot_json
from .trackingnet import read_trackingnet
from .uav import UAV_ATTRIBUTES, read_uav
from .vot import VOT_TAGS, read_vot

__all__ = ["DatasetLayoutError", "VideoSequence", "require_dir", "require_file", "read_video_folder",
           "read_got10k", "read_lasot", "read_nfs", "read_otb", "read_pysot_json",
           "read_trackingnet", "read_uav", "read_vot", "UAV_ATTRIBUTES", "VOT_TAGS"]
