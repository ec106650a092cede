"""The scores of conf/metric/: their arithmetic on inputs with known answers, and evaluation in a run."""

import json
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch
from torch import nn

from ganlab.build import build_run
from ganlab.errors import ConfigError
from ganlab.metrics import domain_classifier
from ganlab.metrics.cache import CacheNotWritten
from ganlab.metrics.coverage import ModeCoverage
from ganlab.metrics.domain_classifier import LIMITED_MIN_IMAGES, limited_count, load_or_train
from ganlab.metrics.image_scores import FeatureExtractor, ImageScores
from ganlab.metrics.inception import WEIGHTS_FILE, resolve_inception_weights
from ganlab.metrics.toy import gaussian_mmd, sliced_wasserstein
from ganlab.train import run
from tests.data.on_disk import mnist_like, write_mnist_split
from tests.helpers import read_metrics

KEYS = {"is": "score", "fid": "fid", "kid": "kid", "precision": "precision", "recall": "recall", "density": "density",
        "coverage": "coverage"}  # fmt: skip


class PixelFeatures(FeatureExtractor):
    """Features = the 64 pixels of an 8x8 image, class logits = its first 10 pixels: scores with known answers."""

    name, num_features, num_classes = "pixels", 64, 10

    def __init__(self) -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(1))  # the scores find the device through a parameter

    def forward(self, images):
        flat = images.flatten(1)
        return flat, 10 * flat[:, : self.num_classes]


ONE_SPLIT = pytest.mark.filterwarnings(r"ignore:std\(\)")  # "std(): degrees of freedom <= 0": one split


@ONE_SPLIT
def test_inception_score_equals_the_hand_computed_value_on_fixed_probabilities():
    probabilities = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.6, 0.3, 0.1]])
    marginal = probabilities.mean(dim=0)
    kl = (probabilities * (probabilities.log() - marginal.log())).sum(dim=1)
    expected = math.exp(kl.mean().item())  # exp(E_x KL(p(y|x) || p(y))), here 1.3698...
    scores = ImageScores(PixelFeatures(), (-1.0, 1.0), KEYS, inception_splits=1)
    scores.inception_score.update(probabilities.log())  # softmax(log p) = p
    assert scores.inception_score.compute()[0].item() == pytest.approx(expected, rel=1e-6)


@ONE_SPLIT
def test_inception_score_of_one_repeated_image_is_one_and_fid_of_a_set_with_itself_is_zero():
    scores = ImageScores(PixelFeatures(), (-1.0, 1.0), KEYS, inception_splits=1, kid_subset_size=100)
    images = torch.rand(400, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    scores.set_real(images)
    scores.update(images)
    computed = scores.compute()
    assert computed["fid"] == pytest.approx(0.0, abs=1e-3)
    assert (computed["precision"], computed["recall"], computed["coverage"]) == (1.0, 1.0, 1.0)
    same_set_kid = computed["kid"]  # KID compares random subsets: ~0 up to sampling noise
    scores.reset()
    scores.update(images[:1].repeat(300, 1, 1, 1))
    computed = scores.compute()
    assert computed["score"] == pytest.approx(1.0, abs=1e-5)
    assert computed["fid"] > 10  # 64 pixel variances of 1/3 each are missing from the repeated image
    assert abs(same_set_kid) < 0.02 * computed["kid"]
    # one sharp image: every sample a real one (precision 1), almost none of the real data reached
    assert computed["precision"] == 1.0 and computed["recall"] == pytest.approx(1 / 400)
    assert computed["coverage"] < 0.05


def test_a_generator_of_one_image_covers_one_mode():
    coverage = ModeCoverage(num_classes=10)
    logits = torch.zeros(500, 10)
    logits[:, 3] = 5.0
    coverage.update(logits)
    assert coverage.compute()["modes_covered"].item() == 1
    entropy = coverage.compute()["class_entropy"].item()
    assert entropy == 0 and f"{entropy:.4g}" == "0"  # not "-0" in the log, metrics.csv and the report
    coverage.reset()
    coverage.update(torch.eye(10).repeat(50, 1))  # every class equally often
    assert coverage.compute()["modes_covered"].item() == 10
    assert coverage.compute()["class_entropy"].item() == pytest.approx(math.log(10))


def test_inception_weights_offline_stop_the_run_and_say_where_the_file_goes(make_config, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    folder = tmp_path / "torch" / "hub" / "checkpoints"
    with pytest.raises(ValueError) as caught:
        resolve_inception_weights()
    message = str(caught.value)
    assert f"the Inception weights {WEIGHTS_FILE} are not in {folder} and could not be downloaded" in message
    assert "metric.weights_path=<file>" in message
    assert not (folder / WEIGHTS_FILE).exists()
    with pytest.raises(ConfigError, match=r"metric.weights_path = /nowhere/w.pth: there is no file there"):
        run(make_config("metric=inception", "metric.weights_path=/nowhere/w.pth", "trainer=debug"))
    assert not (tmp_path / "run" / "metrics.csv").exists()


def test_the_classifier_trains_once_and_is_reused(offline_data, make_config, tmp_path, caplog):
    config = make_config("data=mnist", *offline_data("mnist"), f"metric.scores.cache_dir={tmp_path / 'cls'}")
    data_config = {key: value for key, value in config.data.items()}
    with caplog.at_level("INFO"):
        classifier, accuracy, path = load_or_train(data_config, tmp_path / "cls", epochs=2, pinned=False)
    assert "training the domain classifier on 64 images" in caplog.text
    assert path.parent == tmp_path / "cls" and path.is_file() and 0 <= accuracy <= 1
    written = os.stat(path).st_mtime_ns
    caplog.clear()
    with caplog.at_level("INFO"):
        again, same_accuracy, same_path = load_or_train(data_config, tmp_path / "cls", epochs=2, pinned=False)
    assert "training" not in caplog.text and f"domain classifier read from {path}" in caplog.text
    assert same_path == path and os.stat(path).st_mtime_ns == written and same_accuracy == accuracy
    pairs = zip(classifier.state_dict().values(), again.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def test_jobs_side_by_side_train_the_classifier_once(offline_data, make_config, tmp_path, monkeypatch, caplog):
    """hydra/launcher=joblib: the first job trains it, the others wait for it and read it."""
    config = make_config("data=mnist", *offline_data("mnist"))
    data_config = {key: value for key, value in config.data.items()}
    trainings, train = [], domain_classifier.train_domain_classifier

    def slow_training(*arguments, **options):
        trainings.append(1)
        time.sleep(1.0)  # long enough for the other job to find the lock taken
        return train(*arguments, **options)

    monkeypatch.setattr(domain_classifier, "train_domain_classifier", slow_training)
    with caplog.at_level("INFO"), ThreadPoolExecutor(2) as jobs:
        results = list(jobs.map(lambda _: load_or_train(data_config, tmp_path / "cls", epochs=1, pinned=False),
                                range(2)))  # fmt: skip
    assert len(trainings) == 1
    assert "another job is making the domain classifier" in caplog.text
    assert results[0][1] == results[1][1] and results[0][2] == results[1][2]  # one accuracy, one file


def test_a_cache_dir_that_cannot_be_written_is_named_before_training_and_after_a_failed_save(
    offline_data, make_config, tmp_path, monkeypatch
):
    config = make_config("data=mnist", *offline_data("mnist"))
    data_config = {key: value for key, value in config.data.items()}
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    trained = []
    monkeypatch.setattr(domain_classifier, "train_domain_classifier", lambda *a, **k: trained.append(1))
    with pytest.raises(CacheNotWritten, match=r"cache_dir = .*a_file/cls: cannot be written \(\[Errno 20\] Not a"):
        load_or_train(data_config, a_file / "cls", epochs=1, pinned=False)
    assert trained == []  # refused before the training, not after it
    monkeypatch.undo()

    def full_disk(obj, file):
        file.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(CacheNotWritten, match=r"cache_dir = .*cls: cannot be written \(\[Errno 28\] No space left"):
        load_or_train(data_config, tmp_path / "cls", epochs=1, pinned=False)
    # no half-written file left for a later run to read; only the empty lock file that jobs side by side share
    assert [path.suffix for path in (tmp_path / "cls").iterdir()] == [".lock"]


@pytest.mark.parametrize(
    "limit, count",
    [(None, 54_000), (1.0, 54_000), (0.001, 1000), (0.1, 5400), (0, 1000), (20, 2560), (1000, 54_000)],
)
def test_a_limited_evaluation_trains_its_classifier_on_a_share_of_the_images(limit, count):
    assert limited_count(54_000, limit) == count  # a fraction of them, or batches of 128, 1000 at least
    assert limited_count(600, 0.001) == 600  # never more than there are


def test_a_first_debug_run_trains_a_smaller_classifier_and_a_full_one_replaces_it(make_config, tmp_path, caplog):
    """trainer=debug on a data set without a cached classifier: seconds of training rather than minutes."""
    images, labels = mnist_like(1200)
    # class 9 only on an image the smaller classifier does not train on: it must still have ten outputs
    left_out = int(torch.randperm(1200, generator=torch.Generator().manual_seed(0))[-1])
    labels[labels == 9] = 8
    labels[left_out] = 9
    write_mnist_split(tmp_path / "data", "train", images, labels)
    data = [f"paths.data_dir={tmp_path / 'data'}", "data=mnist", "data.download=false", "model=mlp"]
    limited = ["trainer=debug", "trainer.limit_val_batches=0.001", "metric.scores.epochs=1"]
    limited.append("metric.scores.pinned=false")  # the digits' pinned classifier aside: this one is trained
    config = make_config(*data, *limited)
    assert config.metric.scores.evaluation_limit == 0.001  # the trainer's limit reaches the classifier
    with caplog.at_level("INFO"):
        run(config)
    smaller = tmp_path / "data" / "classifiers"
    [path] = smaller.glob("*.pt")
    assert path.name.endswith(f"-{LIMITED_MIN_IMAGES}images.pt")
    assert f"training a smaller domain classifier on {LIMITED_MIN_IMAGES} of the 1200 images" in caplog.text
    saved = torch.load(path)
    assert saved["images"] == LIMITED_MIN_IMAGES and saved["num_classes"] == 10
    assert read_metrics(tmp_path / "run", prefix="val/classifier")  # and the run was scored with it

    data_config = dict(config.data)
    caplog.clear()
    with caplog.at_level("INFO"):
        _, _, again = load_or_train(data_config, smaller, epochs=1, evaluation_limit=0.001, pinned=False)
    assert again == path and "training" not in caplog.text  # read, not trained again
    _, _, full = load_or_train(data_config, smaller, epochs=1, pinned=False)  # an unlimited run trains the full one
    assert full != path and torch.load(full)["images"] == 1200
    _, _, preferred = load_or_train(data_config, smaller, epochs=1, evaluation_limit=0.001, pinned=False)
    assert preferred == full  # which limited runs use from then on


def test_evaluation_leaves_the_training_losses_unchanged(make_config, tmp_path):
    """Dropout draws from the global RNG in training, so any draw evaluation took from it would show."""
    common = ["trainer=debug", "trainer.max_steps=6", "trick=drop"]
    evaluated = [*common, "metric.every_n_steps=1", "metric.scores.pinned=false",
                 f"metric.scores.cache_dir={tmp_path / 'classifiers'}"]  # fmt: skip
    run(make_config(*evaluated, output_dir=tmp_path / "evaluated"))  # trains the classifier
    run(make_config(*evaluated, output_dir=tmp_path / "cached"))  # reads it (building it draws weights)
    run(make_config(*common, "metric=none", output_dir=tmp_path / "plain"))

    def training_rows(name):
        return [{k: v for k, v in row.items() if k.startswith("train/")} for row in read_metrics(tmp_path / name)]

    assert training_rows("evaluated") == training_rows("cached") == training_rows("plain")
    # and the evaluations did happen: before training, at iterations 1-6 at the curve's size, and the final one at 6
    rows = read_metrics(tmp_path / "evaluated", prefix="val/classifier")
    assert [(int(row["step"]), row["val/samples"]) for row in rows] == [(0, "64"), (1, "64"), (2, "64"), (3, "64"),
                                                                       (4, "64"), (5, "64"), (6, "64"), (6, "128")]


def test_a_limited_evaluation_of_few_samples_still_has_a_reference_to_read_fid_against(make_config, tmp_path, caplog):
    # trainer=debug's 0.001 of 1000 images is one: the reference takes four (two per half of FID's floor),
    # an evaluation two (a covariance); fewer stopped the run with torchmetrics' RuntimeError
    sizes = ["metric.num_samples=64", "metric.final_num_samples=1000"]
    with caplog.at_level("INFO", logger="ganlab.callbacks.evaluation"):
        run(make_config("trainer=debug", "trainer.limit_val_batches=0.001", *sizes))
    assert "real-data reference on 4 images" in caplog.text
    rows = read_metrics(tmp_path / "run", prefix="val/")
    (reference,) = [row for row in rows if row["val/real_classifier_fid"]]
    assert math.isfinite(float(reference["val/real_classifier_fid"]))
    scored = [row for row in rows if row["val/classifier_fid"]]
    # the curve's size at 0 and at the end, then the final evaluation's: each bounded to its share, 2 at least
    assert [(row["step"], row["val/samples"]) for row in scored] == [("0", "2"), ("5", "2"), ("5", "2")]
    assert all(math.isfinite(float(row["val/classifier_fid"])) for row in scored)


def test_a_run_logs_scores_beside_the_real_data_reference(make_config, tmp_path):
    run(make_config("trainer=debug", "metric.num_samples=100", "metric.final_num_samples=200"))
    rows = read_metrics(tmp_path / "run", prefix="val/")
    reference = [row for row in rows if row["val/real_classifier_score"]]
    assert len(reference) == 1 and reference[0]["step"] == "0"
    assert float(reference[0]["val/real_modes_covered"]) == 10  # the 10 digit classes, by the classifier
    assert float(reference[0]["val/real_classifier_score"]) > 5  # a good classifier on 10 balanced classes
    scored = [row for row in rows if row["val/classifier_score"]]
    assert [(row["step"], row["val/samples"]) for row in scored] == [("0", "100"), ("5", "100"), ("5", "200")]
    assert reference[0]["val/real_samples"] == "200"  # the reference is final_num_samples real images
    for row in scored:
        assert 1 <= float(row["val/classifier_score"]) <= 10
        assert 1 <= float(row["val/modes_covered"]) <= 10
        assert 0 <= float(row["val/d_acc_real"]) <= 1 and 0 <= float(row["val/d_acc_fake"]) <= 1


def test_toy_distances_are_zero_for_one_distribution_and_grow_with_a_shift():
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(2000, 2, generator=generator), torch.randn(2000, 2, generator=generator)
    assert sliced_wasserstein(a, b) < 0.05 and abs(gaussian_mmd(a, b)) < 0.01
    assert sliced_wasserstein(a, b + 1) > 0.5 and gaussian_mmd(a, b + 1) > 0.1


def test_toy_metric_measures_the_distance_to_the_curve(make_config, tmp_path):
    config = make_config("data=toy_quadratic", "model=mlp_toy", "trainer=debug")
    datamodule, module, trainer = build_run(config)
    real = datamodule.validation_sample()
    assert datamodule.vertical_distance(real).max() < 1e-3
    trainer.fit(module, datamodule=datamodule)
    rows = read_metrics(tmp_path / "run", prefix="val/")
    assert float(rows[0]["val/real_toy_curve_distance"]) < 1e-3
    generated = [float(row["val/toy_curve_distance"]) for row in rows if row["val/toy_curve_distance"]]
    assert len(generated) == 3 and all(distance > 10 for distance in generated)  # untrained: far off the curve


def test_metric_none_trains_without_evaluation(make_config, tmp_path):
    run(make_config("trainer=debug", "metric=none"))
    assert read_metrics(tmp_path / "run", prefix="val/") == []


def test_classifier_metric_refuses_point_data(make_config):
    with pytest.raises(ConfigError, match=r"metric: the classifier metric needs images, the data have shape \(2,\)"):
        run(make_config("data=toy_quadratic", "model=mlp_toy", "metric=classifier", "trainer=debug"))


@pytest.fixture(scope="module")
def random_inception_weights(tmp_path_factory):
    """A weights file for torch-fidelity's InceptionV3 with random values: the real architecture and file
    format, no download (the real weights' scores are torch-fidelity's and torchmetrics' to test)."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    path = tmp_path_factory.mktemp("inception") / "random-inception.pth"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FeatureExtractorInceptionV3, "load_state_dict", lambda self, state: None)
        patch.setattr(
            "torch_fidelity.feature_extractor_inceptionv3.load_state_dict_from_url", lambda *args, **kwargs: None
        )
        torch.manual_seed(0)
        network = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    torch.save(network.state_dict(), path)
    return path


@pytest.mark.slow  # InceptionV3 on the CPU: ~20 s; IS/FID/KID math and the weights lookup are tested fast above
def test_the_inception_metric_scores_a_run_with_a_local_weights_file(make_config, tmp_path, random_inception_weights):
    config = make_config(
        "metric=inception", f"metric.weights_path={random_inception_weights}", "trainer=debug",
        "metric.num_samples=8", "metric.final_num_samples=16", "metric.batch_size=16",
        "metric.scores.inception_splits=2",  # Inception at 299 px is slow on a CPU: few images
    )  # fmt: skip
    run(config)
    rows = read_metrics(tmp_path / "run", prefix="val/")
    assert rows[0]["step"] == "0" and float(rows[0]["val/real_inception_score"]) >= 1
    scored = [row for row in rows if row["val/inception_score"]]
    assert [row["step"] for row in scored] == ["0", "5"]
    assert all(float(row["val/fid"]) > 0 and float(row["val/inception_score"]) >= 1 for row in scored)


def test_caches_under_a_home_relative_data_dir_go_to_the_home_folder(make_config, tmp_path, monkeypatch):
    """paths.data_dir defaults to '~/.cache/ganlab': no literal '~' folder may appear in the working directory."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    run(make_config("trainer=debug", "paths.data_dir='~/data'", "metric.scores.pinned=false"))
    assert len(list((tmp_path / "home" / "data" / "classifiers").glob("*.pt"))) == 1
    assert len(list((tmp_path / "home" / "data" / "references").glob("*.pt"))) == 1
    assert not (tmp_path / "~").exists()


def test_each_seed_is_read_against_its_own_real_sample_whichever_run_cached_first(make_config, tmp_path):
    """The real images of the reference are a seeded choice: the cached features are keyed by that choice."""

    def reference(seed: int, name: str) -> float:
        """The FID between two halves of the real sample: a function of the sample's features alone."""
        small = ["trainer.max_steps=1", "metric.num_samples=50", "metric.final_num_samples=100"]
        run(make_config(f"seed={seed}", *small, output_dir=tmp_path / name))
        (row,) = read_metrics(tmp_path / name, "val/real_classifier_fid")
        return float(row["val/real_classifier_fid"])

    first = reference(0, "seed0")
    assert reference(1, "seed1") != first  # 100 other digits, not seed 0's cached features
    assert reference(0, "seed0_again") == first


@pytest.mark.parametrize(
    ("limit", "reference", "evaluations"),
    [
        ("0.001", 10, {"2", "10"}),  # trainer=debug's: a thousandth of 1000 (2 at least) and of 10 000
        ("1", 50, {"50"}),  # an integer: that many metric.batch_size batches
        ("0", None, None),  # no evaluation at all, as limit_val_batches=0 skips Lightning's validation
    ],
)
def test_limit_val_batches_bounds_every_evaluation_and_status_json_times_them(
    make_config, tmp_path, caplog, limit, reference, evaluations
):
    sizes = ["metric.num_samples=1000", "metric.final_num_samples=10000", "metric.batch_size=50"]
    caplog.set_level("INFO", logger="ganlab.callbacks.evaluation")
    run(make_config("trainer=debug", *sizes, f"trainer.limit_val_batches={limit}"))
    timings = json.loads((tmp_path / "run" / "status.json").read_text())["timings"]
    assert timings["seconds_to_first_iteration"] > 0
    scored = read_metrics(tmp_path / "run", prefix="val/")
    if reference is None:
        assert scored == [] and "evaluation_seconds" not in timings
        return
    assert f"real-data reference on {reference} images" in caplog.text
    assert set(timings["evaluation_seconds"]) == evaluations and timings["reference_seconds"] >= 0
    assert [row["step"] for row in scored if row["val/classifier_score"]] == ["0", "5", "5"]
