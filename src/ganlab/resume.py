"""Continuing a run: which directory and checkpoint, whether the checkpoint fits the config, and what a
directory that already holds a run allows.

`ckpt_path` (a top-level config key) is null (a fresh run), `last` (this run directory's
checkpoints/last.ckpt), a checkpoint file or a run directory. A checkpoint inside a run directory
continues that run in it: `run_directory` is the resolver that hydra.run.dir goes through, so the command
needs no `hydra.run.dir` too. In a sweep (`--multirun` into an existing `hydra.sweep.dir`) every job
decides from its directory's status.json (`job_plan`): completed jobs are skipped, interrupted and stale
ones resume from their checkpoint, failed ones rerun only with `rerun_failed=true`.

Kept free of Lightning and torch at import (the functions that need them import them): train.py consults it
before deciding to build anything. Once built, `check_checkpoint` refuses a checkpoint of other settings and
`continue_metrics` carries metrics.csv on from the checkpoint.
"""

from __future__ import annotations

import csv
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, OmegaConf

from ganlab.dotted_keys import flatten
from ganlab.status_file import STALE_AFTER_SECONDS, age_seconds, is_stale, read_status
from ganlab.validate import ConfigError

CHECKPOINT = Path("checkpoints") / "last.ckpt"
HYDRA_SUBDIR = ".hydra"  # where Hydra writes a job's config.yaml, hydra.yaml and overrides.yaml
# What defines a run: a checkpoint must agree on these to be continued. Everything else (the budget in
# trainer.max_steps, loggers, pictures, paths) may change between the first start and a resume.
DEFINING_KEYS = ("model", "data", "loss", "trick", "optim", "metric", "d_steps", "g_steps", "seed")
# ... except where a data set lives and whether it may be downloaded (a requeued job may run on another node),
# and the evaluation limit, a copy of trainer.limit_val_batches that only sizes a domain classifier still to be
# trained (so checkpoints written before the key existed resume too).
UNCOMPARED_KEYS = ("data.root", "data.download", "metric.scores.evaluation_limit")

if TYPE_CHECKING:
    import pytorch_lightning as pl

log = logging.getLogger(__name__)
_chosen_directories: dict[str, str] = {}


def run_directory(ckpt_path: Any, fresh: str) -> str:
    """hydra.run.dir: the run directory a checkpoint belongs to (<run dir>/checkpoints/<name>.ckpt, or a run
    directory itself), else a new directory named `fresh`, or `fresh`_1, _2, ... when a run started in the
    same second already took it. The directory is created here, atomically, so two processes never share one."""
    if ckpt_path not in (None, "", "last"):
        path = Path(str(ckpt_path)).expanduser()
        if path.is_dir():
            return str(path)
        if path.parent.name == "checkpoints":
            return str(path.parent.parent)
    if fresh not in _chosen_directories:  # Hydra resolves the key more than once per run
        candidate, number = fresh, 0
        while True:
            try:
                Path(candidate).mkdir(parents=True)
                break
            except FileExistsError:
                number += 1
                candidate = f"{fresh}_{number}"
        _chosen_directories[fresh] = candidate
    return _chosen_directories[fresh]


def hydra_output_subdir(output_dir: str) -> str | None:
    """hydra.output_subdir: `.hydra` for a directory that holds no run yet, else None. Hydra writes the job's
    config.yaml, hydra.yaml and overrides.yaml there before ganlab looks at the directory, so a command that
    `job_plan` then refuses (a sweep of other arguments into the same hydra.sweep.dir, a run directory named
    again) or skips would have left a run whose files describe another command. A run that goes on there
    writes them itself (`save_hydra_files`)."""
    return None if (Path(output_dir) / "status.json").is_file() else HYDRA_SUBDIR


def save_hydra_files(output_dir: Path, task_config: DictConfig) -> None:
    """What Hydra writes into <run>/.hydra at a job's start, for a run that continues in a directory that
    Hydra left alone (`hydra_output_subdir`)."""
    from hydra.core.hydra_config import HydraConfig

    hydra_config = HydraConfig.instance().cfg  # {"hydra": ...}, as Hydra saves it
    if not OmegaConf.is_interpolation(hydra_config.hydra, "output_subdir"):
        # set on the command line: null (Lightning's DDP sets it for the processes it starts) writes none, and
        # a folder of the user's Hydra has written already
        return
    folder = output_dir / HYDRA_SUBDIR
    folder.mkdir(exist_ok=True)
    for name, config in (
        ("config.yaml", task_config),
        ("hydra.yaml", hydra_config),
        ("overrides.yaml", hydra_config.hydra.overrides.task),
    ):
        (folder / name).write_text(OmegaConf.to_yaml(config), encoding="utf-8")


def checkpoint_file(ckpt_path: Any, output_dir: Path) -> Path:
    """The checkpoint file `ckpt_path` names; ConfigError when there is none."""
    if ckpt_path == "last":
        path = output_dir / CHECKPOINT
        hint = "give the run to continue: ckpt_path=<run directory>, or hydra.run.dir=<run directory> ckpt_path=last"
    else:
        path = Path(str(ckpt_path)).expanduser()
        path = path / CHECKPOINT if path.is_dir() else path
        hint = "give a .ckpt file or a run directory (which holds checkpoints/last.ckpt)"
    if not path.is_file():
        raise ConfigError(f"ckpt_path = {ckpt_path!r}: there is no checkpoint at {path}; {hint}")
    return path


def job_plan(
    output_dir: Path, overrides: list[str], ckpt_path: Any, rerun_failed: bool, sweep: bool
) -> tuple[str, str]:
    """What to do in `output_dir` and why: `fresh`, `resume` (from its checkpoint, or from the start when it
    holds none) or `skip` (a sweep job that completed, or failed and is not to be rerun). ConfigError when
    the directory holds a run this command must not touch; nothing in it has been changed then."""
    status = read_status(output_dir)
    state = status.get("status")
    if ckpt_path not in (None, ""):
        if state == "running" and not is_stale(status):
            raise ConfigError(_busy(output_dir, status))
        return "resume", f"ckpt_path={ckpt_path}"
    if state is None:
        return "fresh", "a new run"
    if not sweep:
        raise ConfigError(
            f"{output_dir} already holds a run (status {state}); continue it with ckpt_path=last, or start a "
            "new one in another directory (the default hydra.run.dir is a new one)"
        )
    if status.get("overrides") is not None and status["overrides"] != overrides:
        raise ConfigError(
            f"{output_dir} holds another job ({' '.join(status['overrides']) or 'no overrides'}) than this one "
            f"({' '.join(overrides) or 'no overrides'}); rerun the sweep with the same arguments, or in a new "
            "hydra.sweep.dir"
        )
    if state == "completed":
        return "skip", "completed before"
    if state == "interrupted" or is_stale(status):
        return "resume", "interrupted" if state == "interrupted" else "stale: killed without warning"
    if state == "running":
        raise ConfigError(_busy(output_dir, status))
    if rerun_failed:  # failed, diverged, config_error
        return "resume", f"ended {state}, rerun_failed=true"
    return "skip", f"ended {state}: left as it is (rerun_failed=true runs it again)"


def _busy(output_dir: Path, status: dict[str, Any]) -> str:
    return (
        f"{output_dir} holds a run that is still running (status.json written {age_seconds(status):.0f} s ago); "
        f"a run is taken as dead {STALE_AFTER_SECONDS // 60} minutes after its last heartbeat"
    )


def set_aside(output_dir: Path) -> Path:
    """Move a failed attempt's files (all but .hydra/ and train.log, which continue) into attempts/<n>/, so a
    rerun from the start writes fresh ones and the old ones stay readable."""
    attempts = output_dir / "attempts"
    number = 1 + max((int(path.name) for path in attempts.glob("*") if path.name.isdigit()), default=0)
    target = attempts / str(number)
    target.mkdir(parents=True)
    for path in output_dir.iterdir():
        if path.name not in (".hydra", "train.log", "attempts"):
            shutil.move(str(path), target / path.name)
    return target


def differing_keys(config: dict[str, Any], checkpoint_config: dict[str, Any]) -> list[str]:
    """The defining keys (dotted) whose values differ between a run's config and a checkpoint's."""
    mine = {key: value for key, value in flatten(config).items() if key.split(".")[0] in DEFINING_KEYS}
    theirs = {key: value for key, value in flatten(checkpoint_config).items() if key.split(".")[0] in DEFINING_KEYS}
    keys = sorted(
        key for key in mine.keys() | theirs.keys() if mine.get(key, "<absent>") != theirs.get(key, "<absent>")
    )
    return [key for key in keys if key not in UNCOMPARED_KEYS]


def check_checkpoint_matches(path: Path, config: dict[str, Any], checkpoint_config: dict[str, Any] | None) -> None:
    if checkpoint_config is None:
        raise ConfigError(f"ckpt_path: {path} is not a ganlab checkpoint (it holds no run config)")
    if keys := differing_keys(config, checkpoint_config):
        mine, theirs = flatten(config), flatten(checkpoint_config)
        shown = "; ".join(
            f"{key}: {theirs.get(key, '<absent>')!r} there, {mine.get(key, '<absent>')!r} here" for key in keys[:8]
        )
        more = f" (and {len(keys) - 8} more)" if len(keys) > 8 else ""
        raise ConfigError(
            f"ckpt_path: {path} was trained with another config: {shown}{more}; resume with the same settings, "
            "or start a new run"
        )


def metrics_to_continue(metrics_csv: Path, iteration: int) -> list[dict[str, str]]:
    """The rows of a run's metrics.csv up to a checkpoint taken after `iteration` iterations: training rows
    of iterations 0..iteration-1 and evaluations up to `iteration`. Rows written after the checkpoint (a run
    killed later) are left out: the resumed run writes them again."""
    if not metrics_csv.is_file():
        return []
    with open(metrics_csv, newline="") as file:
        rows = list(csv.DictReader(file))
    kept = []
    for row in rows:
        step = int(float(row.get("step") or 0))
        training = any(value != "" for key, value in row.items() if key.startswith("train/"))
        if step < iteration or (step == iteration and not training):
            kept.append(row)
    return kept


def keep_aside(path: Path) -> Path | None:
    """Rename `path` to <path>.before-resume (returned), so that nothing is lost while it is rewritten."""
    if not path.exists():
        return None
    aside = path.with_name(path.name + ".before-resume")
    os.replace(path, aside)
    return aside


def resume_from(cfg: DictConfig, output_dir: Path) -> Path | None:
    """The checkpoint a resumed run starts from; None when the run must start over (its earlier attempt's
    files are then set aside in attempts/<n>/)."""
    if cfg.get("ckpt_path"):
        return checkpoint_file(cfg.ckpt_path, output_dir)
    if (output_dir / CHECKPOINT).is_file():
        return output_dir / CHECKPOINT
    log.info(
        "%s: no checkpoint to resume from; the earlier attempt's files are kept in %s",
        output_dir,
        set_aside(output_dir),
    )
    return None


def check_checkpoint(path: Path, cfg: DictConfig, steps_per_iteration: int) -> int:
    """Refuse a file that is not a ganlab checkpoint or was trained with other settings; returns its iteration."""
    from ganlab.checkpoint_reading import CheckpointRefused, read_checkpoint

    try:
        checkpoint = read_checkpoint(path)
        config, step = checkpoint.get("hyper_parameters", {}).get("config"), int(checkpoint["global_step"])
    except CheckpointRefused as error:
        raise ConfigError(f"ckpt_path: {error}") from None
    except (KeyError, TypeError, ValueError) as error:  # read, but without a step count: not Lightning's
        raise ConfigError(f"ckpt_path: {path}: not a Lightning checkpoint (no global_step: {error})") from None
    check_checkpoint_matches(path, OmegaConf.to_container(cfg, resolve=True), config)
    return step // steps_per_iteration


def continue_metrics(trainer: pl.Trainer, output_dir: Path, iteration: int) -> None:
    """metrics.csv goes on from the checkpoint: its rows up to `iteration` are written again through the CSV
    logger (which starts a fresh file), the rows after it are dropped (the resumed run logs them again)."""
    from pytorch_lightning.loggers import CSVLogger  # here: this module is read before Lightning is imported

    metrics_csv = output_dir / "metrics.csv"
    rows = metrics_to_continue(metrics_csv, iteration)
    aside = keep_aside(metrics_csv)
    for logger in trainer.loggers:
        if isinstance(logger, CSVLogger) and Path(logger.log_dir).resolve() == output_dir.resolve():
            for row in rows:
                values = {key: _number(value) for key, value in row.items() if value != "" and key != "step"}
                logger.log_metrics(values, step=int(float(row["step"])))
            logger.save()
    if aside is not None:
        aside.unlink()


def _number(text: str) -> int | float:
    return int(text) if text.lstrip("-").isdigit() else float(text)
