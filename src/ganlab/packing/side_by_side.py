"""Packs side by side: hydra/launcher=packed with `n_jobs` packs at once, each in a process of its own.

The processes are joblib's loky processes, as Hydra's joblib launcher runs its jobs: each is handed Hydra's
state as the launching process has it and its share of the cores, and trains one pack at a time
(`ganlab.packing.launch.run_pack`, handed in as `run_pack`).

A signal stops the packs as it stops a run (ganlab.lifecycle.signals): every pack ends its iteration, each seed
saves its checkpoint and writes `interrupted`, the packs not yet started are not started, and the command exits
with 128 + the signal's number, saying so in one line. A scheduler's stop and Ctrl-C reach every process of the
command; a signal to the launching process alone is passed on to the packs' processes, but for SIGINT: a second
Ctrl-C stops at once, so a SIGINT passed on to a process the terminal has signalled too would end it without
its checkpoints.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from ganlab.concurrent_jobs import share_of_cores
from ganlab.lifecycle.status_file import Interrupted

log = logging.getLogger(__name__)

RunPack = Callable[[HydraContext, TaskFunction, Sequence[Any]], dict[int, JobReturn]]


def _pack_in_its_process(
    run_pack: RunPack, hydra_context: HydraContext, task_function: TaskFunction, jobs: Sequence[Any],
    singleton_state: dict, threads: int, stop: Path, config: DictConfig,
) -> tuple[dict[int, JobReturn], tuple[str, str] | None]:  # fmt: skip
    """One pack in a process of the pool: its jobs' returns, and (signal, message) when a signal stopped it, or
    stopped the command before it started (the file `stop` exists). `cpu_threads`, when set, replaces `threads`
    as each seed starts (ganlab's job callback). `config`: the sweep's, whose Hydra logging the process takes."""
    import torch

    if stop.exists():
        return {}, (stop.read_text(), "")
    setup_globals()
    Singleton.set_state(singleton_state)
    # the launcher's own lines (a job skipped, say), as the launching process logs them
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    torch.set_num_threads(threads)
    try:
        return run_pack(hydra_context, task_function, jobs), None
    except Interrupted as interrupted:  # a SystemExit, which the pool cannot hand back: handed back as data
        return {}, (interrupted.signal_name, interrupted.message)


@contextmanager
def _signals_passed_on(signals: Sequence[str], stop: Path) -> Iterator[list[signal.Signals]]:
    """While the packs train: the lifecycle's signals to this process noted (in the list yielded and the file
    `stop`, which the packs yet to start read) and passed on to the packs' processes; a second SIGINT stops at
    once."""
    received: list[signal.Signals] = []
    # a name that is not a signal is each run's to refuse (ganlab.lifecycle.signals), with its other problems
    numbers = [signal.Signals[name] for name in signals if name in signal.Signals.__members__]

    def handle(number: int, frame: object) -> None:
        caught = signal.Signals(number)
        if caught == signal.SIGINT and signal.SIGINT in received:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now, as a run alone does
        received.append(caught)
        stop.write_text(caught.name)
        log.info("%s received: every pack stops after its iteration, with its seeds' checkpoints", caught.name)
        if caught != signal.SIGINT:  # Ctrl-C reaches the packs from the terminal already
            for process in multiprocessing.active_children():
                os.kill(process.pid, number)

    previous = {number: signal.getsignal(number) for number in numbers}
    for number in numbers:
        signal.signal(number, handle)
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_side_by_side(
    run_pack: RunPack, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig,
    packs: Sequence[Sequence[Any]], at_once: int, cores: int,
) -> dict[int, JobReturn]:  # fmt: skip
    """`packs` trained `at_once` at a time, each in a process of its own with its share of the `cores`; the
    returns of every job, by number. Raises Interrupted when a signal (the sweep `config`'s lifecycle.signals)
    stopped them."""
    from joblib import Parallel, delayed

    singleton_state = Singleton.get_state()
    threads = share_of_cores(cores, at_once)
    log.info("%d packs at once, each in a process of its own with %d of the %d cores", at_once, threads, cores)
    with tempfile.TemporaryDirectory(prefix="ganlab-packs-") as folder:
        stop = Path(folder) / "stop"
        with _signals_passed_on(list(config.lifecycle.signals), stop) as received:
            try:
                outcomes = Parallel(n_jobs=at_once, backend="loky")(
                    delayed(_pack_in_its_process)(
                        run_pack, hydra_context, task_function, pack, singleton_state, threads, stop, config
                    ) for pack in packs
                )  # fmt: skip
            except Exception:
                if not received:
                    raise
                # a pack's process the signal ended between two runs (its handlers are a run's): nothing was lost
                interrupted = Interrupted(received[0].name, f"{received[0].name} received: the packs stopped, each "
                                          "seed's status.json says where; the same command continues them")
                print(f"ganlab: {interrupted}", file=sys.stderr)
                raise interrupted from None
    returns: dict[int, JobReturn] = {}
    for pack_returns, _ in outcomes:
        returns.update(pack_returns)
    stopped = [stopped for _, stopped in outcomes if stopped is not None]
    if stopped:  # each pack that had started said what its seeds saved, as it stopped
        signal_name = received[0].name if received else stopped[0][0]
        not_started = sum(1 for _, message in stopped if not message)
        interrupted = Interrupted(
            signal_name, f"{signal_name} received: {len(stopped) - not_started} of {len(packs)} packs stopped with "
            f"their seeds' checkpoints saved, {not_started} not started; the same command continues them",
        )  # fmt: skip
        print(f"ganlab: {interrupted}", file=sys.stderr)
        raise interrupted  # a SystemExit: the sweep ends with the process, as ganlab.train's does
    return returns
