"""What one seed's observers see of the Trainer that trains its pack: a run of its own.

A packed seed is observed by the callbacks and loggers its run would have alone (its Evaluation, pictures,
progress, findings, status.json, checkpoint, metrics.csv), built from its own config (`ganlab.build.build_observers`).
They are handed a `SeedTrainer` in place of the Trainer: the pack's counters, limits and strategy, which every
seed shares (the seeds train in lockstep, so the pack's iteration is each seed's), and the seed's own data,
loggers, callbacks and checkpoint. The attributes below are the ones ganlab's observers read of a Trainer
(`ganlab.contracts` names what they read of the module); a seed's module is its ordinary GANModule, whose
networks are views of the pack's stacks.

A seed's checkpoint is an ordinary run's checkpoint (`save_checkpoint`): its GANModule's state dict, its slice of
the pack's optimizer states, the pack's loop counters (a seed's own, since all seeds are at the same iteration),
its callbacks' states and its config. `ganlab.sample` and `ganlab.report` read it as any run's, and the seed can
be continued alone from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl
import torch

from ganlab.lightning_fastpath.callback_group import grouped

if TYPE_CHECKING:
    from pathlib import Path

    from ganlab.module import GANModule


def seed_slice(state: dict[str, Any], index: int) -> dict[str, Any]:
    """Seed `index`'s part of a stacked optimizer's state dict: each per-weight tensor's slice, scalars (Adam's
    step count, which all seeds share) as they are."""
    sliced = {
        number: {
            key: value[index].clone() if isinstance(value, torch.Tensor) and value.dim() > 0 else value
            for key, value in per_weight.items()
        }
        for number, per_weight in state["state"].items()
    }
    return {"state": sliced, "param_groups": state["param_groups"]}


class SeedTrainer:
    def __init__(
        self,
        pack: pl.Trainer,
        index: int,
        module: GANModule,
        datamodule: pl.LightningDataModule,
        loggers: list[pl.loggers.Logger],
        callbacks: list[pl.Callback],
        hydra_config: Any = None,
    ) -> None:
        """`hydra_config`: Hydra's config of the seed's job (HydraConfig's), when a launcher started it."""
        self.pack, self.index, self.lightning_module, self.datamodule = pack, index, module, datamodule
        self.hydra_config = hydra_config
        self.loggers = loggers
        self.callbacks = grouped(callbacks)  # as a run alone holds them
        self.should_stop = False  # this seed's: a diverged seed stops while its pack goes on
        self.ckpt_path: str | None = None  # the checkpoint the seed continues from (packing.resume); None: fresh
        module.trainer = self  # the module's counters (global_step, iteration) read the pack's through it

    # what a progress display reads of the values logged through self.log: ganlab's module logs none
    progress_bar_metrics: dict[str, float] = {}  # noqa: RUF012 (read only)

    # one process, one device: a pack is never spread over processes (packing.packable refuses DDP)
    world_size, global_rank, is_global_zero = 1, 0, True

    @property
    def logger(self) -> pl.loggers.Logger | None:
        return self.loggers[0] if self.loggers else None

    def save_checkpoint(self, filepath: str | Path, weights_only: bool = False, storage_options: Any = None) -> None:
        """The seed's checkpoint, as the run alone would have written it."""
        module = self.lightning_module
        checkpoint: dict[str, Any] = {
            "epoch": self.current_epoch,
            "global_step": self.global_step,
            "pytorch-lightning_version": pl.__version__,
            "state_dict": module.state_dict(),
            # the pack's loops are where this seed's would be: the same batches, steps and epochs
            "loops": self.pack._checkpoint_connector._get_loops_state_dict(),
            "hparams_name": "kwargs",
            "hyper_parameters": dict(module.hparams),
        }
        if not weights_only:
            checkpoint["optimizer_states"] = [
                seed_slice(optimizer.state_dict(), self.index) for optimizer in self.pack.optimizers
            ]
            checkpoint["lr_schedulers"] = []
            checkpoint["callbacks"] = {
                callback.state_key: state for callback in self.callbacks if (state := callback.state_dict())
            }
            for callback in self.callbacks:
                callback.on_save_checkpoint(self, module, checkpoint)
        module.on_save_checkpoint(checkpoint)
        self.pack.strategy.save_checkpoint(checkpoint, filepath, storage_options=storage_options)


def _the_packs(name: str) -> property:
    return property(lambda self: getattr(self.pack, name), doc=f"The pack's `{name}`, which is each seed's.")


# what a seed's observers read of the Trainer that is the pack's: the seeds train in lockstep on one process
for _name in ("global_step", "current_epoch", "max_steps", "max_epochs", "log_every_n_steps", "limit_val_batches",
              "enable_progress_bar", "interrupted", "strategy", "profiler"):  # fmt: skip
    setattr(SeedTrainer, _name, _the_packs(_name))
