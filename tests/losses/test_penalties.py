"""The gradient penalties on hand-built discriminators whose input gradients are known exactly."""

import pytest
import torch
from torch import nn

from ganlab.losses.penalties import gradient_penalty, r1_penalty


def linear_critic(gradient_norm: float, features: int = 12) -> nn.Module:
    """D(x) = w . flatten(x) with ||w|| = gradient_norm everywhere: Lipschitz constant gradient_norm."""
    critic = nn.Sequential(nn.Flatten(), nn.Linear(features, 1, bias=False), nn.Flatten(0))
    with torch.no_grad():
        weight = torch.randn(1, features, generator=torch.Generator().manual_seed(0))
        critic[1].weight.copy_(weight / weight.norm() * gradient_norm)
    return critic


REAL, FAKE = torch.randn(32, 3, 2, 2), torch.randn(32, 3, 2, 2)


def test_gradient_penalty_is_zero_for_a_unit_gradient_critic():
    assert gradient_penalty(linear_critic(1.0), REAL, FAKE).item() == pytest.approx(0.0, abs=1e-10)


def test_gradient_penalty_grows_with_the_critic_steepness():
    """(||grad|| - 1)^2: 16 for a critic with gradient norm 5, 0.25 for one with 0.5."""
    assert gradient_penalty(linear_critic(5.0), REAL, FAKE).item() == pytest.approx(16.0, rel=1e-5)
    assert gradient_penalty(linear_critic(0.5), REAL, FAKE).item() == pytest.approx(0.25, rel=1e-5)


def test_gradient_penalty_is_evaluated_between_real_and_fake():
    """For D(x) = ||x||^2 / 2 the gradient at x_hat is x_hat itself; with real == fake every x_hat is that point."""
    point = torch.full((4, 3), 2.0)  # norm of each row: 2 * sqrt(3)
    critic = lambda x: 0.5 * x.pow(2).sum(dim=1)  # noqa: E731
    assert gradient_penalty(critic, point, point).item() == pytest.approx((2 * 3**0.5 - 1) ** 2, rel=1e-5)


def test_gradient_penalty_can_be_back_propagated_into_the_critic():
    critic = linear_critic(3.0)
    gradient_penalty(critic, REAL, FAKE).backward()
    assert critic[1].weight.grad is not None and critic[1].weight.grad.norm() > 0


def test_r1_penalty_is_the_squared_gradient_norm_on_real_data():
    assert r1_penalty(linear_critic(3.0), REAL).item() == pytest.approx(9.0, rel=1e-5)
    assert r1_penalty(linear_critic(0.0), REAL).item() == 0.0
