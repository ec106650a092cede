"""A checkpoint is data: one built to run a command when unpickled is refused by ganlab.sample and by a resume
before anything in it runs, and every checkpoint ganlab writes loads as data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from ganlab.errors import ConfigError
from ganlab.lifecycle.checkpoint_reading import CheckpointRefused, read_checkpoint
from ganlab.sample import SampleError, load_generator
from ganlab.train import run
from tests.helpers import compose_config


class RunsACommand:
    """Unpickled, it creates a file: the stand-in for any command a stranger's checkpoint could run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def booby_trapped(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "the command ran"
    checkpoint = tmp_path / "shared.ckpt"
    torch.save({"global_step": 2, "state_dict": {}, "hyper_parameters": {"config": {}}, "extra": RunsACommand(marker)},
               checkpoint)  # fmt: skip
    return checkpoint, marker


def test_a_checkpoint_that_would_run_code_is_refused_unread(tmp_path):
    checkpoint, marker = booby_trapped(tmp_path)
    with pytest.raises(CheckpointRefused, match=r"holds an object of posix.system, which loading would run as code"):
        read_checkpoint(checkpoint)
    with pytest.raises(SampleError, match=r"ckpt = .*shared.ckpt: holds an object of posix.system, which loading"):
        load_generator(checkpoint)
    with pytest.raises(ConfigError, match=r"ckpt_path: .*shared.ckpt: holds an object of posix.system"):
        run(compose_config(tmp_path / "run", "trainer=debug", f"ckpt_path={checkpoint}"))
    assert not marker.exists()


def test_every_checkpoint_ganlab_writes_loads_as_data(tmp_path):
    """The config as plain containers, RNG states as tensors and lists, the moving average's and the tricks' state."""
    run(compose_config(tmp_path / "run", "trainer=debug", "trainer.max_steps=2", "model=cnn",
                       "trick=[ema,instance_noise,flip]"))  # fmt: skip
    checkpoint = read_checkpoint(tmp_path / "run" / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 4 and checkpoint["hyper_parameters"]["config"]["model"]["generator"]["_target_"]
