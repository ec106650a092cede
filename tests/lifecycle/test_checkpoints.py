"""checkpoints/last.ckpt: saved every `every_n_epochs` epochs, at most every `min_seconds_between_saves`, and
always where training stops."""

import types

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from ganlab.build import build_run
from ganlab.errors import ConfigError
from ganlab.lifecycle.checkpoints import RunCheckpoint

FAST = ["trainer=debug", "metric=none"]
EVERY_EPOCH = "lifecycle.checkpoint.min_seconds_between_saves=0"
# 1797 digits in batches of 256: 7 iterations an epoch; 5 epochs
FIVE_EPOCHS = ["data.batch_size=256", "trainer.max_steps=-1", "trainer.max_epochs=5"]


class SavedAt(pl.Callback):
    """The iteration of every checkpoint written."""

    def __init__(self) -> None:
        self.iterations = []

    def on_save_checkpoint(self, trainer, pl_module, checkpoint) -> None:
        self.iterations.append(pl_module.iteration)


def train(make_config, tmp_path, name, *overrides):
    pl.seed_everything(0)
    datamodule, module, trainer = build_run(make_config(*FAST, *overrides, output_dir=tmp_path / name))
    saved = SavedAt()
    trainer.callbacks.append(saved)
    trainer.fit(module, datamodule=datamodule)
    return saved.iterations, torch.load(tmp_path / name / "checkpoints" / "last.ckpt", weights_only=False)


def test_every_n_epochs_saves_those_epochs_and_the_one_where_training_stops(make_config, tmp_path):
    every_second = "lifecycle.checkpoint.every_n_epochs=2"
    saved, _ = train(make_config, tmp_path, "epochs", *FIVE_EPOCHS, every_second, EVERY_EPOCH)
    assert saved == [14, 28, 35]


def test_by_default_a_short_run_saves_only_where_it_stops(make_config, tmp_path):
    # five epochs in far less than the default 600 s between saves
    saved, checkpoint = train(make_config, tmp_path, "short", *FIVE_EPOCHS)
    assert saved == [35]
    assert checkpoint["global_step"] == 2 * 35


def test_an_epoch_end_saves_once_min_seconds_between_saves_have_passed(make_config, tmp_path, monkeypatch):
    # a clock that reads 10 s per iteration trained: epoch ends at 70, 140, 210, 280 and 350 s. Saves at 140 (140 s
    # after the start), 280 (140 after that save; 210 was 70 after it) and 350, where training stops
    pl.seed_everything(0)
    cfg = make_config(*FAST, *FIVE_EPOCHS, "lifecycle.checkpoint.min_seconds_between_saves=100")
    datamodule, module, trainer = build_run(cfg)
    clock = types.SimpleNamespace(monotonic=lambda: 10.0 * module.iteration)
    monkeypatch.setattr("ganlab.lifecycle.checkpoints.time", clock)
    saved = SavedAt()
    trainer.callbacks.append(saved)
    trainer.fit(module, datamodule=datamodule)
    assert saved.iterations == [14, 28, 35]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("lifecycle.checkpoint.min_seconds_between_saves=-1", r"min_seconds_between_saves = -1: must be a number"),
        (
            "+lifecycle.checkpoint.train_time_interval=00:10:00",
            r"lifecycle.checkpoint.train_time_interval = '00:10:00': must be null: Lightning ignores it under "
            r"manual optimization",
        ),
    ],
)
def test_a_cadence_that_would_not_work_is_refused_before_training(make_config, override, message):
    with pytest.raises(ConfigError, match=message):
        build_run(make_config(*FAST, override))


def test_a_run_stopping_between_saving_epochs_ends_with_the_checkpoint_an_every_epoch_run_saves(make_config, tmp_path):
    # max_steps stops the run 5 iterations into its first epoch, which every_n_epochs=3 would not save
    saved, rare = train(make_config, tmp_path, "rare", "lifecycle.checkpoint.every_n_epochs=3", EVERY_EPOCH)
    _, every = train(make_config, tmp_path, "every", EVERY_EPOCH)
    assert saved == [5]
    # the same point of the loop as a run that saves every epoch: `ckpt_path=last` resumes it alike
    assert rare["global_step"] == every["global_step"] == 10
    assert rare["loops"] == every["loops"]
    assert all(torch.equal(rare["state_dict"][key], value) for key, value in every["state_dict"].items())


def test_the_checkpoints_state_key_is_lightnings_so_earlier_checkpoints_still_restore_it(tmp_path):
    checkpoint = RunCheckpoint(dirpath=tmp_path, every_n_epochs=3)
    assert checkpoint.state_key == ModelCheckpoint.state_key.fget(checkpoint)
    assert checkpoint.state_key.startswith("RunCheckpoint{") and "'every_n_epochs': 3" in checkpoint.state_key
