"""GANModule: both networks, both optimizers and the training step.

One training step (an *iteration*) is Algorithm 1 of Goodfellow et al. (as Raschka's lecture gives it): `d_steps`
discriminator updates, each on the batch's real data and fresh noise, then `g_steps` generator updates
on fresh noise; with `reuse_noise` one noise batch serves every update of the iteration, as Kim's toy GAN feeds
its `Z_batch` to all 10 D and 10 G updates. Every architecture, the loss, the latent prior and the optimizers
are injected, so this file never names a concrete network. An iteration's losses and accuracies stay on the
device and reach the loggers in blocks (`ganlab.training_rows`), never through Lightning's `self.log`: the
progress bar shows the last written row's losses (`written_losses`), so Lightning's logged-metrics collection
stays empty.

Step accounting. Lightning's `global_step` counts `optimizer.step()` calls, so one iteration advances it
by `d_steps + g_steps`; the Trainer's `max_steps` is set from the user's iteration budget accordingly
(see `ganlab.iterations`) and `iteration` reports iterations. Logged rows are indexed by
Lightning's per-batch counter, which is the iteration count.

Tricks. The loss builds D's targets and penalty (label flipping and smoothing, R1, WGAN-GP). Every other
trick is a `ganlab.tricks.base.Trick` in `tricks`, called at its hooks: this file names none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext

import pytorch_lightning as pl
import torch
from torch import nn

from ganlab.iterations import iterations_of
from ganlab.latent import LatentPrior
from ganlab.losses.base import AdversarialLoss
from ganlab.run_record import RunRecord
from ganlab.training_rows import TrainingRows
from ganlab.tricks.base import Trick

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


def mean(values: list[torch.Tensor]) -> torch.Tensor:
    """The mean of an iteration's values of one quantity over its updates, a scalar each (or one value per seed of
    a pack); the value itself for a single update (no extra op)."""
    return values[0] if len(values) == 1 else torch.stack(values).mean(dim=0)


@contextmanager
def frozen(network: nn.Module) -> Iterator[None]:
    """`network`'s trainable parameters left out of autograd for the block, then made trainable again."""
    parameters = [parameter for parameter in network.parameters() if parameter.requires_grad]
    for parameter in parameters:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter in parameters:
            parameter.requires_grad_(True)


class IterationCounts:
    """A LightningModule's counts in training iterations, from its `d_steps`, `g_steps` and Lightning's optimizer
    steps (GANModule's, and a pack's: ganlab.packing.module)."""

    d_steps: int
    g_steps: int

    @property
    def optimizer_steps_per_iteration(self) -> int:
        return self.d_steps + self.g_steps

    @property
    def iteration(self) -> int:
        """Completed training iterations (each = d_steps D updates + g_steps G updates)."""
        return iterations_of(self.global_step, self.optimizer_steps_per_iteration)


class GANModule(IterationCounts, pl.LightningModule):
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
        tricks: dict[str, Trick] | None = None,
        data_shape: tuple[int, ...] | None = None,
        config: dict | None = None,
        compile_options: dict | None = None,
        channels_last: bool = False,
        reuse_noise: bool = False,
    ) -> None:
        """`tricks` (by config name) act at their hooks, in order; each configures the networks here.
        `config` (the run's resolved configuration) and `data_shape` are kept in checkpoints, so the module
        can be rebuilt from a checkpoint alone (`ganlab.sample`). `compile_options` (torch.compile's
        arguments) compile both networks in place when training starts; `channels_last` puts conv weights
        and real batches in NHWC layout."""
        super().__init__()
        self.automatic_optimization = False
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.latent = latent
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.d_steps, self.g_steps, self.reuse_noise = int(d_steps), int(g_steps), bool(reuse_noise)
        self.tricks = nn.ModuleDict(tricks or {})
        self.compile_options, self.channels_last = compile_options, bool(channels_last)
        self._networks_configured = False
        self.latest_losses: dict[str, torch.Tensor] = {}
        self.written_losses: dict[str, float] = {}  # the losses of the last row handed to the loggers
        self.training_rows = TrainingRows(block=50)  # the iterations' metrics.csv rows, written 50 at a time
        self.record = RunRecord()  # what this run's parts publish about it: status.json is written from it
        for trick in self.tricks.values():
            trick.configure_networks(generator, discriminator)
        self.save_hyperparameters("d_steps", "g_steps", "data_shape", "config")

    @property
    def planned_iterations(self) -> int | None:
        """The iterations trainer.max_steps plans (Lightning counts it in optimizer steps); None without a limit."""
        max_steps = self.trainer.max_steps
        return iterations_of(max_steps, self.optimizer_steps_per_iteration) if max_steps and max_steps > 0 else None

    @property
    def sampling_generator(self) -> nn.Module:
        """The generator that samples, pictures and metrics use: G, or what a trick puts in its place
        (G's moving average under trick=ema)."""
        generator = self.generator
        for trick in self.tricks.values():
            generator = trick.sampling_generator(generator)
        return generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.sampling_generator(z)

    def discriminator_input(self, x: torch.Tensor, iteration: int) -> torch.Tensor:
        """What D is shown for the samples x during training: x, as the tricks change it."""
        for trick in self.tricks.values():
            x = trick.discriminator_input(x, iteration)
        return x

    def discriminator_penalty(self, real: torch.Tensor, fake: torch.Tensor, iteration: int) -> torch.Tensor | None:
        """The loss's penalty (R1, WGAN-GP) plus the tricks' on D's inputs; None when there is none."""
        # Penalties differentiate D's input gradients, and a compiled graph cannot be differentiated twice: under
        # compile D runs eagerly here (only then: the switch is not free)
        with torch.compiler.set_stance("force_eager") if self.compile_options is not None else nullcontext():
            penalty = self.loss.discriminator_penalty(self.discriminator, real, fake)
            for trick in self.tricks.values():
                term = trick.discriminator_penalty(self.discriminator, real, fake, iteration)
                if term is not None:
                    penalty = term if penalty is None else penalty + term
        return penalty

    def on_fit_start(self) -> None:
        # Every DDP process was seeded alike, so that both networks start from the same weights; from here
        # on each draws its own noise (latents, flipped labels, instance noise), or the ranks' fakes would
        # repeat one another and the global batch would hold world_size copies of one sample.
        if self.trainer.world_size > 1:
            torch.manual_seed(torch.initial_seed() + self.global_rank)

    def configure_model(self) -> None:
        # Lightning calls this once per fit, before moving the module to its device and wrapping it for DDP.
        # Module.compile compiles in place: the state dict keeps its keys, so checkpoints and resume work
        # alike with and without it. A trick that keeps a copy of G (ema) made it before, eager and contiguous.
        if self._networks_configured:
            return
        self._networks_configured = True
        for network in (self.generator, self.discriminator):
            if self.channels_last:
                network.to(memory_format=torch.channels_last)
            if self.compile_options is not None:
                network.compile(**self.compile_options)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        return [
            self.generator_optimizer(self.generator.parameters()),
            self.discriminator_optimizer(self.discriminator.parameters()),
        ]

    def training_step(self, real: torch.Tensor, batch_idx: int) -> None:
        iteration = self.iteration
        # a metrics row every trainer.log_every_n_steps iterations, at the iterations Lightning's own rows were
        logged = (iteration + 1) % self.trainer.log_every_n_steps == 0
        g_opt, d_opt = self.optimizers()
        n = real.shape[0]
        if self.channels_last and real.dim() == 4:
            real = real.contiguous(memory_format=torch.channels_last)

        # D's updates see G's samples through no_grad; G's freeze D's weights, so that no gradient is computed for
        # them (Lightning's toggled_optimizer would walk every parameter of both optimizers to do it)
        d_losses, penalties, accuracies = [], [], []
        shared_noise = self.latent.sample(n, device=real.device) if self.reuse_noise else None
        for _ in range(self.d_steps):
            with torch.no_grad():
                fake = self.generator(self._noise(n, real.device, shared_noise))
            real_in, fake_in = self.discriminator_input(real, iteration), self.discriminator_input(fake, iteration)
            real_out, fake_out = self.discriminator(real_in), self.discriminator(fake_in)
            d_loss = self.loss.discriminator_loss(real_out, fake_out)
            penalty = self.discriminator_penalty(real_in, fake_in, iteration)
            d_opt.zero_grad(set_to_none=True)
            self.manual_backward(d_loss if penalty is None else d_loss + penalty)
            d_opt.step()
            d_losses.append(d_loss.detach())
            if penalty is not None:
                penalties.append(penalty.detach())
            if logged and (accuracy := self.loss.discriminator_accuracy(real_out.detach(), fake_out.detach())):
                accuracies.append(accuracy)

        g_losses = []
        with frozen(self.discriminator):
            for _ in range(self.g_steps):
                fake = self.generator(self._noise(n, real.device, shared_noise))
                g_loss = self.loss.generator_loss(self.discriminator(self.discriminator_input(fake, iteration)))
                g_opt.zero_grad(set_to_none=True)
                self.manual_backward(g_loss)
                g_opt.step()
                g_losses.append(g_loss.detach())

        for trick in self.tricks.values():
            trick.after_iteration(self.generator, iteration)

        # means over the iteration's updates, kept on the device: each read waits for it (a progress line, a checkpoint)
        self.latest_losses = {"train/d_loss": mean(d_losses), "train/g_loss": mean(g_losses)}
        if penalties:  # the loss or a trick has a penalty
            self.latest_losses["train/d_penalty"] = mean(penalties)
        if not logged:
            return
        # accuracies are on the balanced real/fake batch (the Flux tutorial); under DDP every value is written as the
        # mean over the processes, so it means what it means on one device
        row: dict[str, torch.Tensor | float] = dict(self.latest_losses)
        if accuracies:
            row["train/d_acc_real"] = mean([real for real, _ in accuracies])
            row["train/d_acc_fake"] = mean([fake for _, fake in accuracies])
        for trick in self.tricks.values():
            row.update({f"train/{key}": value for key, value in trick.logged_values(iteration).items()})
        self.training_rows.add(iteration, self.current_epoch, row)
        if len(self.training_rows) >= self.training_rows.block:
            self.write_training_rows()

    def _noise(self, n: int, device: torch.device, shared: torch.Tensor | None) -> torch.Tensor:
        return shared if shared is not None else self.latent.sample(n, device=device)

    def write_training_rows(self, reduce: bool = True) -> dict[str, float]:
        """Hand the iterations' rows kept so far to the loggers (see `ganlab.training_rows`); returns the last.
        `reduce=False` where not every DDP process gets here (a run stopping on an error)."""
        last = self.training_rows.write(self.trainer, reduce=reduce)
        if last:
            self.record.rows_written(self.training_rows.written)  # the guards and findings read them
        # for the progress bar, rather than self.log: a value logged once stays in Lightning's logged-metrics
        # collection, which it then computes twice an iteration for the rest of the epoch, and a logged tensor on
        # the GPU is read with .item() each time
        self.written_losses.update({key: last[key] for key in ("train/d_loss", "train/g_loss") if key in last})
        return last

    def on_train_end(self) -> None:
        self.write_training_rows()

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        self.write_training_rows()  # the rows up to the checkpoint belong with it: a resumed run continues after them
