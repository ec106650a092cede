"""A study's round: its jobs as few sweeps as Hydra's grid can say, its runs counted as they end on disk, and a
signal to the study passed on to every process of the sweep."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser

from ganlab.report.runs import read_run
from ganlab.sequential import rounds
from ganlab.sequential.rounds import RoundCount, launch_sweep, sweeps
from tests.report.sweeps import fid_curve, write_run
from tests.test_study import plan_for


def jobs_of(sweep_arguments: list[list[str]]) -> dict[tuple[str, ...], list[int]]:
    """What Hydra's --multirun makes of the argument lists: each job's cell (its overrides but the seed) and seeds."""
    parser, made = OverridesParser.create(), {}
    for arguments in sweep_arguments:
        (batch,) = BasicSweeper.split_arguments(parser.parse_overrides(arguments), max_batch_size=None)
        for job in batch:
            cell = tuple(item for item in job if not item.startswith("seed="))
            made.setdefault(cell, []).append(int(next(item for item in job if item.startswith("seed="))[5:]))
    return made


@pytest.mark.parametrize("jobs, launches", [
    ({("trick=base",): [4, 5], ("trick=flip",): [4, 5]}, 1),  # the usual round: one sweep, run side by side
    ({("trick=base",): [4], ("trick=[flip,instance_noise]",): [4]}, 1),  # a list-valued setting stays one value
    ({("trick=base",): [4, 5], ("trick=flip",): [5]}, 2),  # seed 4 of flip was read: other seeds, other sweep
    ({("lr=1", "trick=base"): [4], ("lr=1", "trick=flip"): [4], ("lr=2", "trick=base"): [4]}, 3),  # not a grid
    ({("lr=1", "trick=base"): [4], ("lr=1", "trick=flip"): [4], ("lr=2", "trick=base"): [4],
      ("lr=2", "trick=flip"): [4]}, 1),
])  # fmt: skip
def test_a_rounds_jobs_are_as_few_sweeps_as_make_exactly_those_jobs(jobs, launches):
    found = sweeps(jobs)
    assert len(found) == launches and jobs_of(found) == jobs


def test_a_round_is_counted_while_its_sweep_runs_and_its_command_names_every_job(tmp_path, monkeypatch):
    commands, counts, ended = [], [], [0]

    class SlowSweep:  # a sweep that is still running at the first poll and ends at the second
        pid = os.getpid()  # never signalled here

        def __init__(self, command, **options):
            commands.append((command, options))
            self.polls = 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def wait(self, timeout):
            self.polls += 1
            if self.polls == 1:
                raise subprocess.TimeoutExpired("ganlab.train", timeout)
            return ended[0]

    monkeypatch.setattr(rounds.subprocess, "Popen", SlowSweep)
    plan, before = plan_for(tmp_path, "data.split=test"), signal.getsignal(signal.SIGTERM)
    launch_sweep(plan, {("trick=base",): [0, 1], ("trick=flip",): [0, 1]}, lambda: counts.append(1))
    ((command, options),) = commands
    assert command[command.index("--multirun") + 1:][:4] == [
        "experiment=dcgan_mnist_tricks", "data.split=test", "trick=base,flip", "seed=0,1"]
    assert "hydra.job.config.override_dirname.exclude_keys=[experiment,data.split]" in command
    assert options == {"start_new_session": True}  # its own process group, which the study's signals reach
    assert len(counts) == 2  # once at the poll that found it running, once as it ended
    assert signal.getsignal(signal.SIGTERM) is before  # the study's own handling is back once the sweep ends
    ended[0] = -signal.SIGTERM  # a sweep killed by SIGTERM stops the study, with the status a shell reports
    with pytest.raises(SystemExit) as stopped:
        launch_sweep(plan, {("trick=base",): [2]}, lambda: None)
    assert stopped.value.code == 143


def test_a_rounds_count_reads_a_running_run_by_its_status_and_an_ended_one_once(tmp_path, monkeypatch):
    plan, counts, reads = plan_for(tmp_path), [], []
    monkeypatch.setattr(rounds, "read_run", lambda path: reads.append(path.name) or read_run(path))
    jobs = {("trick=base",): [0, 1], ("trick=flip",): [0, 1]}
    count = RoundCount(plan, jobs, lambda done, total, seconds: counts.append((done, total)))
    write = {
        (cell, seed): lambda status, cell=cell, seed=seed: write_run(
            plan.directory / f"{cell}-seed={seed}-{status}", [*plan.fixed, cell], seed, fid_curve(30.0), status=status)
        for cell, seed in (("trick=base", 0), ("trick=base", 1), ("trick=flip", 0))
    }  # fmt: skip
    write["trick=base", 0]("completed")
    write["trick=base", 1]("running")
    write["trick=flip", 0]("failed")  # a failure has ended too: the look counts it the worst outcome
    write_run(plan.directory / "other-seed=9", [*plan.fixed, "trick=base"], 9, fid_curve(30.0))  # not this round's
    count()
    assert counts == [(2, 4)]
    assert sorted(reads) == ["other-seed=9", "trick=base-seed=0-completed", "trick=flip-seed=0-failed"]
    write["trick=base", 1]("completed")  # as a sweep's job ends (here beside its first try)
    count()
    count()  # nothing new: no call, and no run read again
    assert counts == [(2, 4), (3, 4)] and len(reads) == 4


STUDY = """
import sys
from ganlab.sequential.rounds import run_as_group
print(run_as_group([sys.executable, "-c", {sweep!r}], tick=lambda: None, every=0.2))
"""
# a sweep's launcher that starts a worker and waits for it, as joblib's does; the worker, as a training does,
# saves its state on SIGTERM (here: writes a file) and ends
SWEEP = """
import subprocess, sys, time
worker = subprocess.Popen([sys.executable, "-c", {worker!r}])
worker.wait()
"""
WORKER = """
import os, pathlib, signal, sys, time
def stop(number, frame):
    pathlib.Path({saved!r}).write_text("saved")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # and, as a joblib worker does, on to the next job, unguarded
signal.signal(signal.SIGTERM, stop)
pathlib.Path({ready!r}).write_text(str(os.getpid()))
time.sleep(60)
time.sleep(60)
"""


def test_a_signal_to_the_study_reaches_every_process_of_its_sweep_and_stops_the_study(tmp_path):
    """`kill <study>` or `timeout` signals the study alone; its sweep's workers must stop with it, not go on
    training in the study's directory (seen: joblib's workers did, on 2026-12-06)."""
    ready, saved = tmp_path / "ready", tmp_path / "saved"
    worker = textwrap.dedent(WORKER).format(saved=str(saved), ready=str(ready))
    sweep = textwrap.dedent(SWEEP).format(worker=worker)
    study = subprocess.Popen([sys.executable, "-c", textwrap.dedent(STUDY).format(sweep=sweep)], stdout=subprocess.PIPE,
                             text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ready.exists(), "the worker never started"
    study.send_signal(signal.SIGTERM)  # to the study alone, as `kill` sends it
    out, _ = study.communicate(timeout=60)
    assert out.strip() == str(-signal.SIGTERM)  # the sweep's launcher was stopped by it (the study then stops too)
    deadline = time.monotonic() + 10
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert saved.read_text() == "saved"  # the worker heard it, and saved as a training does on a pre-emption
    with pytest.raises(ProcessLookupError):  # and did not go on to the launcher's next job
        os.kill(int(ready.read_text()), 0)
