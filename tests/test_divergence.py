"""A run whose losses stop being finite ends `diverged`, keeping its metrics and its last good checkpoint."""

from __future__ import annotations

import json
import math

import pytest
import torch

from ganlab.build import build_run
from ganlab.status_file import Diverged
from tests.helpers import read_metrics
from tests.test_cli import ganlab_train, only_run_dir


def test_a_non_finite_loss_stops_the_run_with_exit_code_3(tmp_path):
    # at lr 1e30 D's first update blows up its weights, and G's loss through it is NaN in the same iteration
    overrides = ["trainer=debug", "optim.lr=1e30", "metric=none", "trainer.enable_progress_bar=false"]
    result = ganlab_train(tmp_path, *overrides)
    assert result.returncode == 3
    assert "ganlab: non-finite loss after 1 iterations (train/g_loss = nan)" in result.stderr
    assert "Traceback" not in result.stderr
    run_dir = only_run_dir(tmp_path)
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "diverged" and "train/g_loss = nan" in status["reason"]
    (row,) = read_metrics(run_dir)  # the iteration that diverged is recorded, and nothing after it
    assert row["step"] == "0" and math.isnan(float(row["train/g_loss"]))


def test_the_checkpoint_before_the_divergence_is_kept(make_config, tmp_path):
    # 1797 digits in batches of 600: an epoch (and, with no minimum time between saves, a checkpoint) every 2
    # iterations; G's loss turns NaN in the 4th
    every_epoch = "callbacks.checkpoint.min_seconds_between_saves=0"
    cfg = make_config("data.batch_size=600", "trainer.max_steps=10", "metric=none", every_epoch)
    datamodule, module, trainer = build_run(cfg)
    generator_loss = module.loss.generator_loss
    module.loss.generator_loss = lambda outputs: generator_loss(outputs) * (math.nan if module.iteration >= 3 else 1)
    with pytest.raises(Diverged, match=r"non-finite loss after 4 iterations \(train/g_loss = nan\)"):
        trainer.fit(module, datamodule=datamodule)
    run_dir = tmp_path / "run"
    assert json.loads((run_dir / "status.json").read_text())["status"] == "diverged"
    assert [row["step"] for row in read_metrics(run_dir)] == ["0", "1", "2", "3"]
    checkpoint = torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == 4  # 2 iterations of 1 D + 1 G update: the end of the first epoch
    assert all(torch.isfinite(value).all() for value in checkpoint["state_dict"].values() if value.is_floating_point())
