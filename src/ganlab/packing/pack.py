"""One pack: K run configs that differ only in their seed, built as K runs and trained as one.

`train_pack(configs)` builds each seed's run as `ganlab.train` builds a run alone (validated, seeded, its data,
GANModule, Evaluation, observers and lifecycle from its own config, writing into its own run directory), packs
the modules (`PackedGANModule`), and fits one Trainer whose only callback hands every hook on to the seeds'
observers (`SeedRuns`). It returns how each seed's run ended: None when it completed, else the error that
ended it (its status.json says the same). Each seed's data module serves the seed's own batches (its own data
order, and its own subset under data.limit); the pack stacks them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig

from ganlab.build import _instantiate, build_datamodule, build_evaluation, build_module, build_observers
from ganlab.errors import ConfigError
from ganlab.iterations import steps_of
from ganlab.lightning_fastpath.direct_cuda_check import DirectCudaCheck
from ganlab.lightning_fastpath.null_profiler import NullProfiler
from ganlab.packing.module import PackedGANModule
from ganlab.packing.seed_runs import SeedRuns, seed_context
from ganlab.packing.seed_trainer import SeedTrainer
from ganlab.validate import validate_config
from ganlab.wandb_logger import RunEndingWandbLogger

log = logging.getLogger(__name__)


class StackedBatches:
    """The seeds' batch streams as one: batch p of the pack is batch p of every seed, stacked (K, n, ...)."""

    def __init__(self, datamodules: Sequence[pl.LightningDataModule]) -> None:
        self.datamodules = list(datamodules)

    def __len__(self) -> int:
        return min(len(datamodule.train_dataloader()) for datamodule in self.datamodules)

    def __iter__(self) -> Iterator[torch.Tensor]:
        for batches in zip(*(datamodule.train_dataloader() for datamodule in self.datamodules), strict=False):
            yield torch.stack(batches)


def _pack_problem(configs: Sequence[DictConfig]) -> str | None:
    from ganlab.run_identity import training_identity

    def shared(config: DictConfig) -> dict:
        from omegaconf import OmegaConf

        identity = training_identity(OmegaConf.to_container(config, resolve=True))
        return {key: value for key, value in identity.items() if key.rsplit(".", 1)[-1] != "seed"}

    first = shared(configs[0])
    for config in configs[1:]:
        if (other := shared(config)) != first:
            differing = sorted(key for key in first.keys() | other.keys() if first.get(key) != other.get(key))
            return f"the runs of a pack differ only in their seed; these differ too: {', '.join(differing)}"
    if len({int(config.seed) for config in configs}) != len(configs):
        return "the runs of a pack need seeds of their own; two have the same seed"
    return None


def train_pack(
    configs: Sequence[DictConfig], hydra_configs: Sequence[DictConfig] | None = None
) -> dict[int, BaseException | None]:
    """Train the runs `configs` describe as one pack; {index: None (completed) or the error that ended it}.
    `hydra_configs`: each run's job config, as HydraConfig holds it, when a launcher started them."""
    if problem := _pack_problem(configs):
        raise ConfigError(problem)
    modules, datamodules, observers = [], [], []
    for index, config in enumerate(configs):
        with seed_context(index, hydra_configs[index] if hydra_configs else None):
            validate_config(config)
            pl.seed_everything(config.seed, workers=True, verbose=False)  # each seed's weights as alone
            datamodule = build_datamodule(config)
            modules.append(build_module(config, datamodule.data_shape))
            observers.append(build_observers(config, build_evaluation(config, datamodule)))
            datamodules.append(datamodule)
    if any(isinstance(logger, RunEndingWandbLogger) for loggers, _ in observers for logger in loggers):
        raise ConfigError("logger=wandb is not packed yet (one W&B run per process); use hydra/launcher=joblib")
    try:
        packed = PackedGANModule(modules)
    except ValueError as error:
        raise ConfigError(f"hydra/launcher=packed: {error}") from error
    first = configs[0]
    devices = first.trainer.get("devices", 1)
    one_device = devices == 1 or (not isinstance(devices, (int, str)) and len(devices) == 1)
    if not one_device or first.trainer.get("num_nodes", 1) != 1:
        raise ConfigError("trainer.devices: a pack trains on one device; use hydra/launcher=joblib for DDP runs")
    trainer = _instantiate(
        # the seeds log, save and show progress their own way
        first.trainer, "trainer", logger=False, enable_checkpointing=False, enable_progress_bar=False,
        max_steps=steps_of(first.trainer.max_steps, packed.optimizer_steps_per_iteration),
        callbacks=[DirectCudaCheck()], profiler=NullProfiler(),
    )  # fmt: skip
    parts = zip(modules, datamodules, observers, strict=True)
    seeds = [
        SeedTrainer(trainer, index, module, datamodule, loggers, callbacks, hydra_configs and hydra_configs[index])
        for index, (module, datamodule, (loggers, callbacks)) in enumerate(parts)
    ]
    for seed in seeds:
        seed.datamodule.trainer = seed  # its batches start where the seed's run is
    seed_runs = SeedRuns(seeds, packed.stop_seed)
    trainer.callbacks.insert(0, seed_runs)
    pl.seed_everything(first.seed, workers=True, verbose=False)  # the pack's draws: the same pack, the same numbers
    trainer.fit(packed, train_dataloaders=StackedBatches(datamodules))
    log.info("trained %d iterations of %d seeds in one pack", packed.iteration, len(seeds))
    return {seed.index: seed_runs.ended.get(seed.index) for seed in seeds}
