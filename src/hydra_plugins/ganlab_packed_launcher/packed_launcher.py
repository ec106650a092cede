"""hydra/launcher=packed: the sweep's jobs that differ only in `seed`, trained as packs of stacked seeds.

Hydra finds launchers only in the hydra_plugins namespace, so this class lives here; it checks its settings
and hands the jobs to ganlab.packing.launch, which docs/studies.md describes ("Seeds in one process").
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class PackedLauncher(Launcher):
    def __init__(self, seeds_per_process: int = 8, n_jobs: int = -1) -> None:
        if isinstance(seeds_per_process, bool) or not isinstance(seeds_per_process, int) or seeds_per_process < 1:
            raise ValueError(
                f"hydra.launcher.seeds_per_process = {seeds_per_process!r}: must be a positive number of seeds"
            )
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
            raise ValueError(
                f"hydra.launcher.n_jobs = {n_jobs!r}: must be a number of packs at once, or -1 (one per core)"
            )
        self.seeds_per_process, self.n_jobs = seeds_per_process, n_jobs
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from ganlab.packing.launch import launch_packed

        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        return launch_packed(self.hydra_context, self.task_function, self.config, job_overrides, initial_job_idx,
                             self.seeds_per_process, self.n_jobs)  # fmt: skip
