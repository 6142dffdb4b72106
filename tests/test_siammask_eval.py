"""A mask tracker in the evaluation: VOT's restart protocol scores its polygons (result lines of
8 values, as pysot's test driver writes them), one-pass evaluation its boxes."""
import numpy as np

from siamtrack.data.sequences.base import VideoSequence
from siamtrack.evaluation.results.files import read_vot_records, write_vot_records
from siamtrack.evaluation.runs.runner import run_ope, run_restart

GT = [10, 10, 10, 29, 29, 29, 29, 10]  # the VOT polygon of the box x=10, y=10, w=h=20
BOX = [10.0, 10.0, 19.0, 19.0]
POLYGON = [12.0, 10.0, 29.0, 12.0, 27.0, 29.0, 10.0, 27.0]  # a rotated square inside the target


class FakeMaskTracker:
    """Returns a box and a rotated polygon every frame, as SiamMaskTracker does."""

    def init(self, frame, box):
        pass

    def track(self, frame):
        return {"bbox": BOX, "score": 0.9, "polygon": POLYGON, "mask": np.zeros(frame.shape[:2], bool)}


def read_frame(_):
    return np.zeros((60, 60, 3), np.uint8)


def test_vot_records_are_the_polygons(tmp_path):
    records, _ = run_restart(FakeMaskTracker(), list(range(4)), np.tile(GT, (4, 1)).astype(float), read_frame)
    assert records[0] == [1] and records[1:] == [POLYGON] * 3
    path = tmp_path / "seq_001.txt"
    write_vot_records(str(path), records)
    lines = path.read_text().splitlines()
    assert lines[0] == "1" and all(len(line.split(",")) == 8 for line in lines[1:])
    assert read_vot_records(str(path))[1] == POLYGON


def test_one_pass_results_are_the_boxes():
    sequence = VideoSequence("seq", list(range(3)), np.tile([10.0, 10, 20, 20], (3, 1)), frame_reader=read_frame)
    boxes, _ = run_ope(FakeMaskTracker(), sequence, read_frame)
    assert boxes.shape == (3, 4) and boxes[1:].tolist() == [BOX, BOX]
