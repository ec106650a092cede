"""A trained run's networks rebuilt from its checkpoint alone (`ganlab.sample`, `ganlab.rescore`).

The checkpoint is read as data (torch's weights-only unpickler, ganlab.lifecycle.checkpoint_reading), and the
config stored in it is built only when every `_target_` in it is declared by ganlab's configs or the given
config folders (ganlab.declared_targets), unless the caller trusts the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ganlab.module import GANModule


class NotRebuilt(ValueError):
    """A checkpoint whose networks cannot or may not be rebuilt; the message names the file and says why."""


@dataclass(frozen=True)
class StoredRun:
    module: GANModule  # with the checkpoint's weights
    config: dict[str, Any]  # the resolved config the run trained with
    checkpoint: dict[str, Any]  # as read: state_dict, global_step, ...


def rebuild(path: str | Path, search_path: Sequence[str] = (), trust: bool = False) -> StoredRun:
    """The run of checkpoint `path`, its networks built from its stored config and given its weights."""
    from omegaconf import OmegaConf

    from ganlab.declared_targets import UndeclaredTarget, check_stored_config
    from ganlab.errors import ConfigError
    from ganlab.lifecycle.checkpoint_reading import CheckpointRefused, read_checkpoint

    try:
        checkpoint = read_checkpoint(path)
    except CheckpointRefused as error:
        raise NotRebuilt(f"{path}: {error.reason}") from None
    hparams = checkpoint.get("hyper_parameters") or {}
    config, data_shape = hparams.get("config"), hparams.get("data_shape")
    if not isinstance(config, dict) or data_shape is None or "state_dict" not in checkpoint:
        raise NotRebuilt(f"{path}: not a ganlab checkpoint with its config, data shape and weights")
    if not trust:
        try:
            check_stored_config(config, str(path), search_path)
        except UndeclaredTarget as error:
            raise NotRebuilt(str(error)) from None
    from ganlab.build import build_module

    try:
        module = build_module(OmegaConf.create(config), tuple(data_shape))
        module.load_state_dict(checkpoint["state_dict"])
    except (ConfigError, RuntimeError) as error:  # RuntimeError: the weights do not fit the networks
        raise NotRebuilt(f"{path}: cannot rebuild its networks with this ganlab ({error})") from error
    return StoredRun(module, config, checkpoint)
