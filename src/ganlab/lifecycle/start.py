"""A run's start, as `ganlab.train.run` drives it: one object from the plan to the fit.

`Start.plan` decides before anything is built what the command does in its run directory (the rules are
ganlab.lifecycle.plan's); `recording_failures` wraps the build, so that a fresh run refused or broken while
building says so in status.json (a run being continued keeps its own record); `find_checkpoint` refuses a
checkpoint of other settings before anything is built; `count_iterations` reads the checkpoint's iteration once
the module knows its optimizer steps per iteration; `ready_to_fit` writes what a continued run's directory
needs; `fit` trains and turns a pre-emption signal into `Interrupted` once the checkpoint is saved.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from ganlab.errors import ConfigError
from ganlab.iterations import iterations_of, steps_of
from ganlab.lifecycle.directories import save_hydra_files
from ganlab.lifecycle.plan import CHECKPOINT, check_checkpoint, job_plan, resume_from
from ganlab.lifecycle.status_file import Interrupted, hydra_overrides, read_status, write_status

if TYPE_CHECKING:
    import pytorch_lightning as pl

log = logging.getLogger(__name__)


@dataclass
class Start:
    output_dir: Path
    kind: str  # fresh, resume or skip (ganlab.lifecycle.plan.job_plan)
    reason: str
    overrides: list[str]
    sweep: bool
    continues: bool  # in a directory whose .hydra/ Hydra left as the run had it
    checkpoint: Path | None = None
    global_step: int = 0  # the checkpoint's, in Lightning's optimizer steps
    iteration: int = 0  # ... in training iterations

    @property
    def status_path(self) -> Path:
        return self.output_dir / "status.json"

    @classmethod
    def plan(cls, cfg: DictConfig, sweep: bool) -> Start:
        """What the command does in its run directory; ConfigError when it must not touch it (nothing changed)."""
        output_dir = Path(cfg.paths.output_dir)
        try:
            output_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(
                f"paths.output_dir = {str(output_dir)!r}: cannot be written ({error}); choose a directory you can "
                "write (hydra.run.dir=... on the command line)"
            ) from error
        overrides = hydra_overrides() or []
        kind, reason = job_plan(output_dir, overrides, cfg.get("ckpt_path"), bool(cfg.get("rerun_failed")), sweep)
        return cls(output_dir, kind, reason, overrides, sweep, continues=kind == "resume")

    def find_checkpoint(self, cfg: DictConfig) -> None:
        """The checkpoint a resume continues from, refused (ConfigError) before anything is built when it is not a
        ganlab checkpoint of these settings; a rerun without one starts over (its files set aside)."""
        if self.kind == "resume":
            self.checkpoint = resume_from(cfg, self.output_dir)
            self.kind = "resume" if self.checkpoint is not None else "fresh"
        if self.checkpoint is not None:
            self.global_step = check_checkpoint(self.checkpoint, cfg)

    def count_iterations(self, steps_per_iteration: int) -> None:
        """The checkpoint's iteration, once the run is built and knows its optimizer steps per iteration."""
        self.iteration = iterations_of(self.global_step, steps_per_iteration)

    @contextmanager
    def recording_failures(self) -> Iterator[None]:
        """A fresh run refused (config_error) or broken (failed, interrupted) in the block says so in status.json."""
        try:
            yield
        except ConfigError as error:
            if self.kind == "fresh":
                write_status(self.status_path, "config_error", error=str(error), overrides=self.overrides)
            raise
        except BaseException as error:  # a build that fails for another reason, or Ctrl-C while building
            if self.kind == "fresh":
                state = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
                why = f"{type(error).__name__}: {error}"
                write_status(self.status_path, state, error=why, overrides=self.overrides)
            raise

    def ready_to_fit(self, cfg: DictConfig, trainer: pl.Trainer, steps_per_iteration: int) -> bool:
        """.hydra/ and metrics.csv of a continued run brought up to date; False when there is nothing left to train
        (the run is then recorded completed)."""
        from hydra.core.hydra_config import HydraConfig

        from ganlab.lifecycle.continuation import continue_metrics

        if self.continues and HydraConfig.initialized():  # the command is not refused: .hydra/ describes it now
            save_hydra_files(self.output_dir, cfg)
        if self.checkpoint is None:
            log.info("run directory: %s", self.output_dir)
            return True
        log.info("resuming %s (%s) from %s at iteration %d", self.output_dir, self.reason, self.checkpoint,
                 self.iteration)  # fmt: skip
        if 0 < trainer.max_steps <= steps_of(self.iteration, steps_per_iteration):
            # Lightning would return at once, without a hook that updates status.json
            log.info("nothing left to train: trainer.max_steps does not go past the checkpoint's iteration")
            record = read_status(self.output_dir)
            record = {key: value for key, value in record.items() if key not in ("status", "updated")}
            write_status(self.status_path, "completed", **{**record, "iteration": self.iteration})
            return False
        continue_metrics(trainer, self.output_dir, self.iteration)
        return True

    def fit(self, trainer: pl.Trainer, module: pl.LightningModule, datamodule: pl.LightningDataModule) -> None:
        """trainer.fit from the start's checkpoint; a run stopped by a signal raises Interrupted once its
        checkpoint is saved."""
        from pytorch_lightning.utilities.exceptions import SIGTERMException

        checkpoint = None if self.checkpoint is None else str(self.checkpoint)
        try:
            # weights_only: the checkpoint was read as data once already (find_checkpoint), and is so again
            trainer.fit(module, datamodule=datamodule, ckpt_path=checkpoint, weights_only=True)
        except SIGTERMException:
            # published by the run's Preemption (always attached: ganlab.lifecycle.attach) as training was set up
            preemption = module.record.preemption
            preemption.pass_signal_on()  # under submitit: requeue the job (it then resumes by itself)
            name, iterations = preemption.signal_name, module.iteration
            if (self.output_dir / CHECKPOINT).is_file():
                resume = f"checkpoint saved; continue it with the same command and ckpt_path={self.output_dir}"
            else:
                resume = "no checkpoint was saved"
            raise Interrupted(name, f"{name} received: stopped after {iterations} iterations, {resume}") from None
        if (preemption := module.record.preemption) is not None and preemption.received is not None:
            # it came once the last iteration was done: the run is complete, and the process still ends rather
            # than a sweep starting its next job on a machine being taken away
            preemption.pass_signal_on()
            name = preemption.signal_name
            raise Interrupted(name, f"{name} received as the run ended: it completed {module.iteration} iterations")
