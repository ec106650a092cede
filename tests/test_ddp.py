"""trainer=ddp: one run over two processes (gloo on the CPU), as `python -m ganlab.train` starts it.

Lightning's subprocess launcher starts the second process when rank 0 calls fit, re-running the same
command line with the same Hydra run directory; the data set, the classifier and the reference features
are ready by then (rank 0 built the run first), so the second process only reads them.
"""

from __future__ import annotations

import json

from tests.helpers import read_metrics
from tests.test_cli import ganlab_train, only_run_dir


def test_two_processes_train_one_run_and_write_it_once(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    result = ganlab_train(
        tmp_path, "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "trainer.max_steps=16",
        "metric.every_n_steps=8", "metric.num_samples=100", "metric.final_num_samples=200",
        "callbacks.samples.every_n_steps=8", "callbacks.spot_the_fake=null", "callbacks.interpolation=null",
        "callbacks.progress=null", "trainer.enable_progress_bar=false", "logger=wandb",
        # a finding every process makes (D's loss is always below 100): said once, not once per process
        "callbacks.findings.d_wins.d_loss_below=100", "callbacks.findings.d_wins.patience=4",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "wandb: ERROR" not in output
    assert output.count("d_wins at iteration") == 1
    run_dir = only_run_dir(tmp_path)
    assert len(list((run_dir / "wandb").glob("offline-run-*"))) == 1  # rank 0's W&B run, and no other
    log = (run_dir / "train.log").read_text()
    assert "Starting with 2 processes" in result.stdout + result.stderr + log
    # counts: 16 iterations of 1 D + 1 G update; the 1797 digits split over 2 ranks make 14 batches of 64
    # per rank and epoch, so iterations 14 and 15 belong to the second epoch
    assert log.count("trained 16 iterations (32 optimizer steps") == 1
    rows = read_metrics(run_dir)
    assert [int(row["step"]) for row in rows] == list(range(16))
    assert [int(row["epoch"]) for row in rows] == [0] * 14 + [1] * 2
    # evaluations: once each, at 0, 8 and the end, with the samples of both processes
    evaluations = read_metrics(run_dir, "val/classifier_score")
    assert [int(row["step"]) for row in evaluations] == [0, 8, 16, 16]  # the curve's size at 16, then the final
    assert log.count("iteration 8, 100 samples") == 1 and log.count("iteration 16, 200 samples") == 1
    assert sorted(path.name for path in (run_dir / "samples").iterdir()) == [
        "step_000000.png", "step_000008.png", "step_000016.png"
    ]  # fmt: skip
    status = json.loads((run_dir / "status.json").read_text())
    assert (status["status"], status["iteration"]) == ("completed", 16)
    # the second process keeps its own log beside the run's, and writes nothing else
    assert (run_dir / "train_ddp_process_1.log").is_file()
    assert not list(run_dir.glob("**/*rank*")) and len(list(run_dir.glob("checkpoints/*.ckpt"))) == 1


def test_a_run_that_diverges_stops_on_both_processes(tmp_path):
    # every process reads the same rows (each value the mean over the processes): they stop together, none waits
    result = ganlab_train(
        tmp_path, "trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "trainer.max_steps=8",
        "optim.lr=1e30", "metric=none", "callbacks.progress=null", "trainer.enable_progress_bar=false",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr[-3000:]
    # the command line's answer to a diverged run: exit code 3 and one paragraph, no traceback
    assert "ganlab: non-finite loss in iteration 1 " in result.stderr and "Traceback" not in result.stderr
    run_dir = only_run_dir(tmp_path)
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "diverged" and "training stopped after 8 iterations" in status["reason"]
    assert [int(row["step"]) for row in read_metrics(run_dir)] == list(range(8))
