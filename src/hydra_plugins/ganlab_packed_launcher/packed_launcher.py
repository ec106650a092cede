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
        from ganlab.concurrent_jobs import packed_settings_refusal

        # a sweep's ConcurrentJobs callback refuses these in one line before Hydra builds the launcher; this
        # guards a launcher built any other way
        if refusal := packed_settings_refusal(seeds_per_process, n_jobs):
            raise ValueError(refusal)
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
