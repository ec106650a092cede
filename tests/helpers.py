"""Helpers shared by the tests: compose the shipped configs (the package ganlab.conf, which is conf/) as a
user's command line would."""

from __future__ import annotations

import csv
from pathlib import Path

from hydra import compose, initialize_config_module
from omegaconf import DictConfig

CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def group_options(group: str) -> list[str]:
    """Every option of a config group, as shipped in conf/<group>/."""
    return sorted(path.stem for path in (CONF_DIR / group).glob("*.yaml"))


# Evaluations on few samples keep the suite fast (KID's kernels over 1000-sample subsets cost ~0.7 s an
# evaluation on 2 cores); a test that sets one of these keys chooses its own value for it.
SMALL_EVALUATION = {"num_samples": 64, "final_num_samples": 128, "batch_size": 64}
# Matplotlib takes most of a few-iteration run to draw the end-of-run curves: only tests that mention them do.
CURVES = "callbacks.curves"


def compose_config(output_dir: Path, *overrides: str) -> DictConfig:
    with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
        config = compose(
            "train",
            overrides=[f"paths.output_dir={output_dir}", "trainer.enable_progress_bar=false", *overrides],
        )
    if config.get("metric"):
        for key, value in SMALL_EVALUATION.items():
            if not any(override.startswith(f"metric.{key}=") for override in overrides):
                config.metric[key] = min(value, config.metric[key])
    if "limit_val_batches" in config.trainer and not any("limit_val_batches" in override for override in overrides):
        config.trainer.limit_val_batches = None  # all of the sizes above, not trainer=debug's thousandth of them
    if config.callbacks.get("curves") and not any(override.startswith(CURVES) for override in overrides):
        config.callbacks.curves = None
    return config


def read_metrics(run_dir: Path, prefix: str = "train/") -> list[dict[str, str]]:
    """The rows of metrics.csv that hold a `prefix` key: training rows by default, evaluations with "val/"."""
    with open(run_dir / "metrics.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    return [row for row in rows if any(value != "" for key, value in row.items() if key.startswith(prefix))]
