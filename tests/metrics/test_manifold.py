"""Precision, recall, density and coverage on point sets whose answers are known, and against torch-fidelity."""

from __future__ import annotations

import math

import pytest
import torch

from ganlab.metrics.manifold import ManifoldScores


def clusters(count: int, which: list[int], seed: int) -> torch.Tensor:
    """`count` points (N, 2) around the listed ones of ten centres on a circle, far apart (60 units or more)."""
    generator = torch.Generator().manual_seed(seed)
    angles = torch.arange(10.0) * 2 * math.pi / 10
    centres = torch.stack([angles.cos(), angles.sin()], dim=1) * 100
    chosen = torch.tensor(which)[torch.randint(len(which), (count,), generator=generator)]
    return centres[chosen] + torch.randn(count, 2, generator=generator)


def scores(real: torch.Tensor, fake: torch.Tensor, chunk: int = 1024) -> dict[str, float]:
    manifold = ManifoldScores(chunk=chunk)
    manifold.set_real(real)
    return manifold.compute(fake)


ALL = list(range(10))


def test_a_sample_of_the_real_data_scores_about_one_everywhere():
    found = scores(clusters(2000, ALL, seed=0), clusters(2000, ALL, seed=1))
    assert found["precision"] > 0.9 and found["recall"] > 0.9 and found["coverage"] > 0.9
    assert 0.85 < found["density"] < 1.15


def test_identical_sets_are_inside_their_own_closed_balls():
    points = clusters(300, ALL, seed=2)
    found = scores(points, points.clone())
    assert (found["precision"], found["recall"], found["coverage"]) == (1.0, 1.0, 1.0)
    # each point lies in its own ball and its 5 neighbours': (k + 1) / k
    assert found["density"] == pytest.approx(6 / 5, abs=0.01)


def test_a_far_away_cloud_scores_zero():
    found = scores(clusters(1000, ALL, seed=0), clusters(1000, ALL, seed=1) + 1000)
    assert found == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_a_generator_of_half_the_classes_has_full_precision_and_half_the_recall():
    found = scores(clusters(2000, ALL, seed=0), clusters(1000, [0, 1, 2, 3, 4], seed=1))
    assert found["precision"] > 0.9 and found["density"] > 0.9
    assert found["recall"] == pytest.approx(0.5, abs=0.06) and found["coverage"] == pytest.approx(0.5, abs=0.06)


def test_chunks_change_nothing_and_too_few_samples_give_nan():
    real, fake = clusters(500, ALL, seed=3), clusters(300, [1, 2, 3], seed=4)
    assert scores(real, fake, chunk=7) == scores(real, fake, chunk=1024)
    assert all(math.isnan(value) for value in scores(real, fake[:3]).values())  # k = 3 needs 4 samples


def test_precision_and_recall_are_torch_fidelitys():
    metric_prc = pytest.importorskip("torch_fidelity.metric_prc")
    real, fake = clusters(700, ALL, seed=5), clusters(600, [0, 2, 4, 6, 8, 9], seed=6) * 1.1
    precision, recall = metric_prc.calculate_precision_recall_part(fake, real, neighborhood=3, batch_size=256)
    found = scores(real, fake)
    assert (found["precision"], found["recall"]) == pytest.approx((precision, recall), abs=1e-9)
