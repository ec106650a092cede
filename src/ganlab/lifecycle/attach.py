"""The lifecycle's callbacks, built for every Trainer from the `lifecycle:` settings of conf/train.yaml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf

from ganlab.errors import ConfigError, InvalidValue
from ganlab.lifecycle.checkpoints import RunCheckpoint
from ganlab.lifecycle.plan import CHECKPOINT
from ganlab.lifecycle.random_state import RandomStates
from ganlab.lifecycle.signals import Preemption
from ganlab.lifecycle.status import RunStatus


def _made(key: str, make: Callable[..., pl.Callback], **arguments: Any) -> pl.Callback:
    """`make(**arguments)`, its refusal of a value reported under the lifecycle key it came from."""
    try:
        return make(**arguments)
    except InvalidValue as error:
        raise ConfigError(f"lifecycle.{key}{error.name} = {error.value!r}: must be {error.allowed}") from None


def lifecycle_callbacks(cfg: DictConfig) -> list[pl.Callback]:
    """The checkpoint, status, pre-emption and RNG-state callbacks of the run `cfg` describes."""
    settings = OmegaConf.to_container(cfg.lifecycle, resolve=True)
    output_dir = Path(cfg.paths.output_dir)
    checkpoint = settings["checkpoint"] or {}
    preemption = _made("", Preemption, checkpoint=str(output_dir / CHECKPOINT), signals=settings["signals"])
    return [
        # another key under lifecycle.checkpoint goes to ModelCheckpoint (+lifecycle.checkpoint.verbose=true)
        _made(
            "checkpoint.",
            RunCheckpoint,
            dirpath=str(output_dir / CHECKPOINT.parent),
            filename=CHECKPOINT.stem,
            save_top_k=1,
            enable_version_counter=False,
            **checkpoint,
        ),  # fmt: skip
        preemption,
        _made("status.", RunStatus, path=str(output_dir / "status.json"), preemption=preemption, **settings["status"]),
        RandomStates(),
    ]
