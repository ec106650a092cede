"""A study's round: its runs launched as `python -m ganlab.train --multirun` sweeps into the study's directory, and
counted as they end there.

A round is as few sweeps as Hydra's grid can say (`sweeps`), so that the launcher runs its cells side by side. Each
sweep runs in a process group of its own, to which the study passes on SIGTERM and SIGINT: a study stopped by `kill`,
`timeout` or a scheduler stops its trainings with it (each saves its checkpoint, as on a pre-emption), where joblib's
workers would otherwise go on training in the directory, beside the next sitting's. The count (`RoundCount`) reads
the runs on disk, so it holds for every launcher.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ganlab.report.run_files import Unreadable, read_status
from ganlab.report.runs import override_key, read_run
from ganlab.sequential.plan import StudyPlan

Jobs = dict[tuple[str, ...], list[int]]  # a round's runs still to make: each cell's missing seeds
Progress = Callable[[], None]  # called while a launch runs: the study counts the round's ended runs
Launch = Callable[[StudyPlan, Jobs, Progress], None]
POLL_SECONDS = 30  # between counts of a round's ended runs while its sweep runs
PASSED_ON = (signal.SIGTERM, signal.SIGINT)
STOP_GRACE_SECONDS = 120  # for a stopped sweep's trainings to finish their iteration or evaluation and save


def sweeps(jobs: Jobs) -> list[list[str]]:
    """A round's jobs as few `--multirun` argument lists as Hydra's grid can say: cells that miss the same seeds and
    together make a full grid of their settings are one sweep, so that its launcher runs them side by side (two packs
    at once, or joblib's jobs across cells); any other cell is a sweep of its own."""
    by_seeds: dict[tuple[int, ...], list[tuple[str, ...]]] = {}
    for cell, seeds in jobs.items():
        by_seeds.setdefault(tuple(seeds), []).append(cell)
    found = []
    for seeds, cells in by_seeds.items():
        axes: dict[str, list[str]] = {}  # each key's values, in the cells' order
        for cell in cells:
            for key, value in (item.split("=", 1) for item in cell):
                if value not in axes.setdefault(key, []):
                    axes[key].append(value)
        keys = {tuple(item.split("=", 1)[0] for item in cell) for cell in cells}
        grid = math.prod(len(values) for values in axes.values())
        seed_list = f"seed={','.join(map(str, seeds))}"
        if len(keys) == 1 and grid == len(cells) and all(cell for cell in cells):
            found.append([*(f"{key}={','.join(values)}" for key, values in axes.items()), seed_list])
        else:  # the open cells are part of a grid (the decided ones have left it): each as it is
            found.extend([*cell, seed_list] for cell in cells)
    return found


def launch_sweep(plan: StudyPlan, jobs: Jobs, progress: Progress) -> None:
    """The round's jobs as `--multirun`s of ganlab.train into the study's directory (see `sweeps`), counting the
    ended runs as they go; a job that fails is recorded in its run directory (the look counts it a failure), a
    sweep stopped by a signal stops the study."""
    # each job's directory is named by what varies, its cell and seed: the study's fixed overrides are left out
    shared = ",".join(map(override_key, plan.fixed))
    for arguments in sweeps(jobs):
        command = [
            sys.executable, "-m", "ganlab.train", "--multirun", *plan.fixed, *arguments,
            f"hydra.sweep.dir={plan.directory}", "hydra.sweep.subdir=${hydra.job.override_dirname}",
            f"hydra.job.config.override_dirname.exclude_keys=[{shared}]",
        ]  # fmt: skip
        returncode = run_as_group(command, progress)
        if returncode < 0 or returncode > 128:  # killed by a signal, or ended on one (128 + its number)
            raise SystemExit(128 + abs(returncode) if returncode < 0 else returncode)


def run_as_group(command: list[str], tick: Callable[[], None], every: float = POLL_SECONDS) -> int:
    """Run `command` in a process group of its own, calling `tick` every `every` seconds and once at its end, with
    SIGTERM and SIGINT passed on to the whole group (the sweep's launcher and every worker it started) while it
    runs; returns its exit status (negative: the signal that killed it). Once a passed-on signal has ended the
    launcher, the group is stopped too (`_stop_group`): its workers would otherwise take the launcher's next jobs."""
    heard: list[int] = []
    with subprocess.Popen(command, start_new_session=True) as process:

        def pass_on(number: int, _frame) -> None:
            heard.append(number)
            _signal_group(process.pid, number)

        earlier = {number: signal.signal(number, pass_on) for number in PASSED_ON}
        try:
            while True:
                try:
                    returncode = process.wait(timeout=every)
                    break
                except subprocess.TimeoutExpired:
                    tick()
            if heard:
                _stop_group(process.pid)
        finally:
            for number, handler in earlier.items():
                signal.signal(number, handler)
    tick()
    return returncode


def _signal_group(group: int, number: int) -> bool:
    """Send signal `number` to process group `group`; False when no process is left in it."""
    try:
        os.killpg(group, number)
        return True
    except ProcessLookupError:
        return False


def _stop_group(group: int, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the group every second until it is empty (a training saves its checkpoint at the first and ends; a
    job a worker starts after it dies at the next, before it trains), SIGKILL to what is left after `grace` s."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _signal_group(group, signal.SIGTERM):
            return
        time.sleep(1.0)
    _signal_group(group, signal.SIGKILL)


class RoundCount:
    """How many of a round's jobs have ended, as their runs leave the study's directory, whatever launched them;
    `changed(done, total, seconds)` hears of each new count. A call reads each run still going by its status.json
    alone, and a run that has ended once: a full read of every run, every 30 s, would cost a training core seconds a
    minute."""

    ENDED = ("completed", "failed", "diverged")  # the states a run leaves for good (ganlab.lifecycle.status)

    def __init__(self, plan: StudyPlan, jobs: Jobs, changed: Callable[[int, int, float], None]) -> None:
        self.plan, self.jobs, self.changed = plan, jobs, changed
        self.total, self.done, self.started = sum(map(len, jobs.values())), 0, time.monotonic()
        self.ended: dict[Path, tuple[tuple[str, ...], int] | None] = {}  # a run that ended: the job it is, if any

    def __call__(self) -> None:
        for config in self.plan.directory.rglob(".hydra/config.yaml"):
            path = config.parent.parent
            if path not in self.ended and self._status(path) in self.ENDED:
                self.ended[path] = self._job(path)
        done = len({job for job in self.ended.values() if job is not None})
        if done != self.done:
            self.done = done
            self.changed(done, self.total, time.monotonic() - self.started)

    @staticmethod
    def _status(path: Path) -> str | None:
        try:
            return read_status(path / "status.json").get("status")
        except Unreadable:  # being written, or damaged: the look that follows the round names it
            return None

    def _job(self, path: Path) -> tuple[tuple[str, ...], int] | None:
        """The round's job (cell, seed) that the ended run at `path` is, or None (another round's, another sweep's)."""
        from ganlab.sequential.looks import seeds_ended  # scipy's import, which `--help` need not wait for

        try:
            run = read_run(path)
        except Unreadable:
            return None
        for cell, seeds in self.jobs.items():
            if run.seed in seeds and run.seed in seeds_ended(self.plan, [run], cell):
                return cell, run.seed
        return None
