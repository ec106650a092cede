"""`python -m ganlab.rescore DIR`: score each completed run's final checkpoint below DIR again, on the pinned
yardstick, so that studies scored with other feature networks can be compared.

Only the final evaluation is made again: the run's checkpoint (checkpoints/last.ckpt, its last iteration) draws
the same `metric.final_num_samples` samples from the same seeded latents as the run's own final evaluation, and
the metric is rebuilt from the run's stored config on the classifier ganlab ships for its data (for Inception, on
the weights file found here). The result is the run's final_scores.json. A final_scores.json measured on
another yardstick is kept as final_scores.<its yardstick id>.json, and metrics.csv, status.json and the pictures
are left as training wrote them. The report then reads the final values from final_scores.json. It draws no pace
across runs whose curves, still the training's, were measured on different yardsticks.

The checkpoint is data (ganlab.declared_targets): its config's `_target_`s are built only when ganlab's configs
or the --config-dir folders declare them, unless --trust-checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ganlab.iterations import iterations_of
from ganlab.lifecycle.status_file import FINAL_SCORES, read_status
from ganlab.lightning_fastpath.process_exit import run_then_exit
from ganlab.report.run_files import Unreadable, read_final_scores


class RescoreError(Exception):
    """A run that cannot be rescored; the message says which and why."""


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ganlab.rescore",
        description="Score the final checkpoint of every completed run below DIR again on the pinned yardstick, "
        "writing each run's final_scores.json (the one it replaces is kept beside it).",
    )
    parser.add_argument("directory", type=Path, help="a run or sweep directory")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("GANLAB_DATA_DIR", "~/.cache/ganlab")).expanduser(),
        help="where this machine keeps the data sets (paths.data_dir; default $GANLAB_DATA_DIR or ~/.cache/ganlab)",
    )  # fmt: skip
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:<index>")
    parser.add_argument("--cpu-threads", type=int, help="torch's CPU threads (default: torch's choice)")
    parser.add_argument(
        "--config-dir", type=Path, action="append", default=[],
        help="a folder of your own configs whose _target_s the checkpoints may name (as hydra.searchpath)",
    )  # fmt: skip
    parser.add_argument("--trust-checkpoint", action="store_true", help="build whatever the checkpoints name")
    arguments = parser.parse_args(argv)
    if arguments.cpu_threads is not None and arguments.cpu_threads < 1:
        parser.error(f"--cpu-threads = {arguments.cpu_threads}: must be a positive integer")
    if not arguments.directory.is_dir():
        parser.error(f"{arguments.directory}: no such directory")
    return arguments


def relocated(config: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    """The stored (resolved) config with the training machine's paths.data_dir replaced by this machine's in the
    data and metric settings (data.root, the caches)."""
    old = str((config.get("paths") or {}).get("data_dir") or "")

    def move(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: move(item) for key, item in value.items()}
        if isinstance(value, list):
            return [move(item) for item in value]
        if old and isinstance(value, str) and (value == old or value.startswith(old.rstrip("/") + "/")):
            return str(data_dir) + value[len(old.rstrip("/")) :]
        return value

    moved = {**config, "data": move(config.get("data")), "metric": move(config.get("metric"))}
    scores = (moved.get("metric") or {}).get("scores") or {}
    if str(scores.get("_target_", "")).endswith("domain_classifier.classifier_scores"):
        scores["pinned"] = True  # the yardstick this command brings runs onto
    return moved


def rescore_run(run_dir: Path, arguments: argparse.Namespace) -> dict[str, Any]:
    """The run's final evaluation made again on the pinned yardstick; its record, as final_scores.json holds it."""
    import torch
    from omegaconf import OmegaConf

    from ganlab.build import build_evaluation, make_datamodule
    from ganlab.callbacks.evaluation import REFERENCE_AT_LEAST, limited_count, score_generator
    from ganlab.callbacks.isolation import evaluating
    from ganlab.errors import ConfigError
    from ganlab.stored_networks import NotRebuilt, rebuild

    folders = [f"file://{folder}" for folder in arguments.config_dir]
    try:
        stored = rebuild(run_dir / "checkpoints" / "last.ckpt", folders, arguments.trust_checkpoint)
    except NotRebuilt as error:
        raise RescoreError(str(error)) from None
    module, checkpoint = stored.module, stored.checkpoint
    cfg = OmegaConf.create(relocated(stored.config, arguments.data_dir))
    if not cfg.get("metric"):
        raise RescoreError(f"{run_dir}: the run has no metric (metric=none): nothing to score")
    try:
        datamodule = make_datamodule(cfg)
        evaluation = build_evaluation(cfg, datamodule)
    except ConfigError as error:
        raise RescoreError(f"{run_dir}: {error}") from None
    module.to(arguments.device)
    scores, metric, limit = evaluation.scores.to(module.device), cfg.metric, cfg.trainer.get("limit_val_batches")
    real = datamodule.validation_sample(limited_count(metric.final_num_samples, limit, metric.batch_size,
                                                      REFERENCE_AT_LEAST))  # fmt: skip
    count = limited_count(metric.final_num_samples, limit, metric.batch_size)
    generator = module.sampling_generator
    with evaluating(generator, module.discriminator):
        # IS's splits and KID's subsets are drawn from torch's global RNG: seeded, a rescore repeats itself
        torch.manual_seed(int(metric.seed))
        reference = scores.set_real(real, metric.batch_size)
        values, _ = score_generator(scores, generator, module.latent, count, metric.batch_size, metric.seed,
                                    module.device)  # fmt: skip
    return {
        "iteration": iterations_of(int(checkpoint["global_step"]), module.optimizer_steps_per_iteration),
        "samples": count,
        "real_samples": len(real),
        "yardstick": evaluation.yardstick,
        "scores": values,
        "real": reference,
        "rescored": {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "by": "python -m ganlab.rescore"},
    }


def write_record(run_dir: Path, record: dict[str, Any]) -> str:
    """final_scores.json written whole; one of another yardstick is kept as final_scores.<its id>.json. Returns
    what the run's final values were measured on before."""
    from ganlab.atomic_files import write_text_atomically

    path = run_dir / FINAL_SCORES
    before = read_status(run_dir).get("yardstick", {}).get("id", "unrecorded")
    if path.is_file():
        try:
            before = read_final_scores(path)["yardstick"]["id"]
        except Unreadable:
            before = "unreadable"
        if before != record["yardstick"]["id"]:
            os.replace(path, path.with_name(f"final_scores.{before}.json"))
    write_text_atomically(path, json.dumps(record, indent=2) + "\n")
    return before


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    import torch

    if arguments.cpu_threads:
        torch.set_num_threads(arguments.cpu_threads)
    runs = sorted(path.parent.parent for path in arguments.directory.rglob("checkpoints/last.ckpt"))
    if not runs:
        print(f"ganlab.rescore: {arguments.directory}: no run below it has checkpoints/last.ckpt", file=sys.stderr)
        return 2
    failed = 0
    for run_dir in runs:
        state = read_status(run_dir).get("status")
        if state != "completed":
            print(f"{run_dir}: skipped, {state or 'no status.json'}: only a completed run has final scores")
            continue
        try:
            record = rescore_run(run_dir, arguments)
        except RescoreError as error:
            print(f"ganlab.rescore: {error}", file=sys.stderr)
            failed += 1
            continue
        before = write_record(run_dir, record)
        named = [(name, value) for name, value in record["scores"].items() if not name.endswith("_std")]
        shown = ", ".join(f"{name} {value:.4g}" for name, value in named[:3])
        print(f"{run_dir}: {shown} ({record['samples']} samples) on {record['yardstick']['id']}, was {before}")
    return 2 if failed else 0


if __name__ == "__main__":
    run_then_exit(lambda: sys.exit(main()))
