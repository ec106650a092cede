"""PackedGANModule: K runs that differ only in their seed, trained as one LightningModule.

Each seed is an ordinary GANModule, built as the run alone builds it (its seed's initial weights, its own loss,
latent prior and tricks). The pack stacks the seeds' generators and discriminators (`StackedNetworks`, whose
seed networks stay views of the stacks) and runs GANModule's iteration on all of them at once: Algorithm 1 as
`GANModule.training_step` gives it, with every tensor carrying a leading seed dimension, K.

Why each seed trains as it would alone:
- every network, loss and accuracy is computed per seed (vmap), never across seeds;
- the pack's loss for backward is the sum of the seeds' losses, so seed k's gradient is its own loss's gradient;
- the optimizers work elementwise (Adam, AdamW, RMSprop, SGD: `ganlab.packing.packable`), so one step of the
  stacks is K steps of the seeds;
- each seed draws its own noise through its own latent prior, and D's inputs are changed per sample by the
  tricks (instance noise, DiffAugment), which treat each sample alone;
- a penalty on D (R1, WGAN-GP) is each seed's mean of its own samples' terms (`_penalty`).

Randomness is the pack's: torch's global RNG, seeded once for the pack, serves every seed in turn, so a packed
seed repeats bit for bit when packed the same way, and draws other numbers than the same seed alone (the same
distributions; docs/studies.md, "Seeds in one process"). What does not pack is refused before training (`packable`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytorch_lightning as pl
import torch
from torch.func import vmap

from ganlab.module import GANModule, IterationCounts, frozen, mean
from ganlab.packing.packable import check_packable
from ganlab.packing.stacked import StackedNetworks


def per_sample(change: Callable[[torch.Tensor, int], torch.Tensor], x: torch.Tensor, iteration: int) -> torch.Tensor:
    """`change` (a trick's discriminator_input) on the pack's samples (K, n, ...) as one batch of K * n."""
    return change(x.flatten(0, 1), iteration).unflatten(0, x.shape[:2])


class PackedGANModule(IterationCounts, pl.LightningModule):
    def __init__(self, seeds: Sequence[GANModule]) -> None:
        super().__init__()
        check_packable(seeds)
        self.automatic_optimization = False
        self.seeds = list(seeds)  # a plain list: their networks' tensors are views of the stacks below
        first = self.seeds[0]
        self.generators = StackedNetworks([seed.generator for seed in self.seeds])
        self.discriminators = StackedNetworks([seed.discriminator for seed in self.seeds])
        self.d_steps, self.g_steps, self.reuse_noise = first.d_steps, first.g_steps, first.reuse_noise
        # every seed's loss and tricks have the same settings (check_packable); the first's serve the pack where
        # they keep no state of a seed's own
        self.loss, self.tricks = first.loss, list(first.tricks.values())
        self.latest_losses: dict[str, torch.Tensor] = {}  # the last iteration's, each of shape (K,)
        self.stopped: dict[int, list[tuple[torch.Tensor, torch.Tensor]]] = {}  # frozen seeds: (stack, its weights)

    def stop_seed(self, index: int) -> None:
        """Freeze seed `index` where it is (its run has ended: diverged, say): its weights stay as they are now while
        the pack trains on. Its slice is still computed, and put back after every update."""
        stacks = [*self.generators.parameters(), *self.generators.buffers()]
        stacks += [*self.discriminators.parameters(), *self.discriminators.buffers()]
        self.stopped[index] = [(stack, stack.detach()[index].clone()) for stack in stacks]

    def _keep_stopped_seeds(self) -> None:
        with torch.no_grad():
            for index, kept in self.stopped.items():
                for stack, weights in kept:
                    stack[index].copy_(weights)

    @property
    def running_seeds(self) -> list[tuple[int, GANModule]]:
        return [(index, seed) for index, seed in enumerate(self.seeds) if index not in self.stopped]

    def _apply(self, fn, recurse=True):  # noqa: ANN001 (nn.Module's own signature)
        # the seeds' own tensors (a trick's state: G's moving average) move with the pack; their networks' views
        # are made anew by the stacks, after them
        for seed in self.seeds:
            seed._apply(fn, recurse)
        return super()._apply(fn, recurse)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        first = self.seeds[0]
        return [
            first.generator_optimizer(self.generators.parameters()),
            first.discriminator_optimizer(self.discriminators.parameters()),
        ]

    def _noise(self, n: int, device: torch.device) -> torch.Tensor:
        """(K, n, latent) noise, each seed's drawn by its own latent prior."""
        return torch.stack([seed.latent.sample(n, device=device) for seed in self.seeds])

    def _discriminator_input(self, x: torch.Tensor, iteration: int) -> torch.Tensor:
        for trick in self.tricks:
            x = per_sample(trick.discriminator_input, x, iteration)
        return x

    def _penalty(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor | None:
        """Each seed's penalty on D (R1, WGAN-GP), (K,); None without one. The loss differentiates D's outputs with
        respect to its inputs, so it is handed the pack as one batch of K * n samples and D as a function of
        that batch: each sample's gradient comes from its own seed's weights, and each seed's penalty is the mean
        of its own samples' terms, as alone."""
        seeds, n = real.shape[:2]

        def discriminator(samples: torch.Tensor) -> torch.Tensor:
            return self.discriminators(samples.unflatten(0, (seeds, n))).flatten()

        terms = self.loss.sample_penalties(discriminator, real.flatten(0, 1), fake.flatten(0, 1))
        return None if terms is None else terms.view(seeds, n).mean(dim=1)

    def training_step(self, real: torch.Tensor, batch_idx: int) -> None:
        """One iteration of every seed: `real` holds each seed's batch, (K, n, ...)."""
        iteration = self.iteration
        logged = (iteration + 1) % self.trainer.log_every_n_steps == 0
        g_opt, d_opt = self.optimizers()
        n = real.shape[1]
        per_seed = {"randomness": "different"}  # a flipped label is drawn for each seed's samples, as alone

        d_losses, penalties, accuracies = [], [], []
        shared_noise = self._noise(n, real.device) if self.reuse_noise else None
        for _ in range(self.d_steps):
            with torch.no_grad():
                fake = self.generators(shared_noise if shared_noise is not None else self._noise(n, real.device))
            real_in, fake_in = self._discriminator_input(real, iteration), self._discriminator_input(fake, iteration)
            real_out, fake_out = self.discriminators(real_in), self.discriminators(fake_in)
            d_loss = vmap(self.loss.discriminator_loss, **per_seed)(real_out, fake_out)
            penalty = self._penalty(real_in, fake_in)
            d_opt.zero_grad(set_to_none=True)
            # seed k's gradient is its own loss's: the seeds share no weight
            self.manual_backward(d_loss.sum() if penalty is None else (d_loss + penalty).sum())
            d_opt.step()
            if self.stopped:
                self._keep_stopped_seeds()
            d_losses.append(d_loss.detach())
            if penalty is not None:
                penalties.append(penalty.detach())
            if logged and self.loss.decision_threshold is not None:
                accuracies.append(vmap(self.loss.discriminator_accuracy)(real_out.detach(), fake_out.detach()))

        g_losses = []
        with frozen(self.discriminators):
            for _ in range(self.g_steps):
                noise = shared_noise if shared_noise is not None else self._noise(n, real.device)
                fake_out = self.discriminators(self._discriminator_input(self.generators(noise), iteration))
                g_loss = vmap(self.loss.generator_loss)(fake_out)
                g_opt.zero_grad(set_to_none=True)
                self.manual_backward(g_loss.sum())
                g_opt.step()
                if self.stopped:
                    self._keep_stopped_seeds()
                g_losses.append(g_loss.detach())

        for _, seed in self.running_seeds:  # a trick's state is the seed's own (G's moving average)
            for trick in seed.tricks.values():
                trick.after_iteration(seed.generator, iteration)

        self.latest_losses = {"train/d_loss": mean(d_losses), "train/g_loss": mean(g_losses)}
        if penalties:
            self.latest_losses["train/d_penalty"] = mean(penalties)
        if not logged:
            return
        rows: dict[str, torch.Tensor] = dict(self.latest_losses)
        if accuracies:
            rows["train/d_acc_real"] = mean([real for real, _ in accuracies])
            rows["train/d_acc_fake"] = mean([fake for _, fake in accuracies])
        for index, seed in self.running_seeds:  # the seeds' observers write them (ganlab.packing.seed_runs)
            row: dict[str, torch.Tensor | float] = {key: values[index] for key, values in rows.items()}
            for trick in seed.tricks.values():
                row.update({f"train/{key}": value for key, value in trick.logged_values(iteration).items()})
            seed.training_rows.add(iteration, self.current_epoch, row)
