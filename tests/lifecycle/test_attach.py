"""The lifecycle is attached to every Trainer, whatever the config's callbacks: no option switches it off."""

from __future__ import annotations

import pytest
from omegaconf import open_dict

from ganlab.build import build_run
from ganlab.errors import ConfigError
from ganlab.lifecycle.checkpoints import RunCheckpoint
from ganlab.lifecycle.random_state import RandomStates
from ganlab.lifecycle.signals import Preemption
from ganlab.lifecycle.status import RunStatus
from ganlab.lightning_fastpath.callback_group import every_callback

LIFECYCLE = (RunCheckpoint, Preemption, RunStatus, RandomStates)


def test_every_trainer_has_the_lifecycle_even_without_a_single_observer(make_config):
    config = make_config("trainer=debug", "metric=none")
    with open_dict(config):
        config.callbacks = {}  # every observer off
    _, _, trainer = build_run(config)
    kinds = [type(callback) for callback in every_callback(trainer)]
    assert all(kinds.count(kind) == 1 for kind in LIFECYCLE)
    (checkpoint,) = [callback for callback in every_callback(trainer) if isinstance(callback, RunCheckpoint)]
    assert checkpoint.dirpath.endswith("checkpoints") and checkpoint.min_seconds_between_saves == 600


def test_the_old_switches_are_gone_and_a_bad_setting_names_its_lifecycle_key(make_config):
    with pytest.raises(Exception, match="status"):  # Hydra: no such key under callbacks
        make_config("callbacks.status=null")
    with pytest.raises(ConfigError, match=r"lifecycle.status.heartbeat_seconds = 0: must be a positive number"):
        build_run(make_config("trainer=debug", "metric=none", "lifecycle.status.heartbeat_seconds=0"))
