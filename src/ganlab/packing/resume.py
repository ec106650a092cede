"""A pack continued from its seeds' checkpoints, exactly where it stopped.

Every seed of a pack saves at the same iteration, an ordinary run's checkpoint each (`SeedTrainer`). To continue
them as one pack, each seed's checkpoint is read (as data: `read_checkpoint`) into its own run: its GANModule's
weights (which, being views, fill the pack's stacks), its callbacks' states, and its directory's metrics.csv and
.hydra files as `Start.ready_to_fit` brings any continued run up to date. The pack's own checkpoint is then put
together from them: the stacks, the seeds' optimizer states stacked (each per-weight tensor along the seed
dimension; a step count all seeds share), and the loop counters, which are every seed's. Lightning's own resume
reads it (`trainer.fit(ckpt_path=...)`), so the pack's counters, optimizers and data position are restored as
for any run. The random state is each seed's RandomStates', the same for all: they were saved together.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl
import torch

from ganlab.errors import ConfigError
from ganlab.lifecycle.checkpoint_reading import read_checkpoint
from ganlab.packing.seed_runs import seed_context

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from ganlab.lifecycle.start import Start
    from ganlab.packing.module import PackedGANModule
    from ganlab.packing.seed_trainer import SeedTrainer


def stacked_optimizer_state(states: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One optimizer state over stacked weights from the seeds' states of the same optimizer."""
    first = states[0]
    stacked: dict[Any, dict[str, Any]] = {}
    for number, per_weight in first["state"].items():
        stacked[number] = {
            key: torch.stack([state["state"][number][key] for state in states])
            if isinstance(value, torch.Tensor) and value.dim() > 0 else value
            for key, value in per_weight.items()
        }  # fmt: skip
    return {"state": stacked, "param_groups": first["param_groups"]}


def pack_checkpoint(
    pack: pl.Trainer,
    packed: PackedGANModule,
    seeds: Sequence[SeedTrainer],
    starts: Sequence[Start],
    configs: Sequence[DictConfig],
    folder: Path,
) -> Path | None:
    """Each seed's run continued from its checkpoint, and the pack's checkpoint for Lightning to resume, written
    into `folder`; None when there is nothing left to train (each seed's status.json then says completed)."""
    steps = {start.global_step for start in starts}
    if len(steps) != 1:
        found = ", ".join(f"{start.output_dir}: {start.global_step}" for start in starts)
        raise ConfigError(f"the seeds of a pack continue from one step; their checkpoints are at {found}")
    checkpoints = [read_checkpoint(start.checkpoint) for start in starts]
    ready = []
    for seed, start, config, checkpoint in zip(seeds, starts, configs, checkpoints, strict=True):
        with seed_context(seed.index, seed.hydra_config):
            seed.lightning_module.load_state_dict(checkpoint["state_dict"])  # into the pack's stacks: views
            saved = checkpoint.get("callbacks") or {}
            for callback in seed.callbacks:
                if callback.state_key in saved:
                    callback.load_state_dict(saved[callback.state_key])
            seed.ckpt_path = str(start.checkpoint)
            steps_per_iteration = packed.optimizer_steps_per_iteration
            start.count_iterations(steps_per_iteration)
            ready.append(start.ready_to_fit(config, seed, steps_per_iteration))
    if not all(ready):
        return None
    first = checkpoints[0]
    combined = {
        "epoch": first["epoch"],
        "global_step": first["global_step"],
        "pytorch-lightning_version": pl.__version__,
        "state_dict": packed.state_dict(),
        "loops": first["loops"],
        "optimizer_states": [
            stacked_optimizer_state([checkpoint["optimizer_states"][number] for checkpoint in checkpoints])
            for number in range(len(first["optimizer_states"]))
        ],
        "lr_schedulers": [],
        "callbacks": {},
    }
    path = folder / "pack.ckpt"
    pack.strategy.save_checkpoint(combined, path)
    return path
