"""The one number reader, flag reader, natural sort, image listing and atomic write (siamtrack.utils)."""
import os
import stat

import cv2
import numpy as np
import pytest

from siamtrack.utils.errors import InputError
from siamtrack.utils.fileio import atomic_write
from siamtrack.utils.frames import FrameError, list_images, read_image
from siamtrack.utils.natural_sort import natural_key, natural_sorted
from siamtrack.utils.textio import read_flags, read_names, read_number_rows, read_numbers
from siamtrack.utils.video_io import ImageFolderSource


class LayoutError(InputError):
    pass


def write(path, text):
    path.write_text(text)
    return str(path)


def test_numbers_any_separator_and_nan(tmp_path):
    path = write(tmp_path / "gt.txt", "1,2,3,4\n5\t6\t7\t8\n9 10  11 12\n13, 14,\t15 16\nNaN,nan,NaN,NaN\n")
    gt = read_numbers(path, 4)
    assert gt.shape == (5, 4) and gt[:4].tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12],
                                                       [13, 14, 15, 16]]
    assert np.isnan(gt[4]).all()


def test_blank_inner_line_is_a_nan_row_trailing_blank_lines_ignored(tmp_path):
    path = write(tmp_path / "gt.txt", "1,2,3,4\n\n   \n5,6,7,8\n\n\n")
    assert read_number_rows(path) == [[1, 2, 3, 4], [], [], [5, 6, 7, 8]]
    gt = read_numbers(path, 4)
    assert gt.shape == (4, 4) and np.isnan(gt[1:3]).all() and gt[3].tolist() == [5, 6, 7, 8]


def test_malformed_line_is_one_line_error_naming_file_and_line(tmp_path):
    path = write(tmp_path / "gt.txt", "1,2,3,4\n1,2,x,4\n")
    with pytest.raises(LayoutError) as info:
        read_numbers(path, 4, error_cls=LayoutError)
    assert str(info.value).startswith(f"{path}:2:") and "\n" not in str(info.value)
    path = write(tmp_path / "short.txt", "1,2,3,4\n1,2,3\n")
    with pytest.raises(InputError, match=r"short.txt:2: expected 4 numbers per line, found 3"):
        read_numbers(path, 4)
    path = write(tmp_path / "mixed.txt", "1,2,3,4\n1,2,3,4,5,6,7,8\n")
    with pytest.raises(InputError, match=r"mixed.txt:2: expected 4 numbers"):
        read_numbers(path, (4, 8))  # each file has one width
    with pytest.raises(InputError, match="is empty"):
        read_numbers(write(tmp_path / "empty.txt", "\n\n"), 4)
    with pytest.raises(InputError, match=r"cannot read ground-truth file .*missing.txt"):
        read_numbers(str(tmp_path / "missing.txt"), 4, "ground-truth")


def test_flags_set_when_positive(tmp_path):
    path = write(tmp_path / "f.txt", "0\n1\n0.5\n-1\nNaN\n\n2\n")
    assert read_flags(path, 7).tolist() == [False, True, True, False, False, False, True]
    # one line, comma separated (LaSOT); missing trailing values are unset, extra ones ignored
    path = write(tmp_path / "lasot.txt", "0,1,0.5")
    assert read_flags(path, 5).tolist() == [False, True, True, False, False]
    assert read_flags(path, 2).tolist() == [False, True]
    assert read_flags(str(tmp_path / "none.txt"), 3).tolist() == [False, False, False]


def test_flag_blank_inner_line_keeps_frame_alignment(tmp_path):
    # VOT tag files hold one frame per line: a blank line is an unset flag of that frame
    path = write(tmp_path / "occlusion.tag", "1\n\n1\n")
    assert read_flags(path, 3).tolist() == [True, False, True]


def test_malformed_flag_is_one_line_error(tmp_path):
    path = write(tmp_path / "absence.label", "0\nyes\n")
    with pytest.raises(LayoutError, match=r"absence.label:2: not a list of numbers"):
        read_flags(path, 2, LayoutError)


def test_names(tmp_path):
    assert read_names(write(tmp_path / "list.txt", " a \n\nb\n\n")) == ["a", "b"]
    with pytest.raises(LayoutError, match="cannot read"):
        read_names(str(tmp_path / "nope.txt"), LayoutError)


def test_natural_sort_compares_every_digit_run():
    names = ["img10.jpg", "img2.jpg", "IMG1.jpg", "img1.jpg"]
    assert natural_sorted(names) == ["IMG1.jpg", "img1.jpg", "img2.jpg", "img10.jpg"]
    # the digit runs before the last count too (sorting by the last run only would put
    # a10_b2 first and a2_b10 last)
    assert natural_sorted(["a10_b2.jpg", "a2_b10.jpg", "a2_b9.jpg"]) == \
        ["a2_b9.jpg", "a2_b10.jpg", "a10_b2.jpg"]
    assert natural_sorted(["1.jpg", "01.jpg", "001.jpg"]) == ["001.jpg", "01.jpg", "1.jpg"]
    assert natural_key("x1") < natural_key("x1a") < natural_key("x2")
    assert natural_sorted(["b", "2", "a1", "1a"]) == ["1a", "2", "a1", "b"]  # never a TypeError


def test_list_images_natural_order_same_as_image_folder_source(tmp_path):
    img = np.zeros((4, 6, 3), np.uint8)
    for name in ["cam1_10.jpg", "cam1_9.PNG", "cam2_1.jpg", "cam10_1.jpg"]:
        cv2.imwrite(str(tmp_path / name), img)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub.jpg").mkdir()  # a folder, not an image
    expected = [str(tmp_path / n) for n in ["cam1_9.PNG", "cam1_10.jpg", "cam2_1.jpg", "cam10_1.jpg"]]
    assert list_images(tmp_path) == expected
    with ImageFolderSource(tmp_path) as source:  # what tools/track_video.py reads
        assert [str(p) for p in source.paths] == expected
        assert source.read().shape == (4, 6, 3)
    assert list_images(tmp_path / "missing") == []


def test_read_image(tmp_path):
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    cv2.imwrite(str(tmp_path / "g.png"), grey)
    out = read_image(tmp_path / "g.png")
    assert out.shape == (3, 4, 3) and out.dtype == np.uint8 and (out[..., 1] == grey).all()
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(FrameError, match="bad.jpg: not an image OpenCV can decode"):
        read_image(tmp_path / "bad.jpg")
    with pytest.raises(FrameError, match="missing.jpg: file not found"):
        read_image(tmp_path / "missing.jpg")


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_atomic_write_honours_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = tmp_path / "out" / "a.txt"
        atomic_write(path, ["1,2,3,4", "5,6,7,8"])
        plain = tmp_path / "plain.txt"
        with open(plain, "w"):
            pass
    finally:
        os.umask(old)
    assert path.read_text() == "1,2,3,4\n5,6,7,8\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask == stat.S_IMODE(os.stat(plain).st_mode)
    assert os.listdir(tmp_path / "out") == ["a.txt"]  # no temporary file left


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write(path, ["old"])

    def lines():
        yield "new"
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(path, lines())
    assert path.read_text() == "old\n" and os.listdir(tmp_path) == ["a.txt"]


def test_error_class_that_is_an_oserror_keeps_its_line_message(tmp_path):
    class FolderError(InputError, FileNotFoundError):  # like DatasetLayoutError
        pass

    path = write(tmp_path / "gt.txt", "1,2,3,4\n1,2,x,4\n")
    with pytest.raises(FolderError, match=r"gt.txt:2: not a list of numbers"):
        read_numbers(path, 4, error_cls=FolderError)
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InputError, match="not a text file"):
        read_numbers(str(tmp_path / "bin.txt"), 4)
