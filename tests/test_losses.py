import math

import torch

from ganlab.losses import MinimaxLoss, NonSaturatingLoss

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
    """Why seeds 000-003 train G with -log D(G(z)): when D rejects a fake confidently (logit -10),
    the minimax gradient all but vanishes."""
    logits = torch.tensor([-10.0], requires_grad=True)
    (minimax_grad,) = torch.autograd.grad(MinimaxLoss().generator_loss(logits), logits)
    (nonsat_grad,) = torch.autograd.grad(NonSaturatingLoss().generator_loss(logits), logits)
    assert abs(minimax_grad.item()) < 1e-4
    assert abs(nonsat_grad.item()) > 0.99


def test_losses_stay_finite_for_extreme_logits():
    extreme = torch.tensor([-200.0, 200.0])
    for loss in (MinimaxLoss(), NonSaturatingLoss()):
        assert torch.isfinite(loss.discriminator_loss(extreme, extreme))
        assert torch.isfinite(loss.generator_loss(extreme))
