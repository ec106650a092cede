"""hydra/launcher=packed: a sweep's jobs that differ only in `seed` trained as packs of stacked seeds.

The Hydra plugin (hydra_plugins.ganlab_packed_launcher) hands its jobs here. Each job is prepared as Hydra's
run_job prepares one (its config, its run directory under hydra.sweep.dir, its .hydra files, the job callbacks),
so each seed's run directory is the one the basic launcher would have made. Jobs whose overrides are the same
but for `seed=` are then cut into packs of `seeds_per_process`. With one pack at a time (`n_jobs` 1, or a single
pack) each is trained in this process, one after another; with more, `n_jobs` packs at once, each in a process
of its own (joblib's loky processes, as hydra/launcher=joblib runs jobs) with its share of the cores.

What each job then does follows ganlab.train's plan for its directory (ganlab.lifecycle.plan): a completed job
is skipped; jobs to be continued from checkpoints at the same step are continued as one pack
(`ganlab.packing.resume`); a pack of one runs alone through ganlab.train's own task function. A pack refused or
broken before training records that in each seed's status.json; a seed that fails or diverges while training
ends alone.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus, _save_config, configure_log, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from ganlab.concurrent_jobs import machine_cores, resolved_n_jobs
from ganlab.errors import ConfigError
from ganlab.job_output import exit_code, job_failure, quiet_misleading_warnings, send_lightning_logs_to_hydra
from ganlab.lifecycle.start import Start
from ganlab.lifecycle.status_file import Interrupted
from ganlab.packing.pack import build_pack, fit_pack
from ganlab.packing.seed_logs import seed_logs
from ganlab.packing.side_by_side import run_side_by_side

log = logging.getLogger(__name__)


@dataclass
class Job:
    number: int
    overrides: list[str]
    config: DictConfig  # with its hydra node, as run_job is handed it


def pack_key(overrides: Sequence[str]) -> tuple[str, ...]:
    """What a job's runs share with the other seeds of its pack: its overrides but `seed=`."""
    return tuple(override for override in overrides if not override.startswith("seed="))


def into_packs(jobs: Sequence[Job], seeds_per_process: int) -> list[list[Job]]:
    """Jobs of the same overrides but `seed=`, in sweep order, cut into packs of at most `seeds_per_process`."""
    groups: dict[tuple[str, ...], list[Job]] = {}
    for job in jobs:
        groups.setdefault(pack_key(job.overrides), []).append(job)
    return [group[start : start + seeds_per_process] for group in groups.values()
            for start in range(0, len(group), seeds_per_process)]  # fmt: skip


def _prepared(job: Job) -> tuple[DictConfig, DictConfig]:
    """The job's run directory and .hydra files made as Hydra's run_job makes them; (task config, Hydra's
    config of the job)."""
    config = job.config
    HydraConfig.instance().set_config(config)
    output_dir = os.path.join(str(config.hydra.sweep.dir), str(config.hydra.sweep.subdir))
    with read_write(config.hydra.runtime), open_dict(config.hydra.runtime):
        config.hydra.runtime.output_dir = os.path.abspath(output_dir)
    HydraConfig.instance().set_config(config)
    task_config = copy.deepcopy(config)
    with read_write(task_config), open_dict(task_config):
        del task_config["hydra"]
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    if config.hydra.output_subdir is not None:
        hydra_output = Path(config.hydra.runtime.output_dir) / str(config.hydra.output_subdir)
        _save_config(task_config, "config.yaml", hydra_output)
        _save_config(HydraConfig.instance().cfg, "hydra.yaml", hydra_output)
        _save_config(config.hydra.overrides.task, "overrides.yaml", hydra_output)
    # the task's interpolations of Hydra's (paths.output_dir) resolved now, while this job's config is Hydra's
    OmegaConf.resolve(task_config)
    return task_config, copy.deepcopy(HydraConfig.instance().cfg)


def _job_return(job: Job, task_config: DictConfig, hydra_config: DictConfig, outcome: Any, failed: bool) -> JobReturn:
    result = JobReturn(overrides=list(job.overrides), cfg=task_config, hydra_cfg=hydra_config, working_dir=os.getcwd())
    result.status, result.return_value = (JobStatus.FAILED, outcome) if failed else (JobStatus.COMPLETED, outcome)
    result.task_name = str(hydra_config.hydra.job.name)
    return result


def _as_job_failure(error: BaseException | None) -> BaseException | None:
    """A refusal or a divergence as ganlab.train reports it in a sweep: one paragraph, no traceback."""
    return job_failure(error) if error is not None and exit_code(error) is not None else error


def run_alone(hydra_context: HydraContext, task_function: TaskFunction, job: Job) -> JobReturn:
    return run_job(hydra_context=hydra_context, task_function=task_function, config=job.config,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")  # fmt: skip


def run_pack(hydra_context: HydraContext, task_function: TaskFunction, jobs: Sequence[Job]) -> dict[int, JobReturn]:
    """The pack's jobs run as ganlab.train's plan says: completed ones skipped, fresh ones trained as one pack,
    ones to continue as one pack of the seeds whose checkpoints are at the same step."""
    returns: dict[int, JobReturn] = {}
    prepared = {job.number: _prepared(job) for job in jobs}
    fresh: list[tuple[Job, Start]] = []
    continued: dict[int, list[tuple[Job, Start]]] = {}  # by the step their checkpoints are at
    for job in jobs:
        task_config, hydra_config = prepared[job.number]
        HydraConfig.instance().cfg = hydra_config
        start = Start.plan(task_config, sweep=True)
        if start.kind == "resume":
            try:  # the checkpoint of these settings, or none (a rerun without one starts over)
                start.find_checkpoint(task_config)
            except ConfigError as error:
                failure = _as_job_failure(error)
                returns[job.number] = _job_return(job, task_config, hydra_config, failure, failed=True)
                continue
        if start.kind == "skip":
            log.info("%s skipped: %s", start.output_dir, start.reason)
            returns[job.number] = _job_return(job, task_config, hydra_config, None, failed=False)
        elif start.checkpoint is None:
            fresh.append((job, start))
        else:
            continued.setdefault(start.global_step, []).append((job, start))
    for group in (fresh, *continued.values()):
        if len(group) == 1:  # a pack of one is a run alone
            returns[group[0][0].number] = run_alone(hydra_context, task_function, group[0][0])
        elif group:
            returns.update(_train_together(hydra_context, task_function, group, prepared))
    return returns


def _train_together(
    hydra_context: HydraContext, task_function: TaskFunction, group: Sequence[tuple[Job, Start]],
    prepared: dict[int, tuple[DictConfig, DictConfig]],
) -> dict[int, JobReturn]:  # fmt: skip
    first_job = group[0][0]
    configure_log(first_job.config.hydra.job_logging, first_job.config.hydra.verbose)
    send_lightning_logs_to_hydra()  # as ganlab.train's task function does for a run alone
    quiet_misleading_warnings()
    for job, _ in group:
        HydraConfig.instance().cfg = prepared[job.number][1]
        hydra_context.callbacks.on_job_start(config=job.config, task_function=task_function)
    starts = [start for _, start in group]
    doing = "continuing" if starts[0].checkpoint is not None else "training"
    log.info("%s a pack of %d seeds: %s", doing, len(group), ", ".join(str(start.output_dir) for start in starts))
    ended: dict[int, BaseException | None] = {}
    try:
        with seed_logs([start.output_dir / "train.log" for start in starts]):
            with ExitStack() as recording:
                for start in starts:  # a pack refused or broken while built: every fresh seed's status.json says so
                    recording.enter_context(start.recording_failures())
                pack = build_pack([prepared[job.number][0] for job, _ in group],
                                  [prepared[job.number][1] for job, _ in group])  # fmt: skip
            ended = fit_pack(pack, starts)  # from here each seed's own observers record how it ends
    except Interrupted as interrupted:  # a SystemExit: the sweep ends with the process, as ganlab.train's does
        print(f"ganlab: {interrupted}", file=sys.stderr)
        raise
    except Exception as error:  # noqa: BLE001 (every seed's job fails with it, as a job of the basic launcher would)
        if not isinstance(error, ConfigError):
            log.exception("ganlab: the pack failed")
        ended = {index: error for index in range(len(group))}
    returns = {}
    for index, (job, _) in enumerate(group):
        task_config, hydra_config = prepared[job.number]
        HydraConfig.instance().cfg = hydra_config
        failure = _as_job_failure(ended.get(index))
        returns[job.number] = _job_return(job, task_config, hydra_config, failure, failed=failure is not None)
        hydra_context.callbacks.on_job_end(config=job.config, job_return=returns[job.number])
    return returns


def launch_packed(
    hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig,
    job_overrides: Sequence[Sequence[str]], initial_job_idx: int, seeds_per_process: int, n_jobs: int = 1,
) -> list[JobReturn]:  # fmt: skip
    setup_globals()
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    Path(str(config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
    jobs = []
    for offset, overrides in enumerate(job_overrides):
        number = initial_job_idx + offset
        sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
        with open_dict(sweep_config):
            sweep_config.hydra.job.id = sweep_config.hydra.job.num = number
        jobs.append(Job(number, list(overrides), sweep_config))
    packs = into_packs(jobs, seeds_per_process)
    log.info("Launching %d jobs in %d packs of at most %d seeds", len(jobs), len(packs), seeds_per_process)
    for pack in packs:
        log.info("\t#%s : %s", ",".join(str(job.number) for job in pack), " ".join(pack_key(pack[0].overrides)))
    cores = machine_cores()
    at_once = min(resolved_n_jobs(n_jobs, cores), len(packs))
    if at_once > 1:
        returns = run_side_by_side(run_pack, hydra_context, task_function, config, packs, at_once, cores)
        return [returns[job.number] for job in jobs]
    original = HydraConfig.instance().cfg
    returns = {}
    try:
        for pack in packs:
            returns.update(run_pack(hydra_context, task_function, pack))
            configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    finally:
        HydraConfig.instance().cfg = original
    return [returns[job.number] for job in jobs]
