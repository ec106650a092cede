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
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ganlab.build import _instantiate, build_datamodule, build_evaluation, build_module, build_observers
from ganlab.errors import ConfigError
from ganlab.iterations import steps_of
from ganlab.lifecycle.status_file import Interrupted, read_status
from ganlab.lightning_fastpath.direct_cuda_check import DirectCudaCheck
from ganlab.lightning_fastpath.null_profiler import NullProfiler
from ganlab.packing.module import PackedGANModule
from ganlab.packing.resume import pack_checkpoint
from ganlab.packing.seed_runs import SeedRuns, seed_context
from ganlab.packing.seed_trainer import SeedTrainer
from ganlab.run_identity import training_identity
from ganlab.validate import validate_config

if TYPE_CHECKING:
    from ganlab.lifecycle.start import Start

log = logging.getLogger(__name__)


class StackedBatches:
    """The seeds' batch streams as one: batch p of the pack is batch p of every seed, stacked (K, n, ...). Each
    stream is made once, as Lightning makes a run's, and each epoch's iteration starts where its seed's run is."""

    def __init__(self, datamodules: Sequence[pl.LightningDataModule]) -> None:
        self.streams = [datamodule.train_dataloader() for datamodule in datamodules]

    def __len__(self) -> int:
        return min(len(stream) for stream in self.streams)

    def __iter__(self) -> Iterator[torch.Tensor]:
        for batches in zip(*self.streams, strict=False):
            yield torch.stack(batches)


def _pack_problem(configs: Sequence[DictConfig]) -> str | None:
    def shared(config: DictConfig) -> dict:
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


@dataclass
class Pack:
    """A pack built and ready to fit: its configs, Trainer, module, seeds' runs and data."""

    configs: Sequence[DictConfig]
    trainer: pl.Trainer
    packed: PackedGANModule
    seeds: list[SeedTrainer]
    seed_runs: SeedRuns
    datamodules: list[pl.LightningDataModule]


def train_pack(
    configs: Sequence[DictConfig],
    hydra_configs: Sequence[DictConfig] | None = None,
    starts: Sequence[Start] | None = None,
) -> dict[int, BaseException | None]:
    """Train the runs `configs` describe as one pack; {index: None (completed) or the error that ended it}.
    `hydra_configs`: each run's job config, as HydraConfig holds it, when a launcher started them. `starts`: each
    run's plan (ganlab.lifecycle.start), with the checkpoint it continues from (every seed's or none)."""
    return fit_pack(build_pack(configs, hydra_configs), starts)


def build_pack(configs: Sequence[DictConfig], hydra_configs: Sequence[DictConfig] | None = None) -> Pack:
    """Each seed's run built as a run alone is, and the pack over them; ConfigError for what cannot be packed."""
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
    return Pack(configs, trainer, packed, seeds, seed_runs, datamodules)


def fit_pack(pack: Pack, starts: Sequence[Start] | None = None) -> dict[int, BaseException | None]:
    """Train a built pack, from its seeds' checkpoints when `starts` found them; how each seed's run ended."""
    trainer, packed, seeds, seed_runs, first = pack.trainer, pack.packed, pack.seeds, pack.seed_runs, pack.configs[0]
    pl.seed_everything(first.seed, workers=True, verbose=False)  # the pack's draws: the same pack, the same numbers
    with tempfile.TemporaryDirectory(prefix="ganlab-pack-") as folder:
        checkpoint = None
        if starts is not None and any(start.checkpoint is not None for start in starts):
            checkpoint = pack_checkpoint(trainer, packed, seeds, starts, pack.configs, Path(folder))
            if checkpoint is None:
                log.info("nothing left to train: trainer.max_steps does not go past the checkpoints' iteration")
                return dict.fromkeys(range(len(seeds)))
        try:
            # weights_only: the pack's checkpoint holds the seeds' checkpoints' tensors, each read as data already
            batches = StackedBatches(pack.datamodules)
            trainer.fit(packed, train_dataloaders=batches, ckpt_path=checkpoint, weights_only=True)
        except SIGTERMException:  # every seed saved its checkpoint and wrote interrupted (its Preemption, RunStatus)
            name = read_status(Path(first.paths.output_dir)).get("signal", "SIGTERM")  # the signal, as it recorded
            raise Interrupted(
                name, f"{name} received: the pack stopped after {packed.iteration} iterations with each seed's "
                "checkpoint saved; the same command continues it",
            ) from None  # fmt: skip
    log.info("trained %d iterations of %d seeds in one pack", packed.iteration, len(seeds))
    return {seed.index: seed_runs.ended.get(seed.index) for seed in seeds}
