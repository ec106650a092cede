"""`python -m ganlab.train [group=option ...] [key=value ...]`: validate the config, build, fit.

The run directory (Hydra's output dir, `paths.output_dir`) receives the composed config (.hydra/),
train.log, metrics.csv, samples/, checkpoints/last.ckpt and status.json.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import TYPE_CHECKING

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from ganlab.errors import ConfigError
from ganlab.job_output import exit_code, job_failure, quiet_misleading_warnings, send_lightning_logs_to_hydra
from ganlab.lifecycle.directories import hydra_output_subdir, run_directory
from ganlab.lifecycle.start import Start
from ganlab.lifecycle.status_file import Interrupted
from ganlab.lightning_fastpath.process_exit import run_then_exit
from ganlab.score_names import score_column, score_name
from ganlab.validate import validate_config
from hydra_plugins.ganlab_packed_launcher.packed_launcher import PackedLauncher

if TYPE_CHECKING:
    import pytorch_lightning as pl

    from ganlab.run_record import RunRecord

log = logging.getLogger(__name__)

# hydra.run.dir goes through it (conf/train.yaml): a resumed run's own directory, or a new one per run
OmegaConf.register_new_resolver("ganlab_run_dir", run_directory, replace=True)
# ... and hydra.output_subdir: Hydra rewrites .hydra/ only in a directory that holds no run yet
OmegaConf.register_new_resolver("ganlab_hydra_subdir", hydra_output_subdir, replace=True)
# hydra/launcher=packed: Hydra finds plugins by scanning the hydra_plugins folders, which an editable install's
# import hook hides from it; registered here, it is found under every install
Plugins.instance().register(PackedLauncher)


def run(cfg: DictConfig) -> pl.Trainer | None:
    """Validate, build and fit the run described by `cfg`; returns the fitted Trainer, or None for a sweep job
    that had completed before (see `ganlab.lifecycle.plan`)."""
    # Lightning and torch are imported once the config is valid, not at the top: they take seconds to
    # import, and `--help`, `--cfg`, a misspelled option or a bad value should answer at once.
    sweep = HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN
    start = Start.plan(cfg, sweep)  # refusals here leave the directory's run as it was
    if start.kind == "skip":
        log.info("%s skipped: %s", start.output_dir, start.reason)
        return None
    with start.recording_failures():
        validate_config(cfg)
        start.find_checkpoint(cfg)
        import pytorch_lightning as pl

        from ganlab.build import build_run

        pl.seed_everything(cfg.seed, workers=True)  # before building: weight init draws from it
        datamodule, module, trainer = build_run(cfg)
        start.count_iterations(module.optimizer_steps_per_iteration)
    if start.ready_to_fit(cfg, trainer, module.optimizer_steps_per_iteration):
        start.fit(trainer, module, datamodule)
        if trainer.is_global_zero:
            log.info(
                "trained %d iterations (%d optimizer steps: %d discriminator + %d generator updates per iteration)",
                module.iteration, trainer.global_step, module.d_steps, module.g_steps,
            )  # fmt: skip
    return trainer


def final_score(record: RunRecord, name: str) -> float:
    """The value of score `name` (val/classifier_score) at the run's last evaluation."""
    latest = record.latest.scores if record.latest is not None else {}
    key = score_name(name)
    if key not in latest:
        logged = ", ".join(score_column(score) for score in latest) or "nothing"
        raise ConfigError(f"optimized_metric = {name!r}: this run's metric logged {logged}")
    return latest[key]


# conf/hydra/launcher/ray.yaml replaces the Ray plugin's own `ray` option on purpose (one GPU per job) and
# is checked against the plugin's schema of the same name; Hydra warns that such matching is deprecated
# while composing, before main() runs, so the filter is set here, at import.
warnings.filterwarnings("ignore", message=r"\s*'hydra/launcher/ray' is validated against ConfigStore schema")


@hydra.main(version_base="1.3", config_path="pkg://ganlab.conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Train; returns the `optimized_metric` score, for a sweeper that optimizes (hydra/sweeper=optuna)."""
    send_lightning_logs_to_hydra()
    quiet_misleading_warnings()
    try:
        trainer = run(cfg)
        if trainer is None or not cfg.get("optimized_metric"):
            return None
        return final_score(trainer.lightning_module.record, cfg.optimized_metric)
    except Interrupted as interrupted:  # a SystemExit: in a sweep too it ends the process, with its code
        print(f"ganlab: {interrupted}", file=sys.stderr)
        raise
    except Exception as error:
        # a sweep records the failed job and goes on (Hydra raises the first failure again at its end)
        if (code := exit_code(error)) is None:
            raise
        if HydraConfig.get().mode == RunMode.MULTIRUN:
            raise job_failure(error) from error
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
