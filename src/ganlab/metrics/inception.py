"""The Inception network of Salimans et al.'s Inception Score (the KTH report) and of FID/KID, as torchmetrics uses it.

The weights are torch-fidelity's port of the TensorFlow graph every published score was computed with.
They are fetched once into torch's hub cache; offline, the run stops before training and says where to
put the file, or `metric.weights_path` points at a copy.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3, FeatureExtractorInceptionV3

from ganlab.contracts import GANData
from ganlab.images import to_uint8
from ganlab.metrics.cache import data_set_key
from ganlab.metrics.image_scores import FeatureExtractor, ImageScores, require_images
from ganlab.metrics.yardstick import file_sha256, network_yardstick

WEIGHTS_FILE = URL_INCEPTION_V3.rsplit("/", 1)[-1]


def default_weights_path() -> Path:
    """Where torch (and so torchmetrics and torch-fidelity) caches the weights: $TORCH_HOME/hub/checkpoints."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


def resolve_inception_weights(weights_path: str | None = None) -> Path:
    """The weights file to load: `weights_path` if given, else the hub cache, downloaded there if missing.
    Raises ValueError naming the file and the folder when neither works."""
    if weights_path is not None:
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise ValueError(f"metric.weights_path = {weights_path}: there is no file there (expected {WEIGHTS_FILE})")
        return path
    path = default_weights_path()
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(URL_INCEPTION_V3, str(path), progress=False)
    except OSError as error:  # URLError and socket errors are OSErrors
        raise ValueError(
            f"the Inception weights {WEIGHTS_FILE} are not in {path.parent} and could not be downloaded ({error}). "
            f"Download {URL_INCEPTION_V3} into that folder, or set metric.weights_path=<file>; "
            "metric=classifier or metric=none train without them"
        ) from error
    return path


class InceptionFeatures(FeatureExtractor):
    """InceptionV3 pool features (2048) and its 1008 logits (of which IS uses 1000 real classes, as
    torchmetrics' 'logits_unbiased' does). Reads images as 8-bit RGB: grey images are repeated over the
    three channels; torch-fidelity resizes to 299x299 itself."""

    name = "inception"
    num_features = 2048
    num_classes = 1008

    def __init__(self, weights_path: str | Path) -> None:
        super().__init__()
        self.network = FeatureExtractorInceptionV3(
            "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=str(weights_path)
        )

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pixels = to_uint8(images, (-1.0, 1.0))
        if pixels.shape[1] == 1:
            pixels = pixels.repeat(1, 3, 1, 1)
        features, logits = self.network(pixels)
        return features, logits


def inception_scores(
    datamodule: GANData,
    weights_path: str | None = None,
    reference_dir: str | None = None,
    data_config: dict | None = None,
    **options: int,
) -> ImageScores:
    """IS, FID and KID of the KTH report's study, logged as inception_score, fid and kid; `options` go to
    ImageScores."""
    require_images(datamodule, "inception")
    reference = None
    if reference_dir is not None and data_config is not None:
        reference = Path(reference_dir) / f"inception-{data_set_key(data_config)}.pt"
    weights = resolve_inception_weights(weights_path)
    features = InceptionFeatures(weights)
    keys = {"is": "inception_score", "fid": "fid", "kid": "kid", "precision": "precision", "recall": "recall",
            "density": "density", "coverage": "coverage"}  # fmt: skip
    yardstick = network_yardstick("inception", weights, file_sha256(weights))  # torch-fidelity's published file
    value_range = datamodule.value_range
    return ImageScores(features, value_range, keys, reference_cache=reference, yardstick=yardstick, **options)
