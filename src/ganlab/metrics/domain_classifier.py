"""A small CNN classifier of the data set itself, standing in for Inception (the KTH report: "the Inception Network
should be trained on the same dataset used to generate images").

For the bundled digits, MNIST and binarized MNIST, ganlab ships the classifier, pinned by its SHA-256
(ganlab.metrics.pinned): every machine scores with the same file. For other data sets it is trained once per
data set (all its classes: CIFAR-10 horses get a ten-class classifier) on 90% of the labelled images, tested on
the other 10%, and cached with that test accuracy under `cache_dir`; `python -m ganlab.classifier data=...`
trains it ahead of time, and a run trains it when it is missing. Training runs on one CPU thread whatever the
run's count, so the same data and torch give the same file, and the same hash, on every machine.

A run whose evaluations are limited (`trainer.limit_val_batches` below 1, as under trainer=debug) and finds
no classifier cached trains a smaller one, on as large a share of the images as the limit gives (1000 at
least), and caches it apart: a smoke run's first evaluation then costs seconds rather than minutes of
training on a CPU, and a later unlimited run still trains (or reads) the full classifier, which every
limited run prefers once it is there.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from torch import nn
from torch.nn import functional as F

from ganlab.atomic_files import made_by_one_job, replaced_atomically
from ganlab.contracts import GANData, LabelledImages
from ganlab.images import uint8_to_range
from ganlab.metrics.cache import CacheNotWritten, data_set_key, make_cache_dir
from ganlab.metrics.image_scores import FeatureExtractor, ImageScores, require_images
from ganlab.metrics.pinned import check_pinned, pinned_classifier
from ganlab.metrics.yardstick import network_yardstick, weights_sha256
from ganlab.run_identity import data_selection

log = logging.getLogger(__name__)

LIMITED_MIN_IMAGES = 1000  # a limited run's classifier trains on at least this many images (seconds on a CPU)
TRAIN_BATCH_SIZE = 128


class DomainClassifier(FeatureExtractor):
    """images (N, C, H, W) in [-1, 1], sides >= 8 -> (128 penultimate features, class logits)."""

    name = "classifier"
    num_features = 128
    sha256: str | None = None  # of its weights, once trained or read (ganlab.metrics.yardstick)

    def __init__(self, channels: int, num_classes: int) -> None:
        super().__init__()
        self.channels, self.num_classes = int(channels), int(num_classes)
        self.body = nn.Sequential(
            nn.Conv2d(self.channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(128 * 4, self.num_features), nn.ReLU(),
        )  # fmt: skip
        self.head = nn.Linear(self.num_features, self.num_classes)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.body(images)
        return features, self.head(features)


def labelled_images(data_config: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """(uint8 images (N, C, H, W), labels (N,)) of every class of the configured data set."""
    config = {**data_config, **({"classes": None} if "classes" in data_config else {})}
    datamodule = instantiate(config)
    datamodule.prepare_data()
    datamodule.setup("fit")
    if not isinstance(datamodule, LabelledImages) or datamodule.images is None or datamodule.labels is None:
        raise ValueError(
            f"the classifier metric needs a labelled data set held in memory; {type(datamodule).__name__} "
            "does not hold one (use metric=inception)"
        )
    images, labels = datamodule.images, datamodule.labels
    if labels.unique().numel() < 2:
        raise ValueError("the classifier metric needs at least 2 classes of images (use metric=inception)")
    return images, labels


def limited_count(total: int, limit: float | int | None) -> int:
    """How many of a data set's `total` labelled images a classifier trains on under an evaluation limit (as
    `trainer.limit_val_batches`): all at 1.0 or None; a fraction of them, or an integer count of batches of
    128, with at least LIMITED_MIN_IMAGES (0, evaluations off, gets that least: the scores are still built)."""
    if limit is None or (isinstance(limit, float) and limit >= 1.0):
        return total
    wanted = limit * TRAIN_BATCH_SIZE if isinstance(limit, int) else math.ceil(total * limit)
    return min(total, max(LIMITED_MIN_IMAGES, wanted))


def train_domain_classifier(
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int = 10,
    batch_size: int = TRAIN_BATCH_SIZE,
    seed: int = 0,
    num_classes: int | None = None,
) -> tuple[DomainClassifier, float]:
    """Train on a seeded 90% of (uint8 images, labels); returns the classifier (eval mode) and its accuracy
    on the other 10%. `num_classes` defaults to the largest label + 1."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(images), generator=generator)
    test, train = order[: max(1, len(images) // 10)], order[max(1, len(images) // 10) :]
    classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    with torch.random.fork_rng(), one_thread():  # the caller's RNG left as it was; the weights alike everywhere
        torch.manual_seed(seed)
        classifier = DomainClassifier(images.shape[1], classes)
        optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-3)
        for _ in range(epochs):
            for batch in train[torch.randperm(len(train), generator=generator)].split(batch_size):
                _, logits = classifier(uint8_to_range(images.index_select(0, batch), (-1.0, 1.0)))
                loss = F.cross_entropy(logits, labels[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
    classifier.eval()
    classifier.sha256 = weights_sha256(classifier.state_dict())
    with torch.no_grad(), one_thread():
        correct = sum(
            (classifier(uint8_to_range(images[batch], (-1.0, 1.0)))[1].argmax(1) == labels[batch]).sum().item()
            for batch in test.split(1024)
        )
    return classifier, correct / len(test)


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one CPU thread inside the block: a convolution's float sums, and so the trained weights, depend
    on the thread count (1 and 2 threads gave 95.7% and 95.5% test accuracy)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def read_cached(path: Path) -> tuple[DomainClassifier, float] | None:
    """The classifier cached at `path` (in eval mode, its weights' SHA-256 as `sha256`) and its test accuracy;
    None when there is none. ValueError naming the file when it is not a classifier ganlab saved (a cache is data:
    read with torch's weights-only loader)."""
    if not path.is_file():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        classifier = DomainClassifier(saved["channels"], saved["num_classes"])
        classifier.load_state_dict(saved["state_dict"])
        float(saved["test_accuracy"])
    except Exception as error:  # pickle's, zipfile's, torch's and a wrong record's errors alike
        raise ValueError(
            f"{path}: not a domain classifier ganlab saved ({type(error).__name__}: "
            f"{(str(error).splitlines() or [''])[0][:120]}); delete it and it is trained again"
        ) from None
    classifier.sha256 = weights_sha256(saved["state_dict"])
    log.info("domain classifier read from %s (test accuracy %.4f, weights %s)", path, saved["test_accuracy"],
             classifier.sha256[:16])  # fmt: skip
    return classifier.eval(), saved["test_accuracy"]


def load_or_train(
    data_config: dict[str, Any],
    cache_dir: str | Path,
    epochs: int = 10,
    retrain: bool = False,
    evaluation_limit: float | int | None = None,
    pinned: bool = True,
) -> tuple[DomainClassifier, float, Path]:
    """The data set's pinned classifier where ganlab ships one (and `pinned`), else its cached classifier,
    trained and cached first if there is none (or `retrain`). Under an `evaluation_limit` below 1 (see
    `limited_count`) the full classifier is read if cached, and otherwise a smaller one is read or trained,
    cached as <key>-<n>images.pt. Returns (classifier, its test accuracy, its file)."""
    if pinned and not retrain and (shipped := pinned_classifier(data_config)) is not None:
        try:
            classifier, accuracy = read_cached(shipped.path) or (None, None)
        except ValueError:
            classifier = None
        check_pinned(shipped, getattr(classifier, "sha256", None))
        return classifier, accuracy, shipped.path
    # one classifier for every class selection of a data set: cifar_horses shares cifar10's
    stem = data_set_key(data_config, ignore=("classes",))
    path = Path(cache_dir).expanduser() / f"{stem}.pt"
    if not retrain and (cached := read_cached(path)):
        return *cached, path
    make_cache_dir(cache_dir)
    images, labels = labelled_images(data_config)
    total = len(images)
    num_classes = int(labels.max()) + 1  # of the whole set, whichever classes a smaller share happens to hold
    count = limited_count(total, evaluation_limit)
    if count < total:
        path = path.with_name(f"{stem}-{count}images.pt")
    with made_by_one_job(path, "the domain classifier"):
        if not retrain and (cached := read_cached(path)):  # made meanwhile by a sweep job beside this one
            return *cached, path
        if count < total:
            chosen = torch.randperm(total, generator=torch.Generator().manual_seed(0))[:count]
            images, labels = images[chosen], labels[chosen]
            log.info(
                "evaluations are limited (trainer.limit_val_batches=%s): training a smaller domain classifier on %d "
                "of the %d images, cached at %s; its scores check the plumbing, and a run without the limit trains "
                "the full one (python -m ganlab.classifier does it ahead of time)",
                evaluation_limit, count, total, path,
            )  # fmt: skip
        else:
            log.info("training the domain classifier on %d images (once; it is cached at %s)", total, path)
        classifier, accuracy = train_domain_classifier(images, labels, epochs=epochs, num_classes=num_classes)
        saved = {
            "state_dict": classifier.state_dict(), "channels": classifier.channels,
            "num_classes": classifier.num_classes, "test_accuracy": accuracy, "images": len(images),
            "data": data_selection(data_config),
        }  # fmt: skip
        try:
            with replaced_atomically(path) as partial:  # written whole or not at all
                torch.save(saved, partial)
        except OSError as error:  # a disk that filled up, a folder removed meanwhile
            raise CacheNotWritten(cache_dir, error) from error
    log.info("domain classifier trained: test accuracy %.4f, saved to %s", accuracy, path)
    return classifier, accuracy, path


def classifier_scores(
    datamodule: GANData,
    data_config: dict[str, Any],
    cache_dir: str,
    epochs: int = 10,
    reference_dir: str | None = None,
    evaluation_limit: float | int | None = None,
    pinned: bool = True,
    **options: int,
) -> ImageScores:
    """IS, FID and KID in the domain classifier's space (classifier_score, classifier_fid, classifier_kid)
    and the mode coverage of generated images (modes_covered, class_entropy), on the pinned classifier where
    ganlab ships one (`pinned`). `evaluation_limit` (the run's trainer.limit_val_batches) bounds a classifier
    this run has to train; `options` go to ImageScores."""
    require_images(datamodule, "classifier")
    classifier, _, path = load_or_train(
        data_config, cache_dir, epochs, evaluation_limit=evaluation_limit, pinned=bool(pinned)
    )
    shipped = pinned and pinned_classifier(data_config) is not None
    reference = None if reference_dir is None else Path(reference_dir) / f"{path.stem}-{data_set_key(data_config)}.pt"
    keys = {name: f"classifier_{name}" for name in ("fid", "kid", "precision", "recall", "density", "coverage")}
    keys["is"] = "classifier_score"
    yardstick = network_yardstick("classifier", path, classifier.sha256, pinned=shipped)
    return ImageScores(
        classifier, datamodule.value_range, keys, coverage=True, reference_cache=reference, yardstick=yardstick,
        **options,
    )  # fmt: skip
