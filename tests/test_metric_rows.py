"""Training rows reach metrics.csv in blocks: the same values, in order, and none lost however a run ends."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch

from ganlab.build import build_run
from ganlab.module import GANModule
from tests.helpers import read_metrics


class Recorder(pl.Callback):
    """Each iteration's losses as the module computed them; fails at `fail_at` when given."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.losses: list[tuple[float, float]] = []
        self.fail_at = fail_at

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        losses = pl_module.latest_losses
        self.losses.append((losses["train/d_loss"].item(), losses["train/g_loss"].item()))
        if pl_module.iteration == self.fail_at:
            raise RuntimeError("a bug in a callback")


def fit(make_config, recorder: Recorder, *overrides: str) -> None:
    datamodule, module, trainer = build_run(make_config("metric=none", *overrides))
    trainer.callbacks.append(recorder)
    trainer.fit(module, datamodule=datamodule)


def test_every_iteration_is_written_with_the_losses_it_computed(make_config, tmp_path):
    recorder = Recorder()
    fit(make_config, recorder, "trainer.max_steps=120")  # blocks of 50: two full ones and 20 at the end
    rows = read_metrics(tmp_path / "run")
    assert [int(row["step"]) for row in rows] == list(range(120))
    assert [(float(row["train/d_loss"]), float(row["train/g_loss"])) for row in rows] == recorder.losses
    assert {row["epoch"] for row in rows[:28]} == {"0"} and rows[28]["epoch"] == "1"  # 28 batches of 64 digits


def test_a_run_that_fails_between_two_writes_keeps_every_row(make_config, tmp_path):
    with pytest.raises(RuntimeError, match="a bug in a callback"):
        fit(make_config, Recorder(fail_at=13), "trainer.max_steps=120")
    assert [int(row["step"]) for row in read_metrics(tmp_path / "run")] == list(range(13))


def test_rows_every_n_iterations_keep_their_iterations(make_config, tmp_path):
    fit(make_config, Recorder(), "trainer.max_steps=30", "trainer.log_every_n_steps=10")
    assert [row["step"] for row in read_metrics(tmp_path / "run")] == ["9", "19", "29"]


def test_the_progress_bar_gets_each_blocks_last_losses_as_cpu_tensors(make_config, tmp_path, monkeypatch):
    # Lightning reads every progress-bar value with .item() at every later iteration of the epoch: a value on
    # the GPU would make the host wait for the device there (four times an iteration, seen on an H100)
    shown = []
    log_dict = GANModule.log_dict

    def spy(self, values, **kwargs):
        shown.append(values)
        return log_dict(self, values, **kwargs)

    monkeypatch.setattr(GANModule, "log_dict", spy)
    recorder = Recorder()
    fit(make_config, recorder, "trainer.max_steps=110", "data.batch_size=16")  # in the first epoch, of 112
    assert len(shown) == 2  # after the blocks ending at iterations 50 and 100
    for values, iteration in zip(shown, (49, 99), strict=True):
        assert all(isinstance(value, torch.Tensor) and value.device.type == "cpu" for value in values.values())
        losses = (values["train/d_loss"].item(), values["train/g_loss"].item())
        assert losses == pytest.approx(recorder.losses[iteration])
