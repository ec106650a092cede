import math

import pytest
import torch

from ganlab.errors import InvalidValue
from ganlab.losses.cross_entropy import MinimaxLoss, NonSaturatingLoss
from ganlab.losses.hinge import HingeLoss
from ganlab.losses.least_squares import LeastSquaresLoss
from ganlab.losses.wasserstein import WassersteinGPLoss

REAL = torch.tensor([2.0, -1.0, 0.5])
FAKE = torch.tensor([-3.0, 0.0, 1.0])


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_discriminator_loss_is_the_cross_entropy_of_real_as_1_and_fake_as_0():
    expected = -sum(math.log(sigmoid(r)) for r in REAL.tolist()) / 3 - sum(
        math.log(1 - sigmoid(f)) for f in FAKE.tolist()
    ) / 3
    for loss in (MinimaxLoss(), NonSaturatingLoss()):
        assert math.isclose(loss.discriminator_loss(REAL, FAKE).item(), expected, rel_tol=1e-6)


def test_minimax_generator_minimizes_log_one_minus_d():
    expected = sum(math.log(1 - sigmoid(f)) for f in FAKE.tolist()) / 3
    assert math.isclose(MinimaxLoss().generator_loss(FAKE).item(), expected, rel_tol=1e-6)


def test_nonsaturating_generator_minimizes_minus_log_d():
    expected = -sum(math.log(sigmoid(f)) for f in FAKE.tolist()) / 3
    assert math.isclose(NonSaturatingLoss().generator_loss(FAKE).item(), expected, rel_tol=1e-6)


def test_minimax_saturates_where_nonsaturating_does_not():
    """Why every source trains G with -log D(G(z)): when D rejects a fake confidently (logit -10), the minimax
    gradient all but vanishes."""
    logits = torch.tensor([-10.0], requires_grad=True)
    (minimax_grad,) = torch.autograd.grad(MinimaxLoss().generator_loss(logits), logits)
    (nonsat_grad,) = torch.autograd.grad(NonSaturatingLoss().generator_loss(logits), logits)
    assert abs(minimax_grad.item()) < 1e-4
    assert abs(nonsat_grad.item()) > 0.99


def test_losses_stay_finite_for_extreme_logits():
    extreme = torch.tensor([-200.0, 200.0])
    for loss in (MinimaxLoss(), NonSaturatingLoss(), LeastSquaresLoss(), HingeLoss(), WassersteinGPLoss()):
        assert torch.isfinite(loss.discriminator_loss(extreme, extreme))
        assert torch.isfinite(loss.generator_loss(extreme))


def test_lsgan_regresses_real_to_one_and_fake_to_zero():
    loss = LeastSquaresLoss()
    expected_d = 0.5 * sum((r - 1) ** 2 for r in REAL.tolist()) / 3 + 0.5 * sum(f**2 for f in FAKE.tolist()) / 3
    expected_g = 0.5 * sum((f - 1) ** 2 for f in FAKE.tolist()) / 3
    assert math.isclose(loss.discriminator_loss(REAL, FAKE).item(), expected_d, rel_tol=1e-6)
    assert math.isclose(loss.generator_loss(FAKE).item(), expected_g, rel_tol=1e-6)


def test_hinge_loss_is_zero_beyond_the_margin():
    loss = HingeLoss()
    # relu(1 - [2, -1, 0.5]) = [0, 2, 0.5]; relu(1 + [-3, 0, 1]) = [0, 1, 2]
    assert math.isclose(loss.discriminator_loss(REAL, FAKE).item(), 2.5 / 3 + 3 / 3, rel_tol=1e-6)
    assert loss.discriminator_loss(torch.tensor([1.5]), torch.tensor([-4.0])).item() == 0
    assert math.isclose(loss.generator_loss(FAKE).item(), 2 / 3, rel_tol=1e-6)


def test_wasserstein_critic_maximizes_the_gap_between_real_and_fake_scores():
    loss = WassersteinGPLoss()
    assert math.isclose(loss.discriminator_loss(REAL, FAKE).item(), -2 / 3 - 1.5 / 3, rel_tol=1e-6)
    assert math.isclose(loss.generator_loss(FAKE).item(), 2 / 3, rel_tol=1e-6)
    assert loss.decision_threshold is None  # no accuracy is logged for a critic


def test_wgan_gp_adds_its_weighted_gradient_penalty():
    critic = torch.nn.Sequential(torch.nn.Linear(4, 1, bias=False), torch.nn.Flatten(0))
    with torch.no_grad():
        critic[0].weight.fill_(1.5)  # gradient norm 3 everywhere: penalty (3 - 1)^2 = 4
    penalty = WassersteinGPLoss(gradient_penalty_weight=10).discriminator_penalty(
        critic, torch.randn(8, 4), torch.randn(8, 4)
    )
    assert math.isclose(penalty.item(), 40.0, rel_tol=1e-5)
    assert NonSaturatingLoss().discriminator_penalty(critic, torch.randn(8, 4), torch.randn(8, 4)) is None


@pytest.mark.parametrize("loss_class", [HingeLoss, WassersteinGPLoss])
@pytest.mark.parametrize("trick, value", [("flip_prob", 0.1), ("real_target", 0.9)])
def test_losses_without_targets_refuse_flipping_and_smoothing(loss_class, trick, value):
    expected = rf"{trick} = {value} \(loss.{trick}\) has no meaning for the {loss_class.name} loss"
    with pytest.raises(ValueError, match=expected):
        loss_class(**{trick: value})


def test_wgan_gp_refuses_r1_and_batchnorm():
    with pytest.raises(ValueError, match="wgan_gp already penalizes the critic's gradient"):
        WassersteinGPLoss(r1_gamma=10)
    with pytest.raises(ValueError, match="set model.discriminator.batchnorm=false"):
        WassersteinGPLoss().check_discriminator(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2)))


def test_discriminator_accuracy_judges_against_each_losses_threshold():
    # REAL = [2, -1, 0.5], FAKE = [-3, 0, 1]: against 0, 2 of 3 reals are judged real, 1 of 3 fakes fake
    real, fake = NonSaturatingLoss().discriminator_accuracy(REAL, FAKE)
    assert (real.item(), fake.item()) == pytest.approx((2 / 3, 1 / 3))
    real, fake = LeastSquaresLoss().discriminator_accuracy(REAL, FAKE)  # against 0.5: [2] and [-3, 0]
    assert (real.item(), fake.item()) == pytest.approx((1 / 3, 2 / 3))
    assert WassersteinGPLoss().discriminator_accuracy(REAL, FAKE) is None


def test_a_knob_no_loss_has_is_refused_by_name():
    with pytest.raises(InvalidValue, match=r"flip_prb = 0.1: must be a knob this loss has \(flip_prob, real_target"):
        NonSaturatingLoss(flip_prb=0.1)
    assert repr(NonSaturatingLoss(real_target=0.9)) == (
        "NonSaturatingLoss(flip_prob=0.0, real_target=0.9, fake_target=0.0, r1_gamma=0.0)"
    )
