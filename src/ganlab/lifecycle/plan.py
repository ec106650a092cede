"""Continuing a run: which directory and checkpoint, whether the checkpoint fits the config, and what a
directory that already holds a run allows.

`ckpt_path` (a top-level config key) is null (a fresh run), `last` (this run directory's
checkpoints/last.ckpt), a checkpoint file or a run directory. A checkpoint inside a run directory
continues that run in it: `run_directory` is the resolver that hydra.run.dir goes through, so the command
needs no `hydra.run.dir` too. In a sweep (`--multirun` into an existing `hydra.sweep.dir`) every job
decides from its directory's status.json (`job_plan`): completed jobs are skipped, interrupted and stale
ones resume from their checkpoint, failed ones rerun only with `rerun_failed=true`.

Kept free of Lightning and torch at import (the functions that need them import them): train.py consults it
before deciding to build anything; `check_checkpoint` refuses a checkpoint of other settings before anything is
built (its stored config is compared, never instantiated).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from ganlab.dotted_keys import flatten
from ganlab.errors import ConfigError
from ganlab.lifecycle.directories import set_failed_attempt_aside
from ganlab.lifecycle.status_file import STALE_AFTER_SECONDS, age_seconds, is_stale, read_status, status_unreadable
from ganlab.run_identity import training_identity

CHECKPOINT = Path("checkpoints") / "last.ckpt"
END_CHECKPOINT = CHECKPOINT.with_name("end.ckpt")  # the last iteration's, until the final scores are written
log = logging.getLogger(__name__)


def checkpoint_file(ckpt_path: Any, output_dir: Path) -> Path:
    """The checkpoint file `ckpt_path` names; ConfigError when there is none."""
    if ckpt_path == "last":
        path = output_dir / CHECKPOINT
        hint = "give the run to continue: ckpt_path=<run directory>, or hydra.run.dir=<run directory> ckpt_path=last"
    else:
        path = Path(str(ckpt_path)).expanduser()
        path = path / CHECKPOINT if path.is_dir() else path
        hint = "give a .ckpt file or a run directory (which holds checkpoints/last.ckpt)"
    end = path.with_name(END_CHECKPOINT.name)  # ganlab.lifecycle.checkpoints
    if not path.is_file() and end.is_file():
        hint = (
            "it was killed while writing its final scores, with no checkpoint before its end to train them again "
            f"from; run it anew (its last iteration's weights are in {end})"
        )
    if not path.is_file():
        raise ConfigError(f"ckpt_path = {ckpt_path!r}: there is no checkpoint at {path}; {hint}")
    return path


def job_plan(
    output_dir: Path, overrides: list[str], ckpt_path: Any, rerun_failed: bool, sweep: bool
) -> tuple[str, str]:
    """What to do in `output_dir` and why: `fresh`, `resume` (from its checkpoint, or from the start when it
    holds none) or `skip` (a sweep job that completed, or failed and is not to be rerun). ConfigError when
    the directory holds a run this command must not touch; nothing in it has been changed then."""
    if status_unreadable(output_dir):  # a run of unknown state: never trained over, nor skipped in silence
        raise ConfigError(
            f"{output_dir / 'status.json'} cannot be read as a run's record (damaged or not ganlab's); the directory's "
            "run is left as it is: move the file aside to rerun the run there, or start it in a new directory"
        )
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
        f"a run is taken as dead when its process is gone from this machine, or {STALE_AFTER_SECONDS // 60} minutes "
        "after its last heartbeat"
    )


def differing_keys(config: dict[str, Any], checkpoint_config: dict[str, Any]) -> list[str]:
    """The keys (dotted) of a run's identity whose values differ between its config and a checkpoint's
    (ganlab.run_identity.training_identity: everything that defines training, not its budget or paths)."""
    mine, theirs = training_identity(config), training_identity(checkpoint_config)
    keys = mine.keys() | theirs.keys()
    return sorted(key for key in keys if mine.get(key, "<absent>") != theirs.get(key, "<absent>"))


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
        set_failed_attempt_aside(output_dir),
    )
    return None


def check_checkpoint(path: Path, cfg: DictConfig) -> int:
    """Refuse a file that is not a ganlab checkpoint or was trained with other settings; returns its Lightning
    global step. Called before anything is built: the stored config is compared, never instantiated."""
    from ganlab.lifecycle.checkpoint_reading import CheckpointRefused, read_checkpoint

    try:
        checkpoint = read_checkpoint(path)
        config, step = checkpoint.get("hyper_parameters", {}).get("config"), int(checkpoint["global_step"])
    except CheckpointRefused as error:
        raise ConfigError(f"ckpt_path: {error}") from None
    except (KeyError, TypeError, ValueError) as error:  # read, but without a step count: not Lightning's
        raise ConfigError(f"ckpt_path: {path}: not a Lightning checkpoint (no global_step: {error})") from None
    check_checkpoint_matches(path, OmegaConf.to_container(cfg, resolve=True), config)
    return step
