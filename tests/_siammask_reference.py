"""Shared by the SiamMask tests: pysot's ``pysot_siammask_r50_l3`` case loaded once per module."""
import json

import cv2
import numpy as np
import torch

from siamtrack.checkpoint import convert_pysot_checkpoint, load_pysot_file

CONFIG = "pysot/siammask_r50_l3"


def load_case(reference_dir, bag_video, folder, frames):
    """Converted weights saved in ``folder``, pysot's track.json and binary masks (frames 1..100)
    and frames 0..``frames`` of bag.avi, as a dict."""
    source = reference_dir / "pysot_siammask_r50_l3"
    checkpoint, _ = convert_pysot_checkpoint(load_pysot_file(source / "weights.pth"))
    torch.save(checkpoint, folder / "siammask.pth")
    packed = np.load(source / "masks.npz")
    height, width = (int(v) for v in packed["shape"])
    masks = [np.unpackbits(row)[:height * width].reshape(height, width).astype(bool) for row in packed["packed"]]
    capture = cv2.VideoCapture(str(bag_video))
    video = [capture.read()[1] for _ in range(frames + 1)]
    capture.release()
    return {"weights": folder / "siammask.pth", "video": bag_video, "track": json.loads((source / "track.json").read_text()),
            "masks": masks, "frames": video, "io": dict(np.load(source / "io.npz"))}
