"""Each packed seed is a run of its own: its run directory holds what a run alone leaves (config, metrics.csv,
pictures, status.json, final scores, checkpoint), the report reads the pack as its seeds, and a seed that diverges
ends alone while its pack goes on."""

import json

import pytest
import torch

from ganlab.packing.pack import train_pack
from ganlab.sample import load_generator
from tests.helpers import read_metrics

ITERATIONS = 6


def pack_configs(make_config, tmp_path, *overrides, seeds=(0, 1)):
    return [
        make_config(
            "trainer=debug",
            f"trainer.max_steps={ITERATIONS}",
            "trainer.log_every_n_steps=1",
            f"seed={seed}",
            *overrides,
            output_dir=tmp_path / str(seed),
        )  # fmt: skip
        for seed in seeds
    ]


def test_every_seed_of_a_pack_leaves_a_complete_run_directory(make_config, tmp_path):
    ended = train_pack(pack_configs(make_config, tmp_path, "metric=none"))
    assert ended == {0: None, 1: None}
    losses = []
    for seed in (0, 1):
        run = tmp_path / str(seed)
        status = json.loads((run / "status.json").read_text())
        assert status["status"] == "completed" and status["iteration"] == ITERATIONS
        rows = read_metrics(run)
        assert [int(row["step"]) for row in rows] == list(range(ITERATIONS))
        losses.append([float(row["train/d_loss"]) for row in rows])
        assert (run / "checkpoints" / "last.ckpt").is_file()
        assert any((run / "samples").glob("*.png"))
    assert losses[0] != losses[1]  # two seeds, two runs


def test_a_seed_checkpoint_is_an_ordinary_run_checkpoint(make_config, tmp_path):
    train_pack(pack_configs(make_config, tmp_path, "metric=none"))
    checkpoint = torch.load(tmp_path / "1" / "checkpoints" / "last.ckpt", weights_only=True)
    assert checkpoint["hyper_parameters"]["config"]["seed"] == 1
    generator, *_ = load_generator(tmp_path / "1" / "checkpoints" / "last.ckpt")  # as ganlab.sample reads it
    for name, value in generator.state_dict().items():
        torch.testing.assert_close(value, checkpoint["state_dict"][f"generator.{name}"])
    first_weight = next(iter(generator.state_dict().values()))
    assert checkpoint["optimizer_states"][0]["state"][0]["exp_avg"].shape == first_weight.shape  # the seed's slice


def test_a_seed_that_diverges_ends_alone_and_its_pack_goes_on(make_config, tmp_path, monkeypatch):
    from ganlab.packing import pack

    class OneSeedDiverges(pack.PackedGANModule):
        def training_step(self, real, batch_idx):
            if self.iteration == 2:  # seed 1's D is poisoned: its losses are NaN from here on
                with torch.no_grad():
                    next(iter(self.discriminators.parameters()))[1].fill_(float("nan"))
            return super().training_step(real, batch_idx)

    monkeypatch.setattr(pack, "PackedGANModule", OneSeedDiverges)
    guard = "callbacks.divergence.every_n_steps=1"
    configs = pack_configs(make_config, tmp_path, "metric=none", guard, seeds=(0, 1, 2))
    ended = train_pack(configs)
    assert ended[0] is None and ended[2] is None
    assert "non-finite loss in iteration 3" in str(ended[1])  # the third, counted from 1
    status = {seed: json.loads((tmp_path / str(seed) / "status.json").read_text()) for seed in (0, 1, 2)}
    assert status[1]["status"] == "diverged" and "iteration 3" in status[1]["reason"]
    assert status[0]["status"] == status[2]["status"] == "completed"
    assert status[0]["iteration"] == ITERATIONS
    assert not (tmp_path / "1" / "checkpoints" / "last.ckpt").exists()  # no checkpoint holds diverged weights
    rows = read_metrics(tmp_path / "0")
    assert all(row["train/d_loss"] not in ("nan", "") for row in rows)  # its siblings' losses stay their own


def test_what_a_pack_cannot_hold_is_refused_before_training(make_config, tmp_path):
    from ganlab.errors import ConfigError

    with pytest.raises(ConfigError, match=r"trainer.devices: a pack trains on one device"):
        train_pack(pack_configs(make_config, tmp_path, "metric=none", "trainer=ddp", "trainer.accelerator=cpu"))
    with pytest.raises(ConfigError, match=r"differ only in their seed; these differ too: loss.flip_prob"):
        configs = pack_configs(make_config, tmp_path, "metric=none")
        configs[1] = make_config("trainer=debug", "metric=none", "seed=1", "trick=flip", output_dir=tmp_path / "f")
        train_pack(configs)


def test_a_pack_continued_from_its_seeds_checkpoints_trains_as_if_never_stopped(make_config, tmp_path):
    from ganlab.lifecycle.start import Start

    def configs(folder, steps, *more):
        return [
            make_config("trainer=debug", "metric=none", f"trainer.max_steps={steps}", "trainer.log_every_n_steps=1",
                        f"seed={seed}", "lifecycle.checkpoint.min_seconds_between_saves=0", *more,
                        output_dir=tmp_path / folder / str(seed))  # fmt: skip
            for seed in (0, 1)
        ]

    train_pack(configs("whole", 8))
    train_pack(configs("stopped", 4))
    continued = configs("stopped", 8, "ckpt_path=last")
    starts = [Start.plan(config, sweep=False) for config in continued]
    for start, config in zip(starts, continued, strict=True):
        start.find_checkpoint(config)
    assert [start.global_step for start in starts] == [8, 8]  # 4 iterations of one D and one G step
    assert train_pack(continued, starts=starts) == {0: None, 1: None}

    for seed in ("0", "1"):
        whole, stopped = tmp_path / "whole" / seed, tmp_path / "stopped" / seed
        assert json.loads((stopped / "status.json").read_text())["iteration"] == 8
        rows = [{key: row[key] for key in ("step", "train/d_loss", "train/g_loss")} for row in read_metrics(whole)]
        assert rows == [{key: row[key] for key in rows[0]} for row in read_metrics(stopped)]
        mine = torch.load(stopped / "checkpoints" / "last.ckpt", weights_only=True)
        theirs = torch.load(whole / "checkpoints" / "last.ckpt", weights_only=True)
        for name, value in theirs["state_dict"].items():
            torch.testing.assert_close(mine["state_dict"][name], value, rtol=0, atol=0, msg=name)


def test_a_pack_repeats_bit_for_bit_and_a_seed_continues_alone_from_its_checkpoint(make_config, tmp_path):
    from ganlab.train import run

    train_pack(pack_configs(make_config, tmp_path / "first", "metric=none"))
    train_pack(pack_configs(make_config, tmp_path / "again", "metric=none"))
    for seed in ("0", "1"):
        assert read_metrics(tmp_path / "first" / seed) == read_metrics(tmp_path / "again" / seed)

    longer = make_config("trainer=debug", "metric=none", f"trainer.max_steps={ITERATIONS + 4}", "seed=1",
                         "trainer.log_every_n_steps=1", "ckpt_path=last",
                         output_dir=tmp_path / "first" / "1")  # fmt: skip
    trainer = run(longer)
    assert trainer.lightning_module.iteration == ITERATIONS + 4
    rows = read_metrics(tmp_path / "first" / "1")
    assert [int(row["step"]) for row in rows] == list(range(ITERATIONS + 4))
    assert rows[:ITERATIONS] == read_metrics(tmp_path / "again" / "1")  # the packed rows kept as they were
    assert json.loads((tmp_path / "first" / "1" / "status.json").read_text())["status"] == "completed"


def test_each_seed_of_a_pack_logs_to_a_w_and_b_run_of_its_own(make_config, tmp_path, monkeypatch):
    """Offline, as without an account: one W&B run per seed, side by side in the pack's process, each holding its
    own seed's config and rows, each finished with its seed's run."""
    from ganlab import wandb_logger

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WANDB_MODE", "offline")
    ended = train_pack(pack_configs(make_config, tmp_path / "runs", "metric=none", "logger=wandb"))
    assert ended == {0: None, 1: None}
    assert not wandb_logger.OPEN_RUNS  # each seed's run finished with its fit
    run_ids = set()
    for seed in (0, 1):
        run = tmp_path / "runs" / str(seed)
        (offline,) = (run / "wandb").glob("offline-run-*")  # the seed's own, in its own run directory
        record = json.loads((run / "wandb" / "ganlab_run.json").read_text())
        assert offline.name.endswith(record["id"])
        run_ids.add(record["id"])
        (records,) = offline.glob("run-*.wandb")
        logged = records.read_bytes()
        assert b"train/d_loss" in logged and b"trainer/global_step" in logged
        assert b"d_steps" in logged  # the resolved config, as a run alone logs it
        assert (run / "hparams.yaml").is_file()  # ... and as Lightning's CSV logger writes it
        d_loss = read_metrics(run)[-1]["train/d_loss"]
        assert d_loss.encode() in logged  # its seed's last loss, as metrics.csv has it
    assert len(run_ids) == 2
