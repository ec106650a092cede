"""Training rows reach metrics.csv in blocks: the same values, in order, and none lost however a run ends."""

from __future__ import annotations

import traceback

import pytest
import pytorch_lightning as pl
import torch

from ganlab.build import build_run
from ganlab.callbacks.progress_bar import LossBar
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


def test_the_progress_bar_shows_each_blocks_last_losses_without_lightnings_logging(make_config, tmp_path, monkeypatch):
    # a value given to self.log stays in Lightning's logged-metrics collection, which it then computes twice an
    # iteration for the rest of the epoch (and reads with .item(), a wait for a GPU): the bar gets the losses
    # of the last row written instead, every 50 iterations
    logged = []
    monkeypatch.setattr(GANModule, "log", lambda self, *args, **kwargs: logged.append(args))
    monkeypatch.setattr(GANModule, "log_dict", lambda self, *args, **kwargs: logged.append(args))

    class BarValues(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.shown: list[dict] = []

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
            self.shown.append(LossBar().get_metrics(trainer, pl_module))

    recorder = BarValues()
    datamodule, module, trainer = build_run(make_config("metric=none", "trainer.max_steps=110", "data.batch_size=16"))
    trainer.callbacks.append(recorder)
    trainer.fit(module, datamodule=datamodule)
    assert logged == [] and trainer.progress_bar_metrics == {}
    for iteration in (0, 48):
        assert "train/d_loss" not in recorder.shown[iteration]  # nothing written yet
    for iteration, written in ((49, 49), (98, 49), (99, 99), (109, 99)):
        shown = recorder.shown[iteration]
        assert (shown["train/d_loss"], shown["train/g_loss"]) == pytest.approx(recorder.losses[written])
    # the rows written when training ends: the last 10
    assert (module.written_losses["train/d_loss"], module.written_losses["train/g_loss"]) == pytest.approx(
        recorder.losses[109]
    )


class DeviceReads(pl.Callback):
    """The iterations (0-based, -1 before the first) in which something read a tensor's value on the host: on a
    GPU each is a wait for the device, during which the next iteration's work is not queued. Reads by
    torch.optim are left out: Adam keeps its step counts on the host, and a hand-written loop reads them too."""

    READS = ("item", "tolist", "__float__", "__bool__", "__int__", "cpu")

    def __init__(self, monkeypatch) -> None:
        self.current, self.iterations = -1, set()
        for name in self.READS:
            monkeypatch.setattr(torch.Tensor, name, self._counted(getattr(torch.Tensor, name)))

    def _counted(self, read):
        def counted(tensor, *args, **kwargs):
            if "torch/optim/" not in traceback.extract_stack(limit=2)[0].filename:
                self.iterations.add(self.current)
            return read(tensor, *args, **kwargs)

        return counted

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.current = pl_module.iteration


def test_training_waits_for_the_device_only_to_write_rows_and_draw_pictures(make_config, monkeypatch):
    reads = DeviceReads(monkeypatch)
    datamodule, module, trainer = build_run(make_config("metric=none", "trainer.max_steps=120"))
    trainer.callbacks.append(reads)
    trainer.fit(module, datamodule=datamodule)
    # the rows' blocks of 50 (iterations 50 and 100), progress.png's row at each 28-iteration epoch's end, and
    # the end of training (the last rows, the last pictures, the divergence guard's check); none in between
    assert sorted(reads.iterations - {-1}) == [27, 49, 55, 83, 99, 111, 119]
