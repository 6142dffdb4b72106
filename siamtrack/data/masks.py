"""Target masks of training frames, for SiamMask (docs/data.md, "Masks").

A dataset dict gives its masks in one of three ways:

* ``"mask_source"``: a callable ``(track_id, frame) -> H x W uint8`` (the synthetic videos);
* ``"mask_format"``: a path format like ``frame_format`` (``str.format(frame=..., track=...)``)
  of a PNG whose pixels hold object ids (YouTube-VOS ``Annotations``); the track's mask is the
  pixels equal to its id;
* COCO instance annotations with ``"segmentation"`` (polygons or RLE, decoded by pycocotools)
  in a detection dict; the track id is the annotation's index (:func:`video_tracks`).

Dicts with none of these (and pysot's crop511 files) have no masks.
"""
import numpy as np

from ..utils.frames import FrameError

__all__ = ["has_masks", "load_mask", "object_ids"]


def has_masks(dataset_dict):
    """True when ``dataset_dict`` can give masks (see the module doc)."""
    if dataset_dict.get("precropped"):
        return False
    if dataset_dict.get("mask_source") is not None or dataset_dict.get("mask_format"):
        return True
    return any("segmentation" in ann for ann in dataset_dict.get("annotations", ()))


def object_ids(path):
    """The object-id image of an annotation PNG: a palette PNG's indices (Pillow: OpenCV would
    turn the palette into colours) or a grey PNG's values."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            ids = np.asarray(image)
    except OSError as exc:
        raise FrameError(f"cannot read mask {path}: {exc}") from None
    return ids if ids.ndim == 2 else ids[..., 0]


def _annotation_mask(dataset_dict, index, shape):
    from pycocotools import mask as mask_util

    segmentation = dataset_dict["annotations"][int(index)].get("segmentation")
    if not segmentation:
        return None
    height, width = shape
    if isinstance(segmentation, list):  # polygons
        rles = mask_util.frPyObjects([np.asarray(p, dtype=np.float64).ravel().tolist() for p in segmentation],
                                     height, width)
        rle = mask_util.merge(rles)
    elif isinstance(segmentation.get("counts"), list):  # uncompressed RLE
        rle = mask_util.frPyObjects(segmentation, height, width)
    else:
        rle = segmentation
    return mask_util.decode(rle).astype(np.uint8)


def load_mask(dataset_dict, track_id, frame, shape):
    """The 0/1 uint8 mask (H, W) = ``shape`` of track ``track_id`` in ``frame``, or None."""
    if dataset_dict.get("precropped"):
        return None
    source = dataset_dict.get("mask_source")
    if source is not None:
        return (np.asarray(source(track_id, frame)) > 0).astype(np.uint8)
    fmt = dataset_dict.get("mask_format")
    if fmt:
        path = fmt.format(frame=frame, track=track_id)
        return (object_ids(path) == int(track_id)).astype(np.uint8)
    if "annotations" in dataset_dict:
        return _annotation_mask(dataset_dict, track_id, shape)
    return None
