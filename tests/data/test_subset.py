"""data.limit: training on a seeded subset of any data set, the same for every cell that shares a seed."""

from __future__ import annotations

import json

import pytest
import torch

from ganlab.build import build_datamodule, build_run
from ganlab.data.subset import subset_indices, subset_size
from ganlab.errors import ConfigError, InvalidValue
from ganlab.run_identity import score_setting, training_identity
from tests.helpers import compose_config

IMAGE_SETS = ["digits", "mnist", "cifar10", "folder"]


def test_a_limit_is_a_count_or_a_fraction_and_never_more_than_the_data():
    assert subset_size(None, 1797) is None and subset_size(500, 1797) == 500 and subset_size(0.1, 1797) == 180
    assert subset_size(1.0, 10) == 10
    for bad in (0, 1798, 0.0, 1.5, -3, "half"):
        with pytest.raises(InvalidValue, match="a count from 1 to the data set's 1797 images, or a fraction"):
            subset_size(bad, 1797)


def test_the_subset_is_the_seeds_and_only_the_seeds():
    first, again = subset_indices(1000, 100, seed=0), subset_indices(1000, 100, seed=0)
    other = subset_indices(1000, 100, seed=1)
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert len(first) == 100 and len(set(first.tolist())) == 100 and torch.equal(first, first.sort().values)


@pytest.mark.parametrize("data", IMAGE_SETS)
def test_every_image_set_trains_on_its_subset_and_scores_against_the_whole(data, offline_data, tmp_path):
    config = compose_config(tmp_path / "run", f"data={data}", *offline_data(data), "data.limit=12", "seed=3",
                            "data.batch_size=8")  # fmt: skip
    datamodule = build_datamodule(config)
    total = len(datamodule.images) if getattr(datamodule, "images", None) is not None else len(datamodule.dataset)
    assert len(datamodule.training_indices) == 12 and total > 12
    assert torch.equal(datamodule.training_indices, subset_indices(total, 12, seed=3))
    if datamodule.images is not None:  # held in memory: training batches come from the subset alone
        assert len(datamodule.training_images) == 12
        assert len(datamodule.validation_sample()) == total  # the metrics' reference is the whole data set
    recorded = json.loads((tmp_path / "run" / "data_subset.json").read_text())
    assert (recorded["count"], recorded["seed"], recorded["indices"]) == (12, 3, datamodule.training_indices.tolist())


def test_the_toy_curve_trains_on_a_fixed_pool(tmp_path):
    config = compose_config(tmp_path / "run", "data=toy_quadratic", "model=mlp_toy", "data.limit=300")
    datamodule = build_datamodule(config)
    pool = datamodule.training_pool()
    assert pool.shape == (300, 2)
    batches = datamodule.train_dataloader()
    drawn = torch.cat([batch for batch, _ in zip(batches, range(5), strict=False)])
    pool_in_model_units = datamodule.to_model(pool)
    assert all((pool_in_model_units - point).abs().sum(dim=1).min() < 1e-6 for point in drawn)


def test_too_large_a_limit_is_refused_before_training_with_the_data_sets_size(tmp_path):
    with pytest.raises(ConfigError, match=r"data.limit = 5000: must be a count from 1 to the data set's 1797"):
        build_run(compose_config(tmp_path / "run", "metric=none", "data.limit=5000"))
    with pytest.raises(ConfigError, match=r"batch_size 64 is larger than the 40 images training sees \(data.limit"):
        build_run(compose_config(tmp_path / "small", "metric=none", "data.limit=40"))


def test_the_limit_makes_a_run_what_it_is_but_not_what_its_scores_are_read_against():
    small = {"data": {"_target_": "digits", "limit": 500, "batch_size": 64}, "metric": {"num_samples": 100}}
    large = {"data": {"_target_": "digits", "limit": 2000, "batch_size": 64}, "metric": {"num_samples": 100}}
    assert training_identity(small) != training_identity(large)  # a checkpoint of another size does not resume
    assert score_setting(small) == score_setting(large)  # one report group: data sizes are cells to compare


def test_a_streamed_folder_serves_only_its_subset(offline_data, tmp_path):
    config = compose_config(tmp_path / "run", "data=folder", *offline_data("folder"), "data.limit=10",
                            "data.in_memory_limit_mb=0", "data.batch_size=5")  # fmt: skip
    datamodule = build_datamodule(config)
    assert datamodule.streaming and len(datamodule.training_indices) == 10
    loader = datamodule.train_dataloader()
    assert len(loader.dataset) == 10 and len(list(loader)) == 2  # two batches of 5 an epoch
