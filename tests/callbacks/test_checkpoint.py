"""checkpoints/last.ckpt: saved every `every_n_epochs` epochs and always where training stops."""

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from ganlab.build import build_run
from ganlab.callbacks.checkpoint import RunCheckpoint

FAST = ["trainer=debug", "metric=none"]


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
    # 1797 digits in batches of 256: 7 iterations an epoch; 5 epochs, a save every 2nd and at the 5th
    epochs = ["data.batch_size=256", "trainer.max_steps=-1", "trainer.max_epochs=5"]
    saved, _ = train(make_config, tmp_path, "epochs", *epochs, "callbacks.checkpoint.every_n_epochs=2")
    assert saved == [14, 28, 35]


def test_a_run_stopping_between_saving_epochs_ends_with_the_checkpoint_an_every_epoch_run_saves(make_config, tmp_path):
    # max_steps stops the run 5 iterations into its first epoch, which every_n_epochs=3 would not save
    saved, rare = train(make_config, tmp_path, "rare", "callbacks.checkpoint.every_n_epochs=3")
    _, every = train(make_config, tmp_path, "every")
    assert saved == [5]
    # the same point of the loop as a run that saves every epoch: `ckpt_path=last` resumes it alike
    assert rare["global_step"] == every["global_step"] == 10
    assert rare["loops"] == every["loops"]
    assert all(torch.equal(rare["state_dict"][key], value) for key, value in every["state_dict"].items())


def test_the_checkpoints_state_key_is_lightnings_so_earlier_checkpoints_still_restore_it(tmp_path):
    checkpoint = RunCheckpoint(dirpath=tmp_path, every_n_epochs=3)
    assert checkpoint.state_key == ModelCheckpoint.state_key.fget(checkpoint)
    assert checkpoint.state_key.startswith("RunCheckpoint{") and "'every_n_epochs': 3" in checkpoint.state_key
