"""GANModule: both networks, both optimizers and the training step.

One training step (an *iteration*) is Algorithm 1 of Goodfellow et al. (seed 002): `d_steps`
discriminator updates, each on the batch's real data and fresh noise, then `g_steps` generator updates
on fresh noise. Every architecture, the loss, the latent prior and the optimizers are injected, so this
file never names a concrete network.

Step accounting. Lightning's `global_step` counts `optimizer.step()` calls, so one iteration advances it
by `d_steps + g_steps`; the Trainer's `max_steps` is set from the user's iteration budget accordingly
(see `ganlab.build.lightning_max_steps`) and `iteration` reports iterations. Logged rows are indexed by
Lightning's per-batch counter, which is the iteration count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from ganlab.latent import LatentPrior

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


class GANModule(pl.LightningModule):
    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        loss: Any,
        latent: LatentPrior,
        generator_optimizer: OptimizerFactory,
        discriminator_optimizer: OptimizerFactory,
        d_steps: int = 1,
        g_steps: int = 1,
        config: dict | None = None,
    ) -> None:
        """`config` is the run's resolved configuration, kept in checkpoints so a run can be rebuilt."""
        super().__init__()
        self.automatic_optimization = False
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.latent = latent
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.d_steps, self.g_steps = int(d_steps), int(g_steps)
        self.save_hyperparameters("d_steps", "g_steps", "config")

    @property
    def optimizer_steps_per_iteration(self) -> int:
        return self.d_steps + self.g_steps

    @property
    def iteration(self) -> int:
        """Completed training iterations (each = d_steps D updates + g_steps G updates)."""
        return self.global_step // self.optimizer_steps_per_iteration

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            self.generator_optimizer(self.generator.parameters()),
            self.discriminator_optimizer(self.discriminator.parameters()),
        ]

    def training_step(self, real: torch.Tensor, batch_idx: int) -> None:
        # Lightning writes a row when (batches so far + 1) % log_every_n_steps == 0, and self.log costs about
        # a millisecond per key even when nothing is written: skip it on the other iterations.
        logged = (self.iteration + 1) % self.trainer.log_every_n_steps == 0
        g_opt, d_opt = self.optimizers()
        n = real.shape[0]

        # toggled_optimizer freezes the other network's parameters, so no gradient is computed for them
        with self.toggled_optimizer(d_opt):
            d_loss_sum = real_correct = fake_correct = 0.0
            for _ in range(self.d_steps):
                with torch.no_grad():
                    fake = self.generator(self.latent.sample(n, device=real.device))
                real_logits, fake_logits = self.discriminator(real), self.discriminator(fake)
                d_loss = self.loss.discriminator_loss(real_logits, fake_logits)
                d_opt.zero_grad(set_to_none=True)
                self.manual_backward(d_loss)
                d_opt.step()
                d_loss_sum += d_loss.detach()
                real_correct += (real_logits.detach() > 0).float().mean()
                fake_correct += (fake_logits.detach() < 0).float().mean()

        with self.toggled_optimizer(g_opt):
            g_loss_sum = 0.0
            for _ in range(self.g_steps):
                fake = self.generator(self.latent.sample(n, device=real.device))
                g_loss = self.loss.generator_loss(self.discriminator(fake))
                g_opt.zero_grad(set_to_none=True)
                self.manual_backward(g_loss)
                g_opt.step()
                g_loss_sum += g_loss.detach()

        if not logged:
            return
        # means over the iteration's updates; accuracies are on the balanced real/fake batch (seed 000)
        self.log_dict(
            {"train/d_loss": d_loss_sum / self.d_steps, "train/g_loss": g_loss_sum / self.g_steps},
            prog_bar=True,
            batch_size=n,
        )
        self.log_dict(
            {"train/d_acc_real": real_correct / self.d_steps, "train/d_acc_fake": fake_correct / self.d_steps},
            batch_size=n,
        )
