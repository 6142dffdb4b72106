"""SiamPairMapper: box placement and scale, augmentation ranges, negatives, determinism."""
import numpy as np
import pytest
import torch
from detectron2.config import get_cfg
from detectron2.structures import BoxMode

from siamtrack import add_siamtrack_config
from siamtrack.data.augment import CropAugmentation
from siamtrack.structures.crop import context_side
from siamtrack.data.mapper import SiamPairMapper
from siamtrack.data.pairs import CategoryIndex, PairRequestDataset, usable_dicts

NO_AUG = CropAugmentation()


def rect_video(name, colour, boxes, size=(200, 160)):
    """A video dict whose frames are grey with a ``colour`` rectangle at each xyxy box."""
    boxes = np.asarray(boxes, np.float32)

    def source(i):
        img = np.full((size[1], size[0], 3), 90, np.uint8)
        x1, y1, x2, y2 = boxes[i].astype(int)
        img[y1:y2, x1:x2] = colour
        return img

    return {"video": name, "frame_source": source,
            "tracks": {0: {"frames": np.arange(len(boxes)), "boxes": boxes}}}


def moving_boxes(n, w=40, h=30):
    return [[20 + 5 * i, 30 + 3 * i, 20 + 5 * i + w, 30 + 3 * i + h] for i in range(n)]


def make_mapper(**kw):
    args = dict(template_aug=NO_AUG, search_aug=NO_AUG, neg=0.0, gray=0.0, seed=0)
    args.update(kw)
    return SiamPairMapper(**args)


def request(d, seed, neg_dict=None, frame_range=1):
    return {"dataset_dict": d, "frame_range": frame_range, "negative_dict": neg_dict,
            "seed": [7, seed]}


def test_contract_and_unaugmented_box():
    video = rect_video("v", (0, 0, 255), moving_boxes(5))
    out = make_mapper()(request(video, 0))
    assert set(out) == {"template", "search", "search_box", "negative"}
    assert out["template"].shape == (3, 127, 127) and out["template"].dtype == torch.float32
    assert out["search"].shape == (3, 255, 255) and out["search"].dtype == torch.float32
    assert out["search_box"].shape == (4,) and out["search_box"].dtype == torch.float32
    assert out["negative"] is False
    box = out["search_box"].numpy()
    np.testing.assert_allclose((box[:2] + box[2:]) / 2, [127, 127], atol=1e-4)
    scale_z = 127 / context_side(40, 30)
    np.testing.assert_allclose(box[2:] - box[:2], [40 * scale_z, 30 * scale_z], rtol=1e-5)
    # the red object sits under the box (BGR: channel 2 high, channel 1 low)
    x = out["search"].numpy()
    c = x[:, 127, 127]
    assert c[2] > 200 and c[1] < 50
    x1, y1, x2, y2 = box
    assert x[2, 127, int(x1) - 3] < 120 and x[2, 127, int(np.ceil(x2)) + 3] < 120


def test_search_augmentation_ranges_and_pixels():
    """Default SHIFT 64 / SCALE 0.18: centre = 127 - d/s, size = w*scale_z/s, pixels follow."""
    video = rect_video("v", (0, 0, 255), moving_boxes(1, 60, 40))
    aug = CropAugmentation(shift=64, scale=0.18, flip=0.5)
    mapper = make_mapper(search_aug=aug, template_aug=CropAugmentation(shift=4, scale=0.05))
    scale_z = 127 / context_side(60, 40)
    offsets, sizes = [], []
    for s in range(300):
        out = mapper(request(video, s))
        box = out["search_box"].numpy().astype(float)
        offsets.append((box[:2] + box[2:]) / 2 - 127)
        sizes.append((box[2:] - box[:2]) / (np.array([60, 40]) * scale_z))
        if s < 20:  # pixels: the red region's bounds match the box
            red = out["search"].numpy()[2] - out["search"].numpy()[1] > 80
            ys, xs = np.nonzero(red)
            np.testing.assert_allclose([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], box,
                                       atol=2.1)
    offsets, sizes = np.abs(np.array(offsets)), np.array(sizes)
    max_offset = 64 / (1 - 0.18)  # |d| <= SHIFT, s >= 1 - SCALE
    assert offsets.max() <= max_offset + 1e-3 and offsets.max() > 0.75 * max_offset
    assert sizes.min() >= 1 / 1.18 - 1e-4 and sizes.max() <= 1 / 0.82 + 1e-4
    assert sizes.min() < 1 / 1.15 and sizes.max() > 1 / 0.85


def test_flip_mirrors_search_box():
    video = rect_video("v", (0, 0, 255), moving_boxes(1, 60, 40))
    base = make_mapper(search_aug=CropAugmentation(shift=64))(request(video, 3))
    flipped = make_mapper(search_aug=CropAugmentation(shift=64, flip=1.0))(request(video, 3))
    b, f = base["search_box"].numpy(), flipped["search_box"].numpy()
    np.testing.assert_allclose(f, [254 - b[2], b[1], 254 - b[0], b[3]], atol=1e-4)
    np.testing.assert_allclose(flipped["search"].numpy(), base["search"].numpy()[:, :, ::-1])


def test_negative_pairs_at_ratio_from_the_other_video():
    pos = rect_video("red", (0, 0, 255), moving_boxes(5))
    other = rect_video("blue", (255, 0, 0), moving_boxes(5, 30, 50))
    mapper = make_mapper(neg=0.3)
    n, negatives = 500, 0
    for s in range(n):
        out = mapper(request(pos, s, other))
        centre = out["search"].numpy()[:, 127, 127]
        if out["negative"]:
            negatives += 1
            assert centre[0] > 200 and centre[2] < 50  # the blue object of the other video
            size = (out["search_box"][2:] - out["search_box"][:2]).numpy()
            np.testing.assert_allclose(size, np.array([30, 50]) * 127 / context_side(30, 50),
                                       rtol=1e-5)
        else:
            assert centre[2] > 200 and centre[0] < 50
        assert out["template"].numpy()[2, 63, 63] > 200  # template always the red target
    assert abs(negatives / n - 0.3) < 0.07


class StillImage:
    """A picklable frame source (the pair loader serialises its dicts): the same image always."""

    def __init__(self, image):
        self.image = image

    def __call__(self, index):
        return self.image


def image_dict(name, objects, size=(200, 160)):
    """A detection dict (COCO-style) of a grey image with ``(colour, xywh, category_id)`` objects."""
    img = np.full((size[1], size[0], 3), 90, np.uint8)
    for colour, (x, y, w, h), _ in objects:
        img[y:y + h, x:x + w] = colour
    return {"file_name": name, "height": size[1], "width": size[0], "frame_source": StillImage(img),
            "annotations": [{"bbox": list(box), "bbox_mode": BoxMode.XYWH_ABS, "iscrowd": 0, "category_id": cat}
                            for _, box, cat in objects]}


RED, GREEN, BLUE = (0, 0, 255), (0, 255, 0), (255, 0, 0)


def _search_object(out):
    """(colour channel that dominates the search centre, search box w x h rounded)."""
    centre = out["search"].numpy()[:, 127, 127]
    size = tuple(np.round((out["search_box"][2:] - out["search_box"][:2]).numpy()).astype(int))
    return int(np.argmax(centre)), size


def test_same_category_negatives_are_drawn_at_their_share_and_never_the_template_itself():
    # DaSiamRPN's semantic negatives: category 1 objects are red (two of them, in two images,
    # of different sizes), category 2 blue, the pysot negative candidate holds a green object.
    template_image = image_dict("a.jpg", [(RED, (40, 40, 40, 30), 1), (BLUE, (120, 60, 30, 30), 2)])
    other_red = image_dict("b.jpg", [(RED, (60, 50, 30, 50), 1)])
    green = image_dict("c.jpg", [(GREEN, (70, 50, 40, 40), 3)])
    datasets = [[template_image, other_red, green]]
    index = CategoryIndex(datasets)
    assert len(index) == 4 and set(index.objects) == {(0, 1), (0, 2), (0, 3)}
    assert index.draw(0, 2, 0, 3, np.random.default_rng(0)) is None  # green is its category's only object
    assert index.draw(0, 0, 0, None, np.random.default_rng(0)) is None  # no category, no draw

    red_other_size = tuple(np.round(np.array([30, 50]) * 127 / context_side(30, 50)).astype(int))
    green_size = tuple(np.round(np.array([40, 40]) * 127 / context_side(40, 40)).astype(int))
    mapper = make_mapper(neg=1.0, neg_same_category=0.5)
    kinds = {"same category": 0, "pysot": 0}
    red_templates = 0
    for s in range(400):
        out = mapper(dict(request(template_image, s, green), category_index=index, video_index=(0, 0)))
        assert out["negative"]
        colour, size = _search_object(out)  # channels are BGR: 0 blue, 1 green, 2 red
        red_templates += int(np.argmax(out["template"].numpy()[:, 63, 63])) == 2
        # the blue object is its category's only one: a blue search would be the template itself
        assert colour != 0
        if colour == 1:  # pysot's negative, the object of negative_dict
            assert size == green_size
            kinds["pysot"] += 1
        else:  # the other red object, never the template's own (40 x 30)
            assert size == red_other_size
            kinds["same category"] += 1
    # half of the red templates get a same-category negative; blue ones have none to get
    assert abs(kinds["same category"] / red_templates - 0.5) < 0.1, (kinds, red_templates)

    # Off (the default), the request's index changes nothing: pysot's stream, bit for bit.
    plain, with_index = make_mapper(neg=0.5), make_mapper(neg=0.5)
    for s in range(20):
        a = plain(request(template_image, s, green))
        b = with_index(dict(request(template_image, s, green), category_index=index, video_index=(0, 0)))
        assert all(torch.equal(a[key], b[key]) for key in ("template", "search", "search_box"))


def test_the_pair_loader_indexes_categories_only_when_asked(caplog):
    from siamtrack.data.build import build_pair_train_loader

    cfg = add_siamtrack_config(get_cfg())
    cfg.DATASETS.TRAIN, cfg.SOLVER.IMS_PER_BATCH, cfg.DATALOADER.NUM_WORKERS = ("pairs",), 2, 0
    dicts = [[image_dict("a.jpg", [(RED, (40, 40, 40, 30), 1)]), image_dict("b.jpg", [(RED, (60, 50, 30, 50), 1)])]]
    assert build_pair_train_loader(cfg, dataset_dicts=dicts).dataset.category_index is None
    cfg.INPUT.SIAM.NEG_SAME_CATEGORY = 0.5
    loader = build_pair_train_loader(cfg, dataset_dicts=dicts)
    assert len(loader.dataset.category_index) == 2 and loader.dataset.request(0)["video_index"] in {(0, 0), (0, 1)}
    assert len(next(iter(loader))) == 2
    box = np.array([[40, 40, 80, 70]], np.float32)  # pysot-format video data: no categories
    videos = [[{"video": "v", "frame_source": StillImage(np.zeros((160, 200, 3), np.uint8)),
                "tracks": {0: {"frames": np.arange(1), "boxes": box}}}]]
    build_pair_train_loader(cfg, dataset_dicts=videos)
    assert "no training object has a category" in caplog.text


def test_frame_range_and_determinism():
    boxes = moving_boxes(30)
    video = rect_video("v", (0, 0, 255), boxes)
    mapper = make_mapper(template_aug=CropAugmentation(shift=4, scale=0.05, color=1.0),
                         search_aug=CropAugmentation(shift=64, scale=0.18, blur=0.5, color=1.0))
    a = mapper(request(video, 11, frame_range=3))
    b = mapper(request(video, 11, frame_range=3))
    c = mapper(request(video, 12, frame_range=3))
    for key in ("template", "search", "search_box"):
        assert torch.equal(a[key], b[key])
    assert not torch.equal(a["search"], c["search"])
    ds = PairRequestDataset([[video]], [3], [-1], seed=5, mapper=mapper)
    assert torch.equal(ds[17]["search"], ds[17]["search"])


def test_crowd_and_degenerate_objects_are_skipped():
    img = np.full((120, 160, 3), 90, np.uint8)
    img[40:70, 50:90] = (0, 0, 255)
    d = {
        "file_name": "unused.jpg", "image_id": 1, "height": 120, "width": 160,
        "frame_source": lambda i: img,
        "annotations": [
            {"bbox": [0, 0, 150, 110], "bbox_mode": BoxMode.XYWH_ABS, "iscrowd": 1},
            {"bbox": [10, 10, 0, 20], "bbox_mode": BoxMode.XYWH_ABS, "iscrowd": 0},
            {"bbox": [50, 40, 40, 30], "bbox_mode": BoxMode.XYWH_ABS, "iscrowd": 0},
            {"bbox": [5, 5, 30, 5], "bbox_mode": BoxMode.XYXY_ABS, "iscrowd": 0},  # h 0
        ],
    }
    mapper = make_mapper()
    scale_z = 127 / context_side(40, 30)
    for s in range(10):
        out = mapper(request(d, s))
        size = (out["search_box"][2:] - out["search_box"][:2]).numpy()
        np.testing.assert_allclose(size, [40 * scale_z, 30 * scale_z], rtol=1e-5)
    crowd_only = dict(d, annotations=d["annotations"][:2])
    assert usable_dicts([d, crowd_only]) == [d]
    with pytest.raises(ValueError, match="no usable object"):
        mapper(request(crowd_only, 0))


def test_gray_pairs_and_bare_dict():
    video = rect_video("v", (0, 0, 255), moving_boxes(3))
    out = make_mapper(gray=1.0)(video)  # a bare dataset dict: positive pair, mapper's generator
    t = out["template"].numpy()
    assert np.array_equal(t[0], t[1]) and np.array_equal(t[1], t[2])
    assert out["negative"] is False


def test_from_config():
    cfg = add_siamtrack_config(get_cfg())
    cfg.INPUT.SIAM.NEG, cfg.INPUT.SIAM.GRAY = 0.05, 0.2
    cfg.INPUT.SIAM.SEARCH.BLUR = 0.2
    mapper = SiamPairMapper(cfg, is_train=True)
    assert (mapper.neg, mapper.gray) == (0.05, 0.2)
    assert mapper.template_aug == CropAugmentation(shift=4, scale=0.05, blur=0, flip=0, color=1)
    assert mapper.search_aug == CropAugmentation(shift=64, scale=0.18, blur=0.2, flip=0, color=1)
    assert (mapper.exemplar_size, mapper.search_size) == (127, 255)
