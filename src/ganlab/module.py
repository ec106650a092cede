"""GANModule: both networks, both optimizers and the training step.

One training step (an *iteration*) is Algorithm 1 of Goodfellow et al. (seed 002): `d_steps`
discriminator updates, each on the batch's real data and fresh noise, then `g_steps` generator updates
on fresh noise. Every architecture, the loss, the latent prior and the optimizers are injected, so this
file never names a concrete network.

Step accounting. Lightning's `global_step` counts `optimizer.step()` calls, so one iteration advances it
by `d_steps + g_steps`; the Trainer's `max_steps` is set from the user's iteration budget accordingly
(see `ganlab.build.lightning_max_steps`) and `iteration` reports iterations. Logged rows are indexed by
Lightning's per-batch counter, which is the iteration count.

Tricks. The loss builds D's targets and penalty (label flipping and smoothing, R1, WGAN-GP); when given,
`instance_noise` blurs every input D sees and `ema_decay` keeps an exponential moving average of G
(`generator_average`) that pictures and metrics draw from (`sampling_generator`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytorch_lightning as pl
import torch
from torch import nn

from ganlab.latent import LatentPrior
from ganlab.losses import AdversarialLoss
from ganlab.tricks import InstanceNoise, generator_average

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


class GANModule(pl.LightningModule):
    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        loss: AdversarialLoss,
        latent: LatentPrior,
        generator_optimizer: OptimizerFactory,
        discriminator_optimizer: OptimizerFactory,
        d_steps: int = 1,
        g_steps: int = 1,
        instance_noise: InstanceNoise | None = None,
        ema_decay: float | None = None,
        data_shape: tuple[int, ...] | None = None,
        config: dict | None = None,
    ) -> None:
        """`config` (the run's resolved configuration) and `data_shape` are kept in checkpoints, so G can be
        rebuilt from a checkpoint alone (`ganlab.sample`)."""
        super().__init__()
        self.automatic_optimization = False
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.latent = latent
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.d_steps, self.g_steps = int(d_steps), int(g_steps)
        self.instance_noise = instance_noise
        self.generator_average = None if ema_decay is None else generator_average(generator, ema_decay)
        self.save_hyperparameters("d_steps", "g_steps", "ema_decay", "data_shape", "config")

    @property
    def optimizer_steps_per_iteration(self) -> int:
        return self.d_steps + self.g_steps

    @property
    def iteration(self) -> int:
        """Completed training iterations (each = d_steps D updates + g_steps G updates)."""
        return self.global_step // self.optimizer_steps_per_iteration

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator that samples, pictures and metrics use: the moving average when there is one."""
        return self.generator if self.generator_average is None else self.generator_average.module

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.sampling_generator(z)

    def discriminator_input(self, x: torch.Tensor, iteration: int) -> torch.Tensor:
        """What D is shown for the samples x during training: x, or x with instance noise."""
        return x if self.instance_noise is None else self.instance_noise(x, iteration)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            self.generator_optimizer(self.generator.parameters()),
            self.discriminator_optimizer(self.discriminator.parameters()),
        ]

    def training_step(self, real: torch.Tensor, batch_idx: int) -> None:
        iteration = self.iteration
        # Lightning writes a row when (batches so far + 1) % log_every_n_steps == 0, and self.log costs about
        # a millisecond per key even when nothing is written: skip it on the other iterations.
        logged = (iteration + 1) % self.trainer.log_every_n_steps == 0
        g_opt, d_opt = self.optimizers()
        n = real.shape[0]

        # toggled_optimizer freezes the other network's parameters, so no gradient is computed for them
        with self.toggled_optimizer(d_opt):
            d_loss_sum = penalty_sum = real_correct = fake_correct = 0.0
            for _ in range(self.d_steps):
                with torch.no_grad():
                    fake = self.generator(self.latent.sample(n, device=real.device))
                real_in, fake_in = self.discriminator_input(real, iteration), self.discriminator_input(fake, iteration)
                real_out, fake_out = self.discriminator(real_in), self.discriminator(fake_in)
                d_loss = self.loss.discriminator_loss(real_out, fake_out)
                penalty = self.loss.discriminator_penalty(self.discriminator, real_in, fake_in)
                d_opt.zero_grad(set_to_none=True)
                self.manual_backward(d_loss if penalty is None else d_loss + penalty)
                d_opt.step()
                d_loss_sum += d_loss.detach()
                if penalty is not None:
                    penalty_sum += penalty.detach()
                if (accuracy := self.loss.discriminator_accuracy(real_out.detach(), fake_out.detach())) is not None:
                    real_correct, fake_correct = real_correct + accuracy[0], fake_correct + accuracy[1]

        with self.toggled_optimizer(g_opt):
            g_loss_sum = 0.0
            for _ in range(self.g_steps):
                fake = self.generator(self.latent.sample(n, device=real.device))
                g_loss = self.loss.generator_loss(self.discriminator(self.discriminator_input(fake, iteration)))
                g_opt.zero_grad(set_to_none=True)
                self.manual_backward(g_loss)
                g_opt.step()
                g_loss_sum += g_loss.detach()

        if self.generator_average is not None:
            self.generator_average.update_parameters(self.generator)

        if not logged:
            return
        # means over the iteration's updates; accuracies are on the balanced real/fake batch (seed 000)
        self.log_dict(
            {"train/d_loss": d_loss_sum / self.d_steps, "train/g_loss": g_loss_sum / self.g_steps},
            prog_bar=True,
            batch_size=n,
        )
        extra = {}
        if self.loss.decision_threshold is not None:
            extra["train/d_acc_real"] = real_correct / self.d_steps
            extra["train/d_acc_fake"] = fake_correct / self.d_steps
        if isinstance(penalty_sum, torch.Tensor):  # the loss has a penalty
            extra["train/d_penalty"] = penalty_sum / self.d_steps
        if self.instance_noise is not None:
            extra["train/instance_noise_std"] = self.instance_noise.std_at(iteration)
        self.log_dict(extra, batch_size=n)
