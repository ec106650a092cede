"""`python -m ganlab.train [group=option ...] [key=value ...]`: validate the config, build, fit.

The run directory (Hydra's output dir, `paths.output_dir`) receives the composed config (.hydra/),
train.log, metrics.csv, samples/, checkpoints/last.ckpt and status.json.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from ganlab.lightning_fastpath.process_exit import run_then_exit
from ganlab.resume import (
    check_checkpoint,
    continue_metrics,
    hydra_output_subdir,
    job_plan,
    resume_from,
    run_directory,
    save_hydra_files,
)
from ganlab.status_file import Diverged, Interrupted, hydra_overrides, read_status, write_status
from ganlab.validate import ConfigError, validate_config

if TYPE_CHECKING:
    import pytorch_lightning as pl

log = logging.getLogger(__name__)

# hydra.run.dir goes through it (conf/train.yaml): a resumed run's own directory, or a new one per run
OmegaConf.register_new_resolver("ganlab_run_dir", run_directory, replace=True)
# ... and hydra.output_subdir: Hydra rewrites .hydra/ only in a directory that holds no run yet
OmegaConf.register_new_resolver("ganlab_hydra_subdir", hydra_output_subdir, replace=True)


def run(cfg: DictConfig) -> pl.Trainer | None:
    """Validate, build and fit the run described by `cfg`; returns the fitted Trainer, or None for a sweep job
    that had completed before (see `ganlab.resume`)."""
    # Lightning and torch are imported once the config is valid, not at the top: they take seconds to
    # import, and `--help`, `--cfg`, a misspelled option or a bad value should answer at once.
    output_dir = Path(cfg.paths.output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"paths.output_dir = {str(output_dir)!r}: cannot be written ({error}); choose a directory you can write "
            "(hydra.run.dir=... on the command line)"
        ) from error
    sweep = HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN
    overrides = hydra_overrides() or []
    # refusals here leave the directory's run as it was: its status.json is not rewritten
    plan, reason = job_plan(output_dir, overrides, cfg.get("ckpt_path"), bool(cfg.get("rerun_failed")), sweep)
    if plan == "skip":
        log.info("%s skipped: %s", output_dir, reason)
        return None
    continues = plan == "resume"  # in a directory whose .hydra/ Hydra left as the run had it
    status_path = output_dir / "status.json"
    try:
        validate_config(cfg)
        checkpoint = resume_from(cfg, output_dir) if plan == "resume" else None
        plan = "fresh" if checkpoint is None else plan  # a rerun from the start: its files were set aside
        import pytorch_lightning as pl

        from ganlab.build import build_run

        pl.seed_everything(cfg.seed, workers=True)  # before building: weight init draws from it
        datamodule, module, trainer = build_run(cfg)
        if checkpoint is not None:
            iteration = check_checkpoint(checkpoint, cfg, module.optimizer_steps_per_iteration)
    except ConfigError as error:
        if plan == "fresh":
            write_status(status_path, "config_error", error=str(error), overrides=overrides)
        raise
    except BaseException as error:  # a build that fails for another reason, or Ctrl-C while building
        if plan == "fresh":
            state = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
            write_status(status_path, state, error=f"{type(error).__name__}: {error}", overrides=overrides)
        raise
    if continues and HydraConfig.initialized():  # the command is not refused: .hydra/ describes it now
        save_hydra_files(output_dir, cfg)
    if checkpoint is not None:
        log.info("resuming %s (%s) from %s at iteration %d", output_dir, reason, checkpoint, iteration)
        if 0 < trainer.max_steps <= iteration * module.optimizer_steps_per_iteration:
            # Lightning would return at once, without a hook that updates status.json
            log.info("nothing left to train: trainer.max_steps does not go past the checkpoint's iteration")
            record = {key: value for key, value in read_status(output_dir).items() if key not in ("status", "updated")}
            write_status(status_path, "completed", **{**record, "iteration": iteration})
            return trainer
        continue_metrics(trainer, output_dir, iteration)
    else:
        log.info("run directory: %s", output_dir)
    fit(trainer, module, datamodule, checkpoint)
    if trainer.is_global_zero:
        log.info(
            "trained %d iterations (%d optimizer steps: %d discriminator + %d generator updates per iteration)",
            module.iteration,
            trainer.global_step,
            module.d_steps,
            module.g_steps,
        )
    return trainer


def fit(trainer: pl.Trainer, module: pl.LightningModule, datamodule: pl.LightningDataModule, checkpoint) -> None:
    """trainer.fit; a run stopped by a signal raises Interrupted once its checkpoint is saved."""
    from pytorch_lightning.utilities.exceptions import SIGTERMException

    from ganlab.callbacks.preemption import Preemption
    from ganlab.lightning_fastpath.callback_group import find_callback

    try:
        # weights_only: the checkpoint was read as data once already (ganlab.resume.check_checkpoint); so again
        trainer.fit(
            module, datamodule=datamodule, ckpt_path=None if checkpoint is None else str(checkpoint), weights_only=True
        )
    except SIGTERMException:
        preemption = find_callback(trainer, Preemption)
        name = preemption.signal_name if preemption is not None else "SIGTERM"
        if preemption is not None:
            preemption.hand_on()  # under submitit: requeue the job (it then resumes by itself)
        saved = preemption is not None and preemption.checkpoint.is_file()
        resume = f"continue it with the same command and ckpt_path={Path(trainer.default_root_dir)}" if saved else ""
        raise Interrupted(
            name,
            f"{name} received: stopped after {module.iteration} iterations"
            + (f", checkpoint saved; {resume}" if saved else " (no checkpoint: callbacks.preemption is off)"),
        ) from None


def final_score(trainer: pl.Trainer, name: str) -> float:
    """The value of score `name` (val/classifier_score) at the run's last evaluation."""
    from ganlab.callbacks.evaluation import Evaluation
    from ganlab.lightning_fastpath.callback_group import find_callback

    latest = evaluation.latest if (evaluation := find_callback(trainer, Evaluation)) is not None else {}
    key = name.removeprefix("val/")
    if key not in latest:
        logged = ", ".join(f"val/{score}" for score in latest) or "nothing"
        raise ConfigError(f"optimized_metric = {name!r}: this run's metric logged {logged}")
    return latest[key]


def _send_lightning_logs_to_hydra() -> None:
    # Lightning gives its loggers their own console handler when imported before logging is set up,
    # which keeps its messages out of Hydra's train.log; hand them back to the root logger.
    for name in ("pytorch_lightning", "lightning_fabric", "lightning.pytorch", "lightning.fabric"):
        lightning_logger = logging.getLogger(name)
        lightning_logger.handlers.clear()
        lightning_logger.propagate = True
    # Lightning advertises its cloud services ("Tip: ... litlogger"): not part of a ganlab run's story. And its
    # "`Trainer.fit` stopped: `max_steps=6000` reached" counts optimizer steps, twice a 3000-iteration run's:
    # ganlab's own last line says both counts.
    for name in ("pytorch_lightning.utilities.rank_zero", "lightning.pytorch.utilities.rank_zero"):
        logging.getLogger(name).addFilter(
            lambda record: not str(record.msg).startswith(("💡 Tip:", "`Trainer.fit` stopped: `max_steps="))
        )


def _quiet_misleading_warnings() -> None:
    # Lightning takes a mid-epoch checkpoint's data loader for one that restarts its epoch; ganlab's iterables
    # start at the run's iteration (ganlab.data.batching), so a resumed run sees the batches it would have.
    warnings.filterwarnings("ignore", message=r"You're resuming from a checkpoint that ended before the epoch ended")
    # ... and a resumed run's checkpoint directory for a stranger's: only a resumed run finds it there (ganlab.resume)
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
    # CSVLogger warns that files in a non-empty log dir "will be deleted"; it only ever replaces its own
    # metrics.csv, and the run dir is never empty (Hydra wrote .hydra/ into it first).
    warnings.filterwarnings("ignore", message=r"Experiment logs directory .* exists and is not empty")
    # Lightning 2.6 calls a torch pytree API that torch 2.14 deprecates; nothing a user can act on.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")


# conf/hydra/launcher/ray.yaml replaces the Ray plugin's own `ray` option on purpose (one GPU per job) and
# is checked against the plugin's schema of the same name; Hydra warns that such matching is deprecated
# while composing, before main() runs, so the filter is set here, at import.
warnings.filterwarnings("ignore", message=r"\s*'hydra/launcher/ray' is validated against ConfigStore schema")


class JobFailed(CompactHydraException):
    """A sweep job that was refused or diverged. Hydra marks it failed, runs the other jobs, and at the end
    raises the first failure again: an exception of this kind it prints as its message alone, where any other
    gets a traceback."""


@hydra.main(version_base="1.3", config_path="pkg://ganlab.conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Train; returns the `optimized_metric` score, for a sweeper that optimizes (hydra/sweeper=optuna)."""
    _send_lightning_logs_to_hydra()
    _quiet_misleading_warnings()
    try:
        trainer = run(cfg)
        return final_score(trainer, cfg.optimized_metric) if trainer and cfg.get("optimized_metric") else None
    except Interrupted as interrupted:  # a SystemExit: in a sweep too it ends the process, with its code
        print(f"ganlab: {interrupted}", file=sys.stderr)
        raise
    except Exception as error:
        # A refused config exits 2, a diverged run 3, with one paragraph; anything else keeps its traceback.
        # A sweep records the failed job and goes on; HYDRA_FULL_ERROR=1 asks for the traceback.
        code = 2 if isinstance(error, ConfigError) else 3 if isinstance(error, Diverged) else None
        if code is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            log.error("ganlab: %s", error)  # in the job's train.log and the sweep's output, as it happens
            raise JobFailed(f"ganlab: {error}") from error
        print(f"ganlab: {error}", file=sys.stderr)
        sys.exit(code)


# Command-line choices that need a Hydra plugin from one of ganlab's extras: (plugin module, extra). Without
# it Hydra says only that the option or a plugin class is unknown.
_EXTRAS = {
    "hydra/launcher=ray": ("hydra_plugins.hydra_ray_launcher", "ray"),
    "hydra/launcher=slurm": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    "hydra/launcher=submitit_local": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    "hydra/sweeper=optuna": ("hydra_plugins.hydra_optuna_sweeper", "optuna"),
    "hparams_search=optuna": ("hydra_plugins.hydra_optuna_sweeper", "optuna"),
}


def plugin_installed(module: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # not even the hydra_plugins namespace
        return False


def missing_extra(arguments: list[str]) -> str | None:
    """A one-line message when an argument chooses a launcher or sweeper whose plugin is not installed."""
    for argument in arguments:
        for prefix, (plugin, extra) in _EXTRAS.items():
            if argument.startswith(prefix) and not plugin_installed(plugin):
                return (
                    f"{argument} needs a Hydra plugin that is not installed ({plugin}): "
                    f'pip install "ganlab[{extra}]", or pip install -e ".[{extra}]" in a checkout'
                )
    return None


if __name__ == "__main__":
    if message := missing_extra(sys.argv[1:]):
        print(f"ganlab: {message}", file=sys.stderr)
        sys.exit(2)
    run_then_exit(main)  # without the interpreter's final garbage collection (ganlab.lightning_fastpath.process_exit)
