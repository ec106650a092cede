"""An exponential moving average of G (Yazici et al. 2019; every StyleGAN): conf/trick/ema.yaml."""

from __future__ import annotations

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from ganlab.errors import InvalidValue
from ganlab.tricks.base import Trick
from ganlab.value_checks import is_number


def generator_average(generator: nn.Module, decay: float) -> AveragedModel:
    """An exponential moving average copy of `generator` (weights and BatchNorm statistics): after each
    `update_parameters(generator)`, average = decay * average + (1 - decay) * generator. The first update
    copies G."""
    average = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    return average.requires_grad_(False)


class GeneratorAverage(Trick):
    """Keeps `average`, G's moving average, updated after every iteration; pictures, metrics and
    `ganlab.sample` draw from it. It smooths out the oscillation of adversarial training."""

    def __init__(self, decay: float = 0.999) -> None:
        super().__init__()
        if not (is_number(decay) and 0 < decay < 1):
            raise InvalidValue("decay", decay, "a decay in (0, 1), e.g. 0.999")
        self.decay = float(decay)
        self.average: AveragedModel | None = None

    def configure_networks(self, generator: nn.Module, discriminator: nn.Module) -> None:
        self.average = generator_average(generator, self.decay)

    def after_iteration(self, generator: nn.Module, iteration: int) -> None:
        self.average.update_parameters(generator)

    def sampling_generator(self, generator: nn.Module) -> nn.Module:
        return self.average.module

    def extra_repr(self) -> str:
        return f"decay={self.decay}"
