"""A run whose losses stop being finite ends `diverged`, keeping its metrics and its last good checkpoint."""

from __future__ import annotations

import json
import logging
import math

import pytest
import torch
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ganlab.build import build_run
from ganlab.callbacks.divergence import DivergenceGuard
from ganlab.errors import InvalidValue
from ganlab.lifecycle.status_file import Diverged
from ganlab.train import run
from tests.helpers import read_metrics
from tests.lifecycle.test_resume import SignalAt


# In-process: the command line's exit code 3 and its one paragraph are checked in tests/test_ddp.py, whose
# two processes diverge together (a start-up of torch and Lightning costs 5-15 s on 2 cores).
def test_a_non_finite_loss_stops_the_run_as_diverged(make_config, tmp_path):
    # at lr 1e30 D's first update blows up its weights, and G's loss through it is NaN in the same iteration
    with pytest.raises(Diverged) as caught:
        run(make_config("trainer=debug", "optim.lr=1e30", "metric=none"))
    # found at the end of the 5 iterations (the rows' first block), named by the first iteration it appeared in
    assert str(caught.value).startswith("non-finite loss in iteration 1 (train/g_loss = nan); training stopped after 5")
    run_dir = tmp_path / "run"
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "diverged" and "train/g_loss = nan" in status["reason"]
    rows = read_metrics(run_dir)  # every iteration that ran is recorded
    assert [row["step"] for row in rows] == ["0", "1", "2", "3", "4"] and math.isnan(float(rows[0]["train/g_loss"]))
    assert not (run_dir / "checkpoints" / "last.ckpt").exists()  # the end of training saved no diverged weights


def test_the_checkpoint_before_the_divergence_is_kept(make_config, tmp_path):
    # 1797 digits in batches of 600: an epoch (and, with no minimum time between saves, a checkpoint) every 2
    # iterations; G's loss turns NaN in the 4th
    every_epoch = "lifecycle.checkpoint.min_seconds_between_saves=0"
    cfg = make_config("data.batch_size=600", "trainer.max_steps=10", "metric=none", every_epoch)
    datamodule, module, trainer = build_run(cfg)
    generator_loss = module.loss.generator_loss
    module.loss.generator_loss = lambda outputs: generator_loss(outputs) * (math.nan if module.iteration >= 3 else 1)
    with pytest.raises(
        Diverged, match=r"non-finite loss in iteration 4 \(train/g_loss = nan\); training stopped after 4"
    ):
        trainer.fit(module, datamodule=datamodule)
    run_dir = tmp_path / "run"
    assert json.loads((run_dir / "status.json").read_text())["status"] == "diverged"
    assert [row["step"] for row in read_metrics(run_dir)] == ["0", "1", "2", "3"]
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == 4  # 2 iterations of 1 D + 1 G update: the end of the first epoch
    assert all(torch.isfinite(value).all() for value in checkpoint["state_dict"].values() if value.is_floating_point())


def with_nan_generator_loss_from(make_config, iteration: int, *overrides: str):
    """A run of 120 iterations whose G loss is NaN from `iteration` (1-based) on, and no checkpoint before its end."""
    datamodule, module, trainer = build_run(make_config("trainer.max_steps=120", "metric=none", *overrides))
    generator_loss = module.loss.generator_loss
    nan_from = iteration - 1  # module.iteration counts the iterations completed before this one
    module.loss.generator_loss = lambda outputs: (
        generator_loss(outputs) * (math.nan if module.iteration >= nan_from else 1)
    )
    return datamodule, module, trainer


def test_the_guard_reads_the_losses_as_the_rows_are_written(make_config, tmp_path):
    # no wait for the device of its own: it finds the NaN in the block of 50 rows written at iteration 50
    datamodule, module, trainer = with_nan_generator_loss_from(make_config, 12)
    with pytest.raises(Diverged, match=r"in iteration 12 \(train/g_loss = nan\); training stopped after 50 iterations"):
        trainer.fit(module, datamodule=datamodule)
    rows = read_metrics(tmp_path / "run")
    assert (
        len(rows) == 50
        and math.isfinite(float(rows[10]["train/g_loss"]))
        and math.isnan(float(rows[11]["train/g_loss"]))
    )


def test_every_n_steps_1_stops_at_the_iteration_the_loss_turns_non_finite(make_config, tmp_path):
    datamodule, module, trainer = with_nan_generator_loss_from(make_config, 12, "callbacks.divergence.every_n_steps=1")
    with pytest.raises(Diverged, match=r"in iteration 12 \(train/g_loss = nan\); training stopped after 12 iterations"):
        trainer.fit(module, datamodule=datamodule)
    assert len(read_metrics(tmp_path / "run")) == 12


def test_a_row_is_written_for_the_iteration_that_stops_the_run_when_rows_are_sparse(make_config, tmp_path):
    overrides = ("callbacks.divergence.every_n_steps=1", "trainer.log_every_n_steps=10")
    datamodule, module, trainer = with_nan_generator_loss_from(make_config, 12, *overrides)
    with pytest.raises(Diverged, match=r"in iteration 12 "):
        trainer.fit(module, datamodule=datamodule)
    rows = read_metrics(tmp_path / "run")
    assert [row["step"] for row in rows] == ["9", "11"] and math.isnan(float(rows[-1]["train/g_loss"]))


@pytest.mark.parametrize("every_n_steps", [0, -1, 1.5, "often"])
def test_every_n_steps_must_be_null_or_a_positive_integer(every_n_steps):
    with pytest.raises(InvalidValue, match="every_n_steps .*null .* or a positive integer"):
        DivergenceGuard(every_n_steps=every_n_steps)


def test_a_pre_emption_checkpoint_of_diverged_weights_is_saved_and_said(make_config, tmp_path, caplog):
    # the run is stopping on the signal anyway: raising there would keep status.json from saying interrupted
    datamodule, module, trainer = with_nan_generator_loss_from(make_config, 3)
    trainer.callbacks.append(SignalAt(5))
    with caplog.at_level(logging.ERROR, logger="ganlab.callbacks.divergence"), pytest.raises(SIGTERMException):
        trainer.fit(module, datamodule=datamodule)
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "interrupted"
    assert "non-finite loss in iteration 3 (train/g_loss = nan)" in caplog.text
    assert "the checkpoint saved on this signal holds those weights" in caplog.text
    checkpoint = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == 5 * 2
