"""logger=wandb as a user meets it without a W&B account or network: offline, one run per job, never blocking."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from ganlab.errors import ConfigError
from ganlab.train import run
from ganlab.wandb_logger import wandb_logger
from ganlab.wandb_record import has_credentials

WANDB_VARIABLES = ("WANDB_API_KEY", "WANDB_MODE", "WANDB_BASE_URL", "WANDB_DIR", "HYDRA_FULL_ERROR")


def without_wandb_settings(home) -> dict[str, str]:
    """The test's environment with no W&B credentials or mode anywhere: a fresh home, no WANDB_* variables."""
    env = {key: value for key, value in os.environ.items() if key not in WANDB_VARIABLES}
    return {**env, "HOME": str(home)}


@pytest.mark.slow  # a CLI sweep of W&B runs: ~18 s; one run's W&B logging is trained in test_config
def test_each_job_of_a_sweep_is_its_own_offline_run_in_the_sweeps_group(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.train", "--multirun", "logger=wandb", "trainer=debug", "metric=none",
         "trick=base,flip"],
        cwd=tmp_path, env=without_wandb_settings(tmp_path / "home"), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("W&B: not logged in, so this run is logged offline") == 2  # one warning a job
    assert "wandb: Run history" not in result.stdout + result.stderr  # W&B's own summary stays out of the log
    (sweep,) = (tmp_path / "multirun").glob("*/*")
    run_ids = set()
    for job, trick in (("0", "base"), ("1", "flip")):
        (run_dir,) = (sweep / job / "wandb").glob("offline-run-*")  # its own run: sweeps never merge runs
        run_ids.add(run_dir.name.rsplit("-", 1)[-1])
        (records,) = run_dir.glob("run-*.wandb")
        logged = records.read_bytes()
        for expected in ("train/d_loss", "train/d_acc_real", "trainer/global_step",  # every scalar, by iteration
                         "model=mlp", "data=digits", f"trick={trick}",  # tags from the chosen options
                         str(sweep),  # the group: the sweep's directory
                         "d_steps"):  # the resolved config
            assert expected.encode() in logged, (job, expected)
        assert f"logger=wandb trainer=debug metric=none trick={trick}".encode() in logged  # name: the overrides
        pictures = {path.name.split("_")[0] for path in (run_dir / "files" / "media" / "images").glob("*.png")}
        assert {"samples", "interpolation", "progress"} <= pictures
    assert len(run_ids) == 2


def test_a_server_that_does_not_answer_costs_seconds_then_the_run_goes_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.delenv("WANDB_MODE", raising=False)
    started = time.monotonic()
    logger = wandb_logger(save_dir=str(tmp_path), mode="auto", init_timeout=3)
    # W&B alone would wait its own 90 s; the bound leaves room for two offline starts on a loaded machine (22 s seen)
    assert time.monotonic() - started < 60
    assert logger.experiment.offline
    logger.log_metrics({"train/d_loss": 1.0}, step=0)
    logger.finalize("success")
    assert list((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))


def test_credentials_are_read_from_the_environment_or_netrc(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in WANDB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert not has_credentials()
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine api.wandb.ai\n  login user\n  password " + "k" * 40 + "\n")
    netrc.chmod(0o600)
    assert has_credentials()
    netrc.unlink()
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    assert has_credentials()


def test_a_resumed_run_continues_its_own_wandb_run(tmp_path, monkeypatch):
    from tests.helpers import compose_config

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in WANDB_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    quick = ("logger=wandb", "trainer=debug", "metric=none", "callbacks.progress=null", "callbacks.interpolation=null")
    run(compose_config(tmp_path / "run", *quick, "trainer.max_steps=2"))
    run(compose_config(tmp_path / "run", *quick, "trainer.max_steps=4", f"ckpt_path={tmp_path / 'run'}"))
    pieces = sorted((tmp_path / "run" / "wandb").glob("offline-run-*"))
    assert len(pieces) == 2  # offline, each start writes its piece, under the run's one id
    record = json.loads((tmp_path / "run" / "wandb" / "ganlab_run.json").read_text())
    run_id = record["id"]
    assert record["project"] == "ganlab" and record["group"] is None  # a single run: no group
    # offline-run-<time>-<id>, with -1 added when both started in the same second
    assert all(piece.name.split("-")[3] == run_id for piece in pieces)


@pytest.mark.parametrize("value", ["", "offline-please"])
def test_a_wandb_mode_wandb_refuses_stops_the_run_before_training_in_one_line(make_config, monkeypatch, value):
    """W&B itself refuses such a value at every start, whatever mode it is handed, with a page of pydantic's text."""
    monkeypatch.setenv("WANDB_MODE", value)
    with pytest.raises(ConfigError) as refused:
        run(make_config("logger=wandb", "trainer=debug", "trainer.max_steps=2"))
    assert refused.value.problems == [
        f"logger.wandb: the environment variable WANDB_MODE = {value!r}: must be online, offline or disabled (or "
        "W&B's shared, dryrun, run), or unset, so that logger.wandb.mode decides"
    ]


def test_each_scores_summary_is_its_best_by_the_direction_its_metric_declares(make_config, monkeypatch):
    """W&B keeps a score's last value as its summary; a lower-is-better FID is summarized by its minimum."""
    import wandb

    declared = {}
    define_metric = wandb.Run.define_metric

    def recording(self, name, *args, **kwargs):
        if "summary" in kwargs:
            declared[name] = (kwargs["summary"], kwargs.get("step_metric"))
        return define_metric(self, name, *args, **kwargs)

    monkeypatch.setattr(wandb.Run, "define_metric", recording)
    run(make_config("logger=wandb", "trainer=debug", "trainer.max_steps=2"))
    assert declared["val/classifier_fid"] == ("min", "trainer/global_step")
    assert declared["val/classifier_score"] == ("max", "trainer/global_step")
    assert declared["val/modes_covered"] == ("max", "trainer/global_step")
