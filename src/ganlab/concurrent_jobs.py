"""A sweep's jobs side by side: what a launcher asks of the machine, checked before the first job, and the cores
shared out among the jobs that run at once.

A Hydra callback (conf/train.yaml, `hydra.callbacks`), so that it works the same under every launcher:
- before the first job of a sweep (`on_multirun_start`, in the process that launches), the launcher's request
  is checked against this machine and refused with one line if it cannot be met. hydra/launcher=joblib (and
  packed, whose n_jobs counts packs): its jobs at once times each job's threads must fit in the cores;
  hydra/launcher=ray on this machine: Ray would otherwise wait forever for a GPU or cores this machine does not
  have, repeating its autoscaler's warning.
- as each job starts (`on_job_start`, in the job's own process), torch's CPU threads are set: `cpu_threads`,
  or the job's share of the cores under a launcher that runs jobs side by side.

Jobs that each use one core (the toy and MLP runs are bound by Python) are why: one after another, they leave
every other core idle (docs/speed.md measures the difference).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from ganlab.value_checks import THREAD_COUNT_ALLOWED, is_int, is_thread_count

log = logging.getLogger(__name__)

JOBLIB_LAUNCHER = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
PACKED_LAUNCHER = "hydra_plugins.ganlab_packed_launcher.packed_launcher.PackedLauncher"
RAY_LAUNCHER = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"
# launchers whose n_jobs runs jobs (the packed one: packs) side by side, read as joblib reads it
SIDE_BY_SIDE = (JOBLIB_LAUNCHER, PACKED_LAUNCHER)


def machine_cores() -> int:
    """The cores this process may use: its CPU affinity and container quota, not the machine's count."""
    from joblib import cpu_count

    return cpu_count()


def machine_gpus() -> int:
    import torch

    return torch.cuda.device_count()


def resolved_n_jobs(n_jobs: int, cores: int) -> int:
    """joblib's own reading of n_jobs: -1 is every core, -2 every core but one, ..."""
    return max(1, cores + 1 + n_jobs) if n_jobs < 0 else n_jobs


def share_of_cores(cores: int, jobs: int) -> int:
    """Each of `jobs` processes' torch threads when they share `cores` evenly (at least one)."""
    return max(1, cores // jobs)


def jobs_at_once(launcher: DictConfig, cores: int) -> int:
    """How many jobs (packs, for the packed launcher) the launcher runs side by side on this machine at most (1 for
    the ones that run them in turn)."""
    if launcher.get("_target_") not in SIDE_BY_SIDE:
        return 1
    n_jobs = launcher.get("n_jobs", 1)
    return resolved_n_jobs(n_jobs, cores) if is_int(n_jobs) else n_jobs


def threads_per_job(cpu_threads: Any, launcher: DictConfig, cores: int) -> int | None:
    """torch's CPU threads for each job: `cpu_threads` if set, else the job's share of the cores when jobs run
    side by side (None: torch's own choice, every core, for jobs that run one at a time)."""
    if cpu_threads is not None:
        return cpu_threads
    if launcher.get("_target_") == RAY_LAUNCHER:
        num_cpus = launcher.ray.remote.get("num_cpus")
        return int(num_cpus) if isinstance(num_cpus, (int, float)) and num_cpus >= 1 else None
    if launcher.get("_target_") == PACKED_LAUNCHER:
        return None  # it knows how many packs run at once and gives each its share (ganlab.packing.launch)
    jobs = jobs_at_once(launcher, cores)
    return share_of_cores(cores, jobs) if jobs > 1 else None


def n_jobs_refusal(n_jobs: Any, what: str) -> str | None:
    """What is wrong with a side-by-side launcher's `n_jobs` (`what`: jobs, or packs), in one line, or None."""
    if not is_int(n_jobs) or n_jobs == 0:
        return f"hydra.launcher.n_jobs = {n_jobs!r}: must be a number of {what} at once, or -1 (one per core)"
    return None


def packed_settings_refusal(seeds_per_process: Any, n_jobs: Any) -> str | None:
    """What is wrong with hydra/launcher=packed's own settings, in one line, or None."""
    if not is_int(seeds_per_process) or seeds_per_process < 1:
        return f"hydra.launcher.seeds_per_process = {seeds_per_process!r}: must be a positive number of seeds"
    return n_jobs_refusal(n_jobs, "packs")


def launcher_refusal(cpu_threads: Any, launcher: DictConfig, cores: int, gpus: int | None) -> str | None:
    """Why this machine cannot run the launcher's jobs as asked, in one line, or None. `gpus`: the GPUs here,
    None to skip that check (it imports torch)."""
    if not is_thread_count(cpu_threads):
        return f"cpu_threads = {cpu_threads!r}: must be {THREAD_COUNT_ALLOWED}"
    target = launcher.get("_target_")
    if target == PACKED_LAUNCHER and (refusal := packed_settings_refusal(launcher.get("seeds_per_process"),
                                                                         launcher.get("n_jobs"))):  # fmt: skip
        return refusal
    if target in SIDE_BY_SIDE:
        n_jobs = launcher.get("n_jobs", 1)
        if refusal := n_jobs_refusal(n_jobs, "jobs"):  # the packed launcher's was checked above, as packs
            return refusal
        jobs = jobs_at_once(launcher, cores)
        threads = threads_per_job(cpu_threads, launcher, cores) or 1
        if jobs * threads > cores:
            return (
                f"hydra.launcher.n_jobs = {n_jobs} jobs at once x cpu_threads = {threads} threads each need "
                f"{jobs * threads} cores; this machine gives this command {cores}: lower hydra.launcher.n_jobs or "
                f"cpu_threads so that their product is at most {cores}"
            )
    if target == RAY_LAUNCHER and launcher.ray.init.get("address") is None:  # Ray started here, not a cluster
        remote = launcher.ray.remote
        num_gpus, num_cpus = remote.get("num_gpus") or 0, remote.get("num_cpus") or 0
        if gpus is not None and num_gpus > gpus:
            return (
                f"hydra.launcher.ray.remote.num_gpus = {num_gpus}: each job asks for that many GPUs and this machine "
                f"has {gpus}, so Ray would wait for them forever; use hydra.launcher.ray.remote.num_gpus=0 (or "
                f"hydra/launcher=joblib) on a machine without a GPU, a share such as 0.25 to put several jobs on one"
            )
        if num_cpus > cores:
            return (
                f"hydra.launcher.ray.remote.num_cpus = {num_cpus}: each job asks for that many cores and this machine "
                f"gives this command {cores}, so Ray would wait for them forever; ask for {cores} or fewer"
            )
    return None


class ConcurrentJobs(Callback):
    """Checks a sweep's launcher against the machine before its first job; sets each job's torch threads."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        launcher = config.hydra.launcher
        gpus = machine_gpus() if launcher.get("_target_") == RAY_LAUNCHER else None
        if refusal := launcher_refusal(config.get("cpu_threads"), launcher, machine_cores(), gpus):
            # before the sweep directory exists: a refused sweep leaves nothing behind
            print(f"ganlab: {refusal}", file=sys.stderr)
            sys.exit(2)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        if not is_thread_count(cpu_threads := config.get("cpu_threads")):
            return  # the config's validation refuses it, with the job's other problems
        cores = machine_cores()
        if (threads := threads_per_job(cpu_threads, config.hydra.launcher, cores)) is None:
            return
        import torch

        torch.set_num_threads(threads)
        log.info("torch CPU threads: %d of the %d cores", threads, cores)
