"""status.json: whether a run is running, completed, failed or interrupted, and how far it got.

A sweep's report reads it to tell which jobs failed, a resumed sweep to tell which jobs to skip or continue;
a person reads it instead of the terminal. While training it is rewritten every `every_n_steps` iterations
and at least every `heartbeat_seconds`: a `running` status much older than that belongs to a run killed
without warning (`ganlab.lifecycle.status_file.is_stale`).

`timings` says where a run's time went besides training: `seconds_to_first_iteration` (from the process's
start for the first run of a process, from the run's own start for later runs of a sequential sweep) and
each callback's `timings` (Evaluation's seconds for the reference and for one evaluation of each size).
`environment` says what else the numbers depend on: the libraries' versions, the machine, its processor and the
CPU kernels torch chose for it, the device, and torch's CPU threads (a seeded run repeats bit for bit only with the
same of each; a resumed sitting records its own).
`yardstick` names the feature network the scores were measured with, by its weights' SHA-256
(ganlab.metrics.yardstick). A completed run also leaves final_scores.json: its final evaluation, with its
sample sizes and yardstick.
"""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ganlab.atomic_files import write_text_atomically
from ganlab.contracts import TrainingState
from ganlab.errors import InvalidValue
from ganlab.lifecycle.signals import Preemption
from ganlab.lifecycle.status_file import FINAL_SCORES, Diverged, hydra_overrides, read_status, write_status
from ganlab.value_checks import is_int, is_number


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def process_age() -> float:
    """Seconds since this process started (Linux's /proc), 0 where that cannot be read."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()  # the name may hold spaces
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def environment(trainer: pl.Trainer) -> dict[str, Any]:
    """The versions, machine, device and CPU threads this process trains with."""
    import torch
    import torchvision

    device = trainer.strategy.root_device
    return {
        "python": platform.python_version(),
        "ganlab": _version("ganlab"),
        "torch": torch.__version__,  # with its build (+cu130, +cpu), which the package metadata leaves out
        "torchvision": torchvision.__version__,
        "pytorch_lightning": pl.__version__,
        "host": platform.node(),
        # the same torch, seed and threads on another processor summed in another order (docs/configs.md, the
        # pinned classifiers), and a GAN's training amplifies such a difference into another run
        "processor": processor(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # the vector kernels torch dispatches to
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else device.type,
        "cpu_threads": torch.get_num_threads(),
    }


def processor() -> str | None:
    """The processor's model name (Linux's /proc/cpuinfo; elsewhere Python's platform), None when neither says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and ":" in line:
                return line.split(":", 1)[1].strip() or None
    except OSError:
        pass
    return platform.processor() or None


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return None


_first_run_of_process = True  # the imports and interpreter start belong to the first run only


class RunStatus(pl.Callback):
    """Keeps <path> current: `running` (with the iteration), then `completed`, `diverged` (with the reason),
    `failed` (with the error) or `interrupted` (with the signal). Each record also holds the job's
    overrides, when and at which iterations it was started and resumed, and what the run's record holds
    (ganlab.run_record): the findings (D winning, modes lost), the parts' timings, which way each score
    improves (`better`, from the metric: what the report draws its verdicts on) and the yardstick."""

    def __init__(
        self, path: str, every_n_steps: int = 1000, heartbeat_seconds: float = 60, preemption: Preemption | None = None
    ) -> None:
        if not (is_int(every_n_steps) and every_n_steps >= 0):
            raise InvalidValue("every_n_steps", every_n_steps, "an integer >= 0 (0: only the heartbeat)")
        if not (is_number(heartbeat_seconds) and heartbeat_seconds > 0):
            raise InvalidValue("heartbeat_seconds", heartbeat_seconds, "a positive number of seconds")
        self.path, self.every_n_steps, self.heartbeat_seconds = Path(path), int(every_n_steps), float(heartbeat_seconds)
        self.starts: list[dict[str, Any]] = []
        self._written = 0.0
        global _first_run_of_process
        self._started = time.monotonic() - (process_age() if _first_run_of_process else 0.0)
        _first_run_of_process = False
        self.environment: dict[str, Any] = {}  # the first sitting's
        self.preemption = preemption  # the run's signal handler (ganlab.lifecycle.attach): which signal stopped it

    def _write(self, trainer: pl.Trainer, pl_module: TrainingState, status: str, **fields: Any) -> None:
        if not trainer.is_global_zero:
            return
        iterations = pl_module.planned_iterations or -1
        record = pl_module.record
        write_status(
            self.path,
            status,
            iteration=pl_module.iteration,
            max_iterations=iterations,
            epoch=trainer.current_epoch,
            started=self.starts[0]["at"] if self.starts else _now(),
            **({"resumed": self.starts[1:]} if len(self.starts) > 1 else {}),
            **({"overrides": overrides} if (overrides := hydra_overrides()) is not None else {}),
            **({"findings": record.findings} if record.findings else {}),
            **({"timings": record.timings} if record.timings else {}),
            **({"better": record.score_directions} if record.score_directions else {}),
            **({"yardstick": record.yardstick} if record.yardstick else {}),
            **({"environment": self.environment} if self.environment else {}),
            **fields,
        )
        self._written = time.monotonic()

    def on_train_start(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        # here, not at fit start: a resumed run's iteration is restored by now
        pl_module.record.closed = False  # a fit of this module again: its rows are judged again
        previous = read_status(self.path.parent) if trainer.ckpt_path is not None else {}
        first = [{"at": previous["started"], "iteration": 0}] if previous.get("started") else []
        this_sitting = {"at": _now(), "iteration": pl_module.iteration}
        here = environment(trainer)
        self.environment = previous.get("environment", here)
        if first:  # a resumed sitting may run on another machine, with other threads or versions
            this_sitting["environment"] = here
        self.starts = first + previous.get("resumed", []) + [this_sitting]
        self._write(trainer, pl_module, "running")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if "seconds_to_first_iteration" not in pl_module.record.timings and trainer.ckpt_path is None:
            pl_module.record.add_timing("seconds_to_first_iteration", round(time.monotonic() - self._started, 2))
        periodic = self.every_n_steps and pl_module.iteration % self.every_n_steps == 0
        if periodic or time.monotonic() - self._written > self.heartbeat_seconds:
            self._write(trainer, pl_module, "running")

    @staticmethod
    def _save_every_row(trainer: pl.Trainer, pl_module: TrainingState, reduce: bool) -> None:
        """The iterations' rows kept on the device, and those a logger still holds (CSVLogger writes every 10),
        on disk before status.json says how the run ended: a kill may come next, and nothing measured is lost."""
        pl_module.write_training_rows(reduce=reduce)
        for logger in trainer.loggers:
            logger.save()

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        self._save_every_row(trainer, pl_module, reduce=True)
        self._save_final_scores(trainer, pl_module)
        self._write(trainer, pl_module, "completed")

    def _save_final_scores(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        """final_scores.json: the final evaluation (what the report's verdicts read), with its sample sizes and
        yardstick, beside status.json; `python -m ganlab.rescore` writes it again on another yardstick."""
        final = pl_module.record.final_scores
        if trainer.is_global_zero and final:
            write_text_atomically(self.path.with_name(FINAL_SCORES), json.dumps(final, indent=2) + "\n")

    def on_exception(self, trainer: pl.Trainer, pl_module: TrainingState, exception: BaseException) -> None:
        pl_module.record.closed = True  # the rows saved now are kept, not judged again: the run is ending already
        self._save_every_row(trainer, pl_module, reduce=False)  # not every DDP process gets here
        if isinstance(exception, SIGTERMException):
            preemption = self.preemption
            name = preemption.signal_name if preemption is not None else "SIGTERM"
            saved = preemption is not None and preemption.checkpoint.is_file()
            self._write(trainer, pl_module, "interrupted", signal=name, checkpoint_saved=saved)
        elif isinstance(exception, KeyboardInterrupt):
            self._write(trainer, pl_module, "interrupted", signal="SIGINT", checkpoint_saved=False)
        elif isinstance(exception, Diverged):
            self._write(trainer, pl_module, "diverged", reason=str(exception))
        else:
            self._write(trainer, pl_module, "failed", error=f"{type(exception).__name__}: {exception}")
