"""Nothing lost: a run stopped anywhere and resumed with ckpt_path equals the run that was never stopped."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf

from ganlab.errors import ConfigError
from ganlab.lifecycle import directories
from ganlab.lifecycle.directories import hydra_output_subdir, run_directory
from ganlab.lifecycle.plan import differing_keys, job_plan, resume_from
from ganlab.lifecycle.status_file import Interrupted, read_status, write_status
from ganlab.train import run
from tests.helpers import compose_config, read_metrics

# 1797 digits in batches of 256: 7 iterations an epoch. EMA and instance noise keep state of their own.
RUN = ("data.batch_size=256", "metric=none", "trick=[ema,instance_noise]", "trick.instance_noise_iterations=20")


def train(output_dir: Path, *overrides: str) -> pl.Trainer:
    return run(compose_config(output_dir, *RUN, *overrides))


def weights(trainer: pl.Trainer) -> dict[str, torch.Tensor]:
    return trainer.lightning_module.state_dict()


def status(run_dir: Path) -> dict:
    return json.loads((run_dir / "status.json").read_text())


class SignalAt(pl.Callback):
    """Sends this process `signal` once `iteration` iterations are done: a scheduler's kill, in-process."""

    def __init__(self, iteration: int, signal: str = "SIGTERM") -> None:
        self.iteration, self.signal = iteration, signal

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.iteration == self.iteration:
            os.kill(os.getpid(), getattr(signal, self.signal))


class SignalAtTheEnd(pl.Callback):
    """Sends this process SIGTERM once training is over, while the run's last scores are written."""

    def on_train_end(self, trainer, pl_module) -> None:
        os.kill(os.getpid(), signal.SIGTERM)


class KilledAtTheEnd(pl.Callback):
    """SIGKILL once training is over, while the run's last scores are written: no handler, nothing saved."""

    def on_train_end(self, trainer, pl_module) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class FailsToBuild:
    def __init__(self) -> None:
        raise RuntimeError("a bug while building")


@pytest.mark.parametrize(
    ("model", "stop"),
    [("mlp", 10), ("cnn", 10), ("mlp", 7)],
    ids=["mlp-mid-epoch", "cnn-batchnorm-mid-epoch", "mlp-epoch-end"],
)
def test_a_resumed_run_ends_bit_for_bit_where_the_straight_run_does(tmp_path, model, stop):
    straight = train(tmp_path / "straight", f"model={model}", "trainer.max_steps=20")
    train(tmp_path / "split", f"model={model}", f"trainer.max_steps={stop}")
    resumed = train(tmp_path / "split", f"model={model}", "trainer.max_steps=20", "ckpt_path=last")
    mine, theirs = weights(resumed), weights(straight)
    assert mine.keys() == theirs.keys()  # G, D, G's moving average, BatchNorm statistics
    assert all(torch.equal(mine[key], theirs[key]) for key in mine)
    # metrics.csv goes on from the checkpoint: every iteration once, with the straight run's losses
    split_rows, straight_rows = read_metrics(tmp_path / "split"), read_metrics(tmp_path / "straight")
    assert [row["step"] for row in split_rows] == [str(step) for step in range(20)]
    assert [row["train/g_loss"] for row in split_rows] == [row["train/g_loss"] for row in straight_rows]
    record = status(tmp_path / "split")
    assert record["status"] == "completed" and record["resumed"][0]["iteration"] == stop
    # each sitting says what it trained with (another machine could have resumed it); the first's stays on top
    assert record["resumed"][0]["environment"]["torch"] == record["environment"]["torch"] == torch.__version__


def test_sigterm_checkpoints_the_current_iteration_and_the_run_resumes_to_the_same_end(tmp_path):
    straight = train(tmp_path / "straight", "trainer.max_steps=12")
    killer = ("+callbacks.killer._target_=tests.lifecycle.test_resume.SignalAt", "+callbacks.killer.iteration=5")
    with pytest.raises(Interrupted, match=r"SIGTERM received: stopped after 5 iterations, checkpoint saved") as caught:
        train(tmp_path / "split", "trainer.max_steps=12", *killer)
    assert caught.value.code == 128 + signal.SIGTERM
    record = status(tmp_path / "split")
    assert record["status"] == "interrupted" and record["signal"] == "SIGTERM" and record["iteration"] == 5
    checkpoint = torch.load(tmp_path / "split" / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == 5 * 2  # not the end of the last epoch (iteration 0): the current one
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the run gave the handlers back
    resumed = train(tmp_path / "split", "trainer.max_steps=12", f"ckpt_path={tmp_path / 'split'}")
    assert all(torch.equal(value, weights(straight)[key]) for key, value in weights(resumed).items())


def test_the_pre_emption_signal_is_handed_on_after_the_checkpoint_is_saved(tmp_path):
    """submitit requeues a job in its SIGUSR2 handler: ganlab saves first, then calls it."""
    checkpoint = tmp_path / "run" / "checkpoints" / "last.ckpt"
    calls = []
    previous = signal.signal(signal.SIGUSR2, lambda number, frame: calls.append(checkpoint.is_file()))
    try:
        overrides = ("+callbacks.killer._target_=tests.lifecycle.test_resume.SignalAt", "+callbacks.killer.iteration=3")
        with pytest.raises(Interrupted) as caught:
            train(tmp_path / "run", "trainer.max_steps=12", *overrides, "+callbacks.killer.signal=SIGUSR2")
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert caught.value.code == 128 + signal.SIGUSR2 and calls == [True]
    assert status(tmp_path / "run")["signal"] == "SIGUSR2"


def test_a_run_killed_with_sigterm_from_outside_exits_143_with_its_checkpoint(tmp_path):
    command = [sys.executable, "-m", "ganlab.train", f"hydra.run.dir={tmp_path}", *RUN, "trainer.max_steps=100000"]
    command += ["trainer.enable_progress_bar=false", "lifecycle.status.every_n_steps=10"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and read_status(tmp_path).get("iteration", 0) < 10:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr and "checkpoint saved; continue it with the same command and ckpt_path=" in stderr
    record = status(tmp_path)
    assert record["status"] == "interrupted" and record["checkpoint_saved"] is True
    stopped = record["iteration"]
    assert [row["step"] for row in read_metrics(tmp_path)] == [str(step) for step in range(stopped)]
    checkpoint = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == 2 * stopped


def test_a_checkpoint_of_another_config_is_refused_and_the_run_is_left_as_it_was(tmp_path):
    train(tmp_path / "run", "trainer.max_steps=3")
    before = {name: (tmp_path / "run" / name).read_bytes() for name in ("status.json", "metrics.csv")}
    with pytest.raises(ConfigError) as refused:
        train(tmp_path / "run", "trainer.max_steps=6", "ckpt_path=last", "optim.lr=0.005", "seed=4")
    message = str(refused.value)
    assert "was trained with another config" in message
    assert "optim.generator.lr: 0.001 there, 0.005 here" in message and "; seed: 0 there, 4 here" in message
    assert {name: (tmp_path / "run" / name).read_bytes() for name in before} == before


def test_a_checkpoint_with_another_evaluation_limit_resumes():
    """metric.scores.evaluation_limit copies trainer.limit_val_batches (a debug run's 0.001) and only sizes a
    classifier still to be trained: not part of a run's identity (ganlab.run_identity)."""
    config = {"metric": {"scores": {"epochs": 10, "evaluation_limit": 0.001}}, "seed": 0}
    assert differing_keys(config, {"metric": {"scores": {"epochs": 10, "evaluation_limit": 1.0}}, "seed": 0}) == []
    assert differing_keys(config, {"metric": {"scores": {"epochs": 5}}, "seed": 0}) == ["metric.scores.epochs"]


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"half a checkpoint")
    with pytest.raises(ConfigError, match=r"ckpt_path: .*broken.ckpt: not a checkpoint torch can read"):
        train(tmp_path / "run", f"ckpt_path={broken}")
    with pytest.raises(ConfigError, match=r"ckpt_path = 'last': there is no checkpoint at .*checkpoints/last.ckpt"):
        train(tmp_path / "fresh", "ckpt_path=last")


def test_a_directory_that_holds_a_run_is_not_written_into_again(tmp_path):
    train(tmp_path / "run", "trainer.max_steps=2")
    before = {path: path.read_bytes() for path in (tmp_path / "run").rglob("*") if path.is_file()}
    with pytest.raises(ConfigError, match=r"already holds a run \(status completed\); continue it with ckpt_path=last"):
        train(tmp_path / "run", "trainer.max_steps=2")
    assert {path: path.read_bytes() for path in (tmp_path / "run").rglob("*") if path.is_file()} == before


def test_a_failure_while_building_leaves_a_failed_status(tmp_path):
    with pytest.raises(Exception, match="a bug while building"):  # a bug keeps its traceback
        train(tmp_path / "run", "+callbacks.bug._target_=tests.lifecycle.test_resume.FailsToBuild")
    record = status(tmp_path / "run")
    assert record["status"] == "failed" and "a bug while building" in record["error"]
    assert "callbacks.bug" in record["error"]


def test_runs_started_in_the_same_second_get_directories_of_their_own(tmp_path, monkeypatch):
    monkeypatch.setattr(directories, "_chosen_directories", {})
    fresh = str(tmp_path / "12-00-00")
    first = run_directory(None, fresh)
    assert run_directory("last", fresh) == first  # Hydra asks again within the same run: the same answer
    directories._chosen_directories.clear()  # another process
    second = run_directory(None, fresh)
    assert (first, second) == (fresh, fresh + "_1") and Path(second).is_dir()
    # a checkpoint continues in its own run directory
    assert run_directory(str(tmp_path / "old" / "checkpoints" / "last.ckpt"), fresh) == str(tmp_path / "old")


@pytest.mark.parametrize(
    ("state", "age_minutes", "rerun_failed", "plan"),
    [
        ("completed", 1, False, "skip"),
        ("interrupted", 1, False, "resume"),
        ("running", 31, False, "resume"),  # no heartbeat for half an hour: killed without warning
        ("failed", 1, False, "skip"),
        ("diverged", 1, True, "resume"),
    ],
)
def test_a_sweep_rerun_into_its_directory_continues_what_is_unfinished(
    tmp_path, state, age_minutes, rerun_failed, plan
):
    write_status(tmp_path / "status.json", state, overrides=["seed=1"])
    record = json.loads((tmp_path / "status.json").read_text())
    record["updated"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 60 * age_minutes))
    (tmp_path / "status.json").write_text(json.dumps(record))
    assert job_plan(tmp_path, ["seed=1"], None, rerun_failed, sweep=True)[0] == plan


def test_a_run_whose_process_is_gone_from_this_machine_is_dead_at_once_and_elsewhere_after_30_minutes(tmp_path):
    """A machine rebooted, a session ended, a job killed with SIGKILL: its rerun need not wait for the heartbeat."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    write_status(tmp_path / "status.json", "running", overrides=["seed=1"])
    record = json.loads((tmp_path / "status.json").read_text())
    assert record["process"] == {"host": platform.node(), "pid": os.getpid()}
    record["process"]["pid"] = int(ended.stdout)
    (tmp_path / "status.json").write_text(json.dumps(record))
    assert job_plan(tmp_path, ["seed=1"], None, False, sweep=True) == ("resume", "stale: killed without warning")
    record["process"]["host"] = "another-node"  # its process cannot be asked: the heartbeat decides
    (tmp_path / "status.json").write_text(json.dumps(record))
    with pytest.raises(ConfigError, match=r"when its process is gone from this machine, or 30 minutes after"):
        job_plan(tmp_path, ["seed=1"], None, False, sweep=True)


def test_hydra_writes_its_files_only_into_a_directory_that_holds_no_run(tmp_path):
    assert hydra_output_subdir(str(tmp_path)) == ".hydra"
    write_status(tmp_path / "status.json", "completed", overrides=["seed=1"])
    assert hydra_output_subdir(str(tmp_path)) is None  # a refused or skipped job leaves the run's config


def test_a_sweep_rerun_refuses_a_live_job_and_another_jobs_directory(tmp_path):
    write_status(tmp_path / "status.json", "running", overrides=["seed=1"])
    with pytest.raises(ConfigError, match=r"still running \(status.json written \d+ s ago\)"):
        job_plan(tmp_path, ["seed=1"], None, False, sweep=True)
    write_status(tmp_path / "status.json", "interrupted", overrides=["seed=1"])
    with pytest.raises(ConfigError, match=r"holds another job \(seed=1\) than this one \(seed=2\)"):
        job_plan(tmp_path, ["seed=2"], None, False, sweep=True)


def test_a_signal_after_the_last_iteration_completes_the_run_and_still_ends_the_process(tmp_path):
    """A sweep killed while its job writes its last scores must stop, not start the next job."""
    killer = ("+callbacks.killer._target_=tests.lifecycle.test_resume.SignalAtTheEnd",)
    with pytest.raises(Interrupted, match=r"SIGTERM received as the run ended: it completed 12 iterations") as caught:
        train(tmp_path / "run", "trainer.max_steps=12", *killer)
    assert caught.value.code == 128 + signal.SIGTERM
    assert status(tmp_path / "run")["status"] == "completed" and status(tmp_path / "run")["iteration"] == 12
    checkpoints = tmp_path / "run" / "checkpoints"
    assert [path.name for path in checkpoints.iterdir()] == ["last.ckpt"]  # the end's, its ending written
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize("every_epoch", [True, False], ids=["checkpoint-before-the-end", "no-checkpoint-before-it"])
def test_a_run_killed_while_writing_its_final_scores_resumes_and_writes_them(tmp_path, every_epoch):
    """Its checkpoint at the last iteration is end.ckpt until the ending is written, so the resume trains the
    last iterations again (or all of them) rather than finding nothing left to train and no final scores."""
    straight = train(tmp_path / "straight", "trainer.max_steps=12")
    cadence = [f"lifecycle.checkpoint.min_seconds_between_saves={0 if every_epoch else 600}"]
    command = [sys.executable, "-m", "ganlab.train", f"hydra.run.dir={tmp_path / 'run'}", *RUN, *cadence]
    command += ["trainer.max_steps=12", "+callbacks.killer._target_=tests.lifecycle.test_resume.KilledAtTheEnd"]
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    killed = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    checkpoints = tmp_path / "run" / "checkpoints"
    assert torch.load(checkpoints / "end.ckpt", map_location="cpu", weights_only=False)["global_step"] == 2 * 12
    assert (checkpoints / "last.ckpt").is_file() == every_epoch  # the epoch end before the last: iteration 7
    record = status(tmp_path / "run")
    assert record["status"] == "running"
    if not every_epoch:  # nothing to resume from: a sweep's rerun starts it over, a lone ckpt_path=last says why
        with pytest.raises(ConfigError, match=r"killed while writing its final scores, with no checkpoint before"):
            resume_from(OmegaConf.create({"ckpt_path": "last"}), tmp_path / "run")
        assert resume_from(OmegaConf.create({"ckpt_path": None}), tmp_path / "run") is None
        assert (tmp_path / "run" / "attempts" / "1" / "checkpoints" / "end.ckpt").is_file()
        return
    record["updated"] = "2020-01-01T00:00:00+00:00"  # long dead, as a killed run's status.json says after 30 minutes
    (tmp_path / "run" / "status.json").write_text(json.dumps(record))
    resumed = train(tmp_path / "run", "trainer.max_steps=12", *cadence, "ckpt_path=last")
    assert all(torch.equal(value, weights(straight)[key]) for key, value in weights(resumed).items())
    record = status(tmp_path / "run")
    assert record["status"] == "completed" and record["iteration"] == 12 and record["resumed"][0]["iteration"] == 7
    assert [row["step"] for row in read_metrics(tmp_path / "run")] == [str(step) for step in range(12)]
    assert not (checkpoints / "end.ckpt").exists()
    assert torch.load(checkpoints / "last.ckpt", map_location="cpu", weights_only=False)["global_step"] == 2 * 12


@pytest.mark.parametrize("damaged", [b"", b"{", b"\xff\xfe", b"[1]", b'{"updated": "now"}'])
def test_a_damaged_status_json_is_never_trained_over(tmp_path, damaged):
    (tmp_path / "metrics.csv").write_text("step,train/d_loss\n0,1.3\n")
    (tmp_path / "status.json").write_bytes(damaged)
    for sweep in (True, False):
        with pytest.raises(ConfigError, match=r"status.json cannot be read as a run's record .* left as it is"):
            job_plan(tmp_path, ["seed=1"], None, False, sweep=sweep)
    assert (tmp_path / "metrics.csv").read_text() == "step,train/d_loss\n0,1.3\n"


def test_a_checkpoint_from_before_reuse_noise_existed_continues_as_a_run_that_drew_fresh_noise():
    before = {"seed": 0, "d_steps": 1, "model": {"latent": {"dim": 2}}}
    assert differing_keys({**before, "reuse_noise": False}, before) == []
    assert differing_keys({**before, "reuse_noise": True}, before) == ["reuse_noise"]
    # and one scored by a classifier trained on its machine continues as metric.scores.pinned=false
    classifier = {**before, "metric": {"scores": {"epochs": 10}}}
    pinned = {**classifier, "metric": {"scores": {"epochs": 10, "pinned": True}}}
    assert differing_keys(pinned, classifier) == ["metric.scores.pinned"]
    assert differing_keys({**pinned, "metric": {"scores": {"epochs": 10, "pinned": False}}}, classifier) == []
