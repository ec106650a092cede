"""Where a run lives: its directory (hydra.run.dir goes through `run_directory`), the .hydra/ files Hydra
writes there, and the attempts/ folder a failed attempt's files move to when a rerun starts over.

Kept free of Lightning and torch: train.py resolves these before deciding to build anything.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

HYDRA_SUBDIR = ".hydra"  # where Hydra writes a job's config.yaml, hydra.yaml and overrides.yaml
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


def set_failed_attempt_aside(output_dir: Path) -> Path:
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
