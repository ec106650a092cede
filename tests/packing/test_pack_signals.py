"""Signals and packs: every seed of a pack notes the signal that stopped it, and packs side by side stop, save and
continue as one pack does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlab.lifecycle.signals import Preemption
from ganlab.packing.side_by_side import _pack_in_its_process, _signals_passed_on


def test_each_seed_of_a_pack_notes_the_signal_and_lightning_is_told_once(tmp_path):
    told: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: told.append(number))  # Lightning's, in a fit
    seeds = [Preemption(str(tmp_path / f"{index}.ckpt")) for index in range(3)]
    try:
        for seed in seeds:  # each seed's on_train_start, in turn, as SeedRuns hands it on
            seed.on_train_start(None, None)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
        for seed in reversed(seeds):
            seed.on_train_end(None, None)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert [seed.signal_name for seed in seeds] == ["SIGINT"] * 3
    assert told == [signal.SIGTERM]  # Lightning stops between two iterations on its own signal


def test_a_pack_is_not_started_once_a_signal_has_stopped_the_command(tmp_path):
    stop = tmp_path / "stop"
    stop.write_text("SIGTERM")

    def never(*args):
        raise AssertionError("the pack was started")

    assert _pack_in_its_process(never, None, None, [], {}, 1, stop, None) == ({}, ("SIGTERM", ""))


def test_a_signal_to_the_launching_process_is_noted_for_the_packs_yet_to_start(tmp_path):
    stop = tmp_path / "stop"
    with _signals_passed_on(["SIGUSR2", "NOT_A_SIGNAL"], stop) as received:
        os.kill(os.getpid(), signal.SIGUSR2)
        time.sleep(0.01)
    assert received == [signal.SIGUSR2] and stop.read_text() == "SIGUSR2"
    assert signal.getsignal(signal.SIGUSR2) is signal.SIG_DFL  # given back


def statuses(sweep: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(sweep.glob("*/status.json"))}


@pytest.mark.slow  # two sweeps of three packs of toy runs: ~2 min
def test_packs_side_by_side_stop_on_a_signal_to_the_launcher_and_the_same_command_continues_them(tmp_path):
    command = [sys.executable, "-m", "ganlab.train", "--multirun", "experiment=toy_curve", "trainer.max_steps=600",
               "trick=base,flip,smooth", "seed=0,1", "hydra/launcher=packed", "hydra.launcher.n_jobs=2",
               "hydra.sweep.dir=sweep", "callbacks.samples=null", "callbacks.feature_space=null"]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    sweep = tmp_path / "sweep"
    launcher = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # both packs training: the seeds of each say so, from its own process
        running = [record for record in statuses(sweep).values() if record["status"] == "running"]
        if len({record["process"]["pid"] for record in running}) == 2:
            break
        time.sleep(0.5)
    time.sleep(5)  # well inside the 600 iterations (~35 s a pack)
    launcher.send_signal(signal.SIGTERM)  # the launching process alone, as `kill <pid>` does
    _, stderr = launcher.communicate(timeout=240)
    assert launcher.returncode == 128 + signal.SIGTERM, stderr[-3000:]
    assert "SIGTERM received: 2 of 3 packs stopped with their seeds' checkpoints saved, 1 not started" in stderr
    records = statuses(sweep)
    assert sorted(records) == ["0", "1", "3", "4"]  # trick=smooth's pack (jobs 2 and 5) never started
    assert all(record["status"] == "interrupted" and record["signal"] == "SIGTERM" for record in records.values())
    assert all((sweep / number / "checkpoints" / "last.ckpt").is_file() for number in records)

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("continuing a pack of 2 seeds") == 2 and "training a pack of 2 seeds" in again.stdout
    assert all(record["status"] == "completed" and record["iteration"] == 600 for record in statuses(sweep).values())
