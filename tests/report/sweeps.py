"""Run directories as `python -m ganlab.train` leaves them (.hydra/, metrics.csv, status.json), for sweeps whose
report is known."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import yaml

CLASSIFIER_METRIC = {
    "_target_": "ganlab.callbacks.evaluation.Evaluation",
    "every_n_steps": 10,
    "num_samples": 100,
    "final_num_samples": 200,
    "scores": {"_target_": "ganlab.metrics.domain_classifier"},
}
# as the classifier metric declares them (ganlab.metrics.image_scores, status.json's "better")
CLASSIFIER_BETTER = {
    "val/classifier_fid": "lower",
    "val/classifier_kid": "lower",
    "val/classifier_score": "higher",
    "val/modes_covered": "higher",
    "val/class_entropy": "higher",
}
STEPS = (0, 10, 20, 30)


def write_run(
    path: Path,
    overrides: Sequence[str],
    seed: int,
    curve: dict[str, list[tuple[int, float]]],
    status: str = "completed",
    metric: dict | None = None,
    report: dict | None = None,
    max_iterations: int = STEPS[-1],
    sizes: bool = True,
    final_scores: dict | None = None,
    study: dict | None = None,
    **status_fields,
) -> Path:
    """`curve`: {column: [(iteration, value)]}, written as Lightning's CSVLogger writes training and evaluation
    rows; status.json with `status`, the planned iterations and the classifier metric's directions. With `sizes`,
    as ganlab writes them since 2026-12-05: every evaluation row says its samples (val/samples), and the last
    iteration has the curve's evaluation and then the final one, larger (the same values here)."""
    (path / ".hydra").mkdir(parents=True)
    config = {"seed": seed, "metric": metric or CLASSIFIER_METRIC, "data": {"_target_": "digits", "batch_size": 64}}
    if report is not None:
        config["report"] = report
    if study is not None:
        config["study"] = study
    (path / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump([*overrides, f"seed={seed}"]))
    columns = sorted(curve)
    lines = [",".join(["epoch", "step", "train/d_loss", *columns, *(["val/samples"] if sizes else [])])]
    steps = sorted({step for history in curve.values() for step, _ in history})
    metric = metric or CLASSIFIER_METRIC
    for step in steps:
        lines.append(",".join(["0", str(step), "0.7", *[""] * len(columns), *([""] if sizes else [])]))
        values = {column: dict(curve[column]).get(step) for column in columns}
        shown = ["" if values[c] is None else repr(values[c]) for c in columns]
        evaluations = [metric.get("num_samples", 100)] + ([metric.get("final_num_samples", 200)] if step == steps[-1]
                                                         else [])  # fmt: skip
        for count in evaluations if sizes and any(shown) else [None]:
            lines.append(",".join(["", str(step), "", *shown, *([str(count)] if sizes else [])]))
    (path / "metrics.csv").write_text("\n".join(lines) + "\n")
    record = {
        "status": status,
        "updated": "2099-01-01T00:00:00+00:00",
        "iteration": steps[-1] if steps else 0,
        "max_iterations": max_iterations,
        "better": CLASSIFIER_BETTER,
        **status_fields,
    }
    (path / "status.json").write_text(json.dumps(record))
    if final_scores is not None:
        (path / "final_scores.json").write_text(json.dumps(final_scores))
    return path


def fid_curve(final: float, start: float = 300.0) -> dict[str, list[tuple[int, float]]]:
    """classifier_fid falling linearly from `start` to `final` over STEPS, with the real-data reference."""
    return {
        "val/classifier_fid": [(step, start + (final - start) * step / STEPS[-1]) for step in STEPS],
        "val/real_classifier_fid": [(0, 0.5)],
    }


def write_cells(root: Path, finals: dict[str, Sequence[float]], curve=fid_curve, **fields) -> Path:
    """One run per (cell, seed) below `root`, numbered as a sweep numbers its jobs; seeds 0, 1, ... per cell."""
    job = 0
    for cell, values in finals.items():
        for seed, value in enumerate(values):
            write_run(root / str(job), [cell], seed, curve(value), **fields)
            job += 1
    return root
