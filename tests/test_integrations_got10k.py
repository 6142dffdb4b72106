"""The GOT-10k toolkit (``got10k`` package) runs ``SiamTrackerGOT`` on a generated GOT-10k val
folder; its report equals siamtrack's own scoring of the same result files, and with
``init_box="pysot"`` its boxes are those of siamtrack's benchmark runner (pysot's driver)."""
import os

import numpy as np
import pytest

from _integrations_common import CONFIG, save_untrained_weights, write_got10k_val

try:
    from got10k.experiments import ExperimentGOT10k
    from got10k.trackers import Tracker
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip("needs the got10k package: pip install 'siamtrack[got10k]'", allow_module_level=True)

from siamtrack.evaluation import evaluate_got10k, load_benchmark, load_tracker_results, run_benchmark
from siamtrack.integrations.got10k import SiamTrackerGOT


@pytest.fixture(scope="module")
def got10k_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("got10k")
    write_got10k_val(str(root / "data"))
    weights = save_untrained_weights(root / "model.pth")
    return root, weights


def _run_experiment(root, tracker):
    experiment = ExperimentGOT10k(str(root / "data"), subset="val",
                                  result_dir=str(root / "results"), report_dir=str(root / "reports"))
    experiment.run(tracker)
    return experiment.report([tracker.name])[tracker.name]


def test_toolkit_report_equals_siamtrack_scoring(got10k_folder):
    root, weights = got10k_folder
    tracker = SiamTrackerGOT(CONFIG, name="siamtrack_raw", opts=["MODEL.WEIGHTS", weights])
    assert isinstance(tracker, Tracker) and tracker.is_deterministic
    theirs = _run_experiment(root, tracker)

    benchmark = load_benchmark("got10k_val", str(root / "data"))
    tracker_dir = str(root / "results" / "GOT-10k" / tracker.name)
    results = load_tracker_results(tracker_dir, benchmark)
    times = {s.name: np.loadtxt(os.path.join(tracker_dir, s.name, f"{s.name}_time.txt"))
             for s in benchmark}
    ours = evaluate_got10k({s.name: s.gt for s in benchmark}, results,
                           covers={s.name: s.tags["cover"] for s in benchmark},
                           sizes={s.name: s.image_size() for s in benchmark}, times=times).summary()
    overall = theirs["overall"]
    assert ours["ao"] == pytest.approx(overall["ao"], rel=1e-15)  # pooled: summation order only
    assert ours["sr_0.5"] == overall["sr"]
    assert ours["success_curve_101"] == overall["succ_curve"]
    assert ours["speed_fps"] == pytest.approx(overall["speed_fps"], rel=1e-12)
    for name, seq in theirs["seq_wise"].items():
        assert ours["per_sequence"][name]["ao"] == pytest.approx(seq["ao"], rel=1e-15)
    assert ours["num_frames"] == 9 + 6  # frame 0 and the hidden frames are not scored
    for s in benchmark:  # the toolkit's first row is the annotated box, as passed to init
        np.testing.assert_array_equal(results[s.name][0], s.gt[0])


def test_pysot_init_reproduces_siamtrack_runner(got10k_folder):
    from siamtrack.structures.boxes import init_box_from_region
    from siamtrack.integrations._common import make_tracker, resolve_config

    root, weights = got10k_folder
    benchmark = load_benchmark("got10k_val", str(root / "data"))
    runner = run_benchmark(make_tracker(resolve_config(CONFIG, weights=weights)), benchmark,
                           progress=False)
    adapters = {init: SiamTrackerGOT(CONFIG, opts=["MODEL.WEIGHTS", weights], init_box=init)
                for init in ("pysot", "raw")}
    for s in benchmark:
        # the toolkit's own tracking loop (PIL RGB frames), in memory: full precision
        boxes = {init: a.track(s.frames, s.gt[0])[0] for init, a in adapters.items()}
        # frame 0: the toolkit keeps the annotated box, pysot's driver its +0.5 init box
        np.testing.assert_array_equal(boxes["pysot"][0], s.gt[0])
        np.testing.assert_array_equal(runner[s.name][0], init_box_from_region(s.gt[0]))
        # later frames: PIL's RGB turned BGR is OpenCV's decoding, so the boxes are identical
        np.testing.assert_array_equal(boxes["pysot"][1:], runner[s.name][1:])
        # the init convention matters: a raw init tracks differently
        assert not np.array_equal(boxes["raw"][1:], boxes["pysot"][1:])


def test_toolkit_files_round_boxes_to_three_decimals(got10k_folder):
    root, weights = got10k_folder
    _run_experiment(root, SiamTrackerGOT(CONFIG, name="siamtrack_raw",
                                         opts=["MODEL.WEIGHTS", weights]))  # already run: reused
    benchmark = load_benchmark("got10k_val", str(root / "data"))
    written = load_tracker_results(str(root / "results" / "GOT-10k" / "siamtrack_raw"), benchmark)
    adapter = SiamTrackerGOT(CONFIG, opts=["MODEL.WEIGHTS", weights])
    for s in benchmark:
        exact = adapter.track(s.frames, s.gt[0])[0]
        np.testing.assert_allclose(written[s.name], exact, rtol=0, atol=5e-4 + 1e-9)


def test_bad_init_box_convention_is_refused():
    from siamtrack.utils.errors import InputError

    with pytest.raises(InputError, match="init_box must be one of"):
        SiamTrackerGOT(CONFIG, init_box="centre")
