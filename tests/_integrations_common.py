"""Shared by the integration tests: a tiny untrained model saved as a weights file, generated
sequences, and the fenced blocks of docs/integrations.md."""
import os
import re

import numpy as np
import torch

from conftest import REPO_ROOT

CONFIG = "quickstart_synthetic"  # AlexNet x0.25: fast on the CPU; untrained is enough here
DOC = REPO_ROOT / "docs" / "integrations.md"


def save_untrained_weights(path, config=CONFIG, seed=0):
    """Write a seeded random model of ``config`` as a detectron2 checkpoint; returns the path."""
    from detectron2.modeling import build_model

    from siamtrack.config import load_config
    from siamtrack.model_zoo import get_config_file

    torch.manual_seed(seed)
    model = build_model(load_config(get_config_file(config), ["MODEL.DEVICE", "cpu"]))
    torch.save({"model": model.state_dict()}, str(path))
    return str(path)


def generated_sequences(count, frames, size=(160, 120)):
    """``count`` synthetic videos: lists of (name, BGR frames, N x 4 integer boxes)."""
    from siamtrack.data.datasets.synthetic import synthetic_sequence

    out = []
    for index in range(count):
        images, boxes = synthetic_sequence(index, num_frames=frames, size=size)
        out.append((f"seq{index}", images, np.round(boxes)))
    return out


def doc_blocks(language):
    """The fenced ``language`` blocks of docs/integrations.md, in order."""
    text = DOC.read_text(encoding="utf-8")
    return re.findall(r"```" + language + r"\n(.*?)```", text, flags=re.S)


def substitute(text, replacements):
    """``text`` with each key of ``replacements`` replaced; fails when a key is absent, so the
    doc and the test cannot drift apart silently."""
    for old, new in replacements.items():
        assert old in text, f"{old!r} not found in the docs example"
        text = text.replace(old, new)
    return text


def short_clip(video, path, frames=20):
    """The first ``frames`` frames of ``video`` as an MJPG clip (the example reads to the end)."""
    import cv2

    capture = cv2.VideoCapture(str(video))
    writer = None
    for _ in range(frames):
        ok, frame = capture.read()
        assert ok
        if writer is None:
            writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25,
                                     (frame.shape[1], frame.shape[0]))
        writer.write(frame)
    writer.release()
    capture.release()
    return path


def write_jpegs(folder, images, pattern):
    """Write BGR ``images`` as ``folder/pattern % (i + 1)`` JPEG files."""
    import cv2

    os.makedirs(folder, exist_ok=True)
    for i, image in enumerate(images):
        cv2.imwrite(os.path.join(folder, pattern % (i + 1)), image, [cv2.IMWRITE_JPEG_QUALITY, 95])


def write_got10k_val(root, size=(160, 120)):
    """GOT-10k ``val`` layout: list.txt; per sequence JPEG frames, groundtruth.txt, the three
    label files and meta_info.ini. Sequence 1 has frames where the target is hidden."""
    split = os.path.join(root, "val")
    seqs = generated_sequences(2, 10, size)
    for index, (name, images, boxes) in enumerate(seqs):
        folder = os.path.join(split, name)
        write_jpegs(folder, images, "%08d.jpg")
        np.savetxt(os.path.join(folder, "groundtruth.txt"), boxes, fmt="%.4f", delimiter=",")
        cover = np.full(len(boxes), 8)
        if index == 1:
            cover[3:6] = 0
        labels = {"cover": cover, "absence": (cover == 0).astype(int),
                  "cut_by_image": np.zeros(len(boxes), int)}
        for label, values in labels.items():
            np.savetxt(os.path.join(folder, label + ".label"), values, fmt="%d")
        with open(os.path.join(folder, "meta_info.ini"), "w") as f:
            f.write("[METAINFO]\nresolution: (%d, %d)\n" % size)
    with open(os.path.join(split, "list.txt"), "w") as f:
        f.write("\n".join(name for name, _, _ in seqs))
    return seqs
