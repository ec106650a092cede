"""From runs to the report's content: cells, their scores over seeds, and verdicts against a baseline.

A *cell* is the set of runs that differ only in their seed: its label is the command-line overrides
that vary between the runs read (`trick=flip`), seeds removed. Runs scored with different metric
settings (number of samples, feature network, reference data) land in separate groups, and only cells
of one group are compared. The result is a plain dict: it is report.json as written, and report.md is
rendered from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ganlab.dotted_keys import flatten
from ganlab.report.runs import Run, override_key
from ganlab.report.statistics import MIN_SEEDS, difference, higher_is_better, holm, summarize, verdict

# Keys that change how often or in what chunks a score is computed, not what it measures (and the classifier's
# copy of trainer.limit_val_batches, read from the trainer below for every metric); and data keys that say
# where or how fast data are read, not which data.
_METRIC_KEYS_IGNORED = {"every_n_steps", "batch_size", "seed", "scores.evaluation_limit"}
_DATA_KEYS_IGNORED = {"batch_size", "seed", "root", "download", "num_workers", "in_memory_limit_mb"}
NO_OVERRIDE = "(no override)"


class ReportError(ValueError):
    """What the user asked of the report cannot be done (no runs, an unknown baseline)."""


@dataclass
class Cell:
    label: str
    overrides: tuple[str, ...]
    runs: list[Run] = field(default_factory=list)

    @property
    def completed(self) -> list[Run]:
        return [run for run in self.runs if run.completed]

    def finals(self, score: str) -> dict[Any, float]:
        """The final score of each completed run, by seed."""
        return {run.seed: run.final(score) for run in self.completed if run.final(score) is not None}

    def values_by_step(self, score: str) -> dict[int, list[float]]:
        """{iteration: the score of each completed seed that evaluated at it}, by iteration."""
        by_step: dict[int, list[float]] = {}
        for run in self.completed:
            for step, value in run.scores.get(score, []):
                by_step.setdefault(step, []).append(value)
        return dict(sorted(by_step.items()))

    def mean_curve(self, score: str) -> list[tuple[int, float]]:
        """(iteration, mean over the completed seeds that evaluated at it), by iteration."""
        return [(step, math.fsum(values) / len(values)) for step, values in self.values_by_step(score).items()]


def varied_keys(runs: Sequence[Run]) -> list[str]:
    """The override keys whose values differ between runs, in first-seen order; seed, hydra.* and how a run was
    continued (ckpt_path, rerun_failed) do not make a run another cell."""
    given = [{override_key(item): item for item in run.overrides} for run in runs]
    keys = dict.fromkeys(key for overrides in given for key in overrides)
    values = {key: {overrides.get(key, "") for overrides in given} for key in keys}
    varied = [key for key, seen in values.items() if len(seen) > 1]
    return [key for key in varied if key not in ("seed", "ckpt_path", "rerun_failed") and not key.startswith("hydra.")]


def make_cells(runs: Sequence[Run]) -> list[Cell]:
    keys = set(varied_keys(runs))
    cells: dict[tuple[str, ...], Cell] = {}
    for run in runs:
        overrides = tuple(item for item in run.overrides if override_key(item) in keys)
        cell = cells.setdefault(overrides, Cell(", ".join(overrides) or NO_OVERRIDE, overrides))
        cell.runs.append(run)
    return list(cells.values())


def metric_setting(config: dict[str, Any]) -> dict[str, Any]:
    """What a score's value depends on besides the generator: the metric's settings and the data."""
    metric = config.get("metric") or {}
    data = config.get("data") or {}
    setting = {f"metric.{key}": value for key, value in flatten(metric).items() if key not in _METRIC_KEYS_IGNORED}
    setting.update({f"data.{key}": value for key, value in flatten(data).items() if key not in _DATA_KEYS_IGNORED})
    # how many samples an evaluation draws; unset, null and 1.0 all mean every one of them
    limit = (config.get("trainer") or {}).get("limit_val_batches")
    if limit is not None and not (isinstance(limit, float) and limit == 1.0):
        setting["trainer.limit_val_batches"] = limit
    return setting


def comparable_groups(runs: Sequence[Run]) -> list[tuple[dict[str, Any], list[Cell]]]:
    """The runs split by metric setting, each part as (setting, its cells), in order of first appearance."""
    settings: dict[str, tuple[dict[str, Any], set[int]]] = {}
    for run in runs:
        setting = metric_setting(run.config)
        settings.setdefault(repr(sorted(setting.items(), key=str)), (setting, set()))[1].add(id(run))
    all_cells = make_cells(runs)
    groups = []
    for setting, members in settings.values():
        cells = [
            Cell(cell.label, cell.overrides, [run for run in cell.runs if id(run) in members]) for cell in all_cells
        ]
        groups.append((setting, [cell for cell in cells if cell.runs]))
    return groups


def choose_baseline(cells: Sequence[Cell], requested: Sequence[str] | None) -> tuple[Cell, str]:
    """The baseline cell and a sentence saying how it was chosen."""
    if requested:
        matches = [cell for cell in cells if set(requested) <= set(cell.overrides)]
        if len(matches) != 1:
            labels = "; ".join(cell.label for cell in cells)
            found = "no cell" if not matches else f"{len(matches)} cells"
            raise ReportError(f"--baseline {' '.join(requested)}: {found} matches; the cells are: {labels}")
        return matches[0], f"`{matches[0].label}` (--baseline)"
    bases = [cell for cell in cells if "trick=base" in cell.overrides]
    if len(bases) == 1:
        return bases[0], f"`{bases[0].label}` (the cell with trick=base; --baseline chooses another)"
    return cells[0], f"`{cells[0].label}`, the first cell (no single cell has trick=base; --baseline chooses)"


def analyse(
    runs: Sequence[Run],
    groups: Sequence[tuple[dict[str, Any], list[Cell]]],
    directory: Path,
    baseline: Sequence[str] | None = None,
    scores: Sequence[str] | None = None,
    fraction: float = 0.9,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """The report's content for `runs`, split into `groups` by `comparable_groups(runs)`."""
    if not runs:
        raise ReportError(f"{directory}: no runs below it (a run is a directory holding .hydra/config.yaml)")
    cell_of = {id(run): cell for cell in make_cells(runs) for run in cell.runs}
    tables = [_analyse_group(cells, setting, baseline, scores, fraction, confidence) for setting, cells in groups]
    if len(tables) > 1:
        differing = _differing_keys([group["setting"] for group in tables])
        for group in tables:
            group["setting_differences"] = {key: group["setting"].get(key) for key in differing}
    return {
        "directory": str(directory),
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "confidence": confidence,
        "fraction": fraction,
        "min_seeds": MIN_SEEDS,
        "varied": varied_keys(runs),
        "groups": tables,
        "runs": [_run_record(run, cell_of[id(run)], directory) for run in runs],
    }


def _analyse_group(
    cells: list[Cell],
    setting: dict[str, Any],
    requested_baseline: Sequence[str] | None,
    requested_scores: Sequence[str] | None,
    fraction: float,
    confidence: float,
) -> dict[str, Any]:
    base, base_note = choose_baseline(cells, requested_baseline)
    available = list(dict.fromkeys(score for cell in cells for run in cell.completed for score in run.scores))
    chosen = [f"val/{name.removeprefix('val/')}" for name in requested_scores] if requested_scores else available
    if unknown := [score for score in chosen if score not in available]:
        raise ReportError(
            f"--scores {' '.join(unknown)}: no completed run logged it; the runs have: {', '.join(available) or 'none'}"
        )
    tables = []
    for score in chosen:
        better_high = higher_is_better(score)
        rows = [_score_row(cell, score, fraction, confidence) for cell in cells]
        base_finals = base.finals(score)
        comparisons = [
            difference(cell.finals(score), base_finals, confidence)
            if cell is not base and cell.finals(score) and base_finals
            else None
            for cell in cells
        ]
        # the family a correction counts: the comparisons a verdict can come from
        eligible = [
            comparison.p_value
            if comparison and min(len(cell.finals(score)), len(base_finals)) >= MIN_SEEDS
            else math.nan
            for comparison, cell in zip(comparisons, cells, strict=True)
        ]
        for row, comparison, p_adjusted, cell in zip(rows, comparisons, holm(eligible), cells, strict=True):
            if cell is base:
                row["vs_baseline"] = {"verdict": "baseline"}
            elif comparison is not None:
                row["vs_baseline"] = {
                    **asdict(comparison),
                    "p_adjusted": p_adjusted,
                    "verdict": verdict(
                        comparison, p_adjusted, len(cell.finals(score)), len(base_finals), better_high, confidence
                    ),
                }
        tables.append({"score": score, "higher_is_better": better_high, "rows": rows})
    return {"setting": setting, "baseline": base.label, "baseline_note": base_note, "scores": tables}


def _score_row(cell: Cell, score: str, fraction: float, confidence: float) -> dict[str, Any]:
    finals = cell.finals(score)
    row: dict[str, Any] = {
        "cell": cell.label,
        "runs": len(cell.runs),
        "seeds": sorted(finals, key=str),
        "failed": [run.path.name for run in cell.runs if not run.completed],
    }
    if not finals:
        return row
    summary = summarize(list(finals.values()), confidence)
    row.update(n=summary.n, mean=summary.mean, std=summary.std, ci_low=summary.ci_low, ci_high=summary.ci_high)
    curve = cell.mean_curve(score)
    pick = max if higher_is_better(score) is not False else min
    best_step, best = pick(curve, key=lambda point: point[1])
    row.update(best=best, best_iteration=best_step, pace_iteration=pace(curve, fraction))
    references = [run.references[score] for run in cell.completed if score in run.references]
    if references:
        row["real_data"] = math.fsum(references) / len(references)
    return row


def pace(curve: Sequence[tuple[int, float]], fraction: float) -> int | None:
    """The first iteration at which a (mean) score curve has covered `fraction` of the way from its first
    evaluation to its last (the KTH report compares how fast models converge); either direction."""
    if not curve:
        return None
    start, final = curve[0][1], curve[-1][1]
    for step, value in curve:
        if final == start or (value - start) / (final - start) >= fraction:
            return step
    return curve[-1][0]


def _run_record(run: Run, cell: Cell, directory: Path) -> dict[str, Any]:
    record = {
        "path": str(run.path.relative_to(directory)) if run.path.is_relative_to(directory) else str(run.path),
        "cell": cell.label,
        "seed": run.seed,
        "state": run.state,
    }
    for key in ("iteration", "max_iterations", "error", "reason", "updated", "findings"):
        if key in run.status:
            record[key] = run.status[key]
    return record


def _differing_keys(settings: Sequence[dict[str, Any]]) -> list[str]:
    keys = dict.fromkeys(key for setting in settings for key in setting)
    return [key for key in keys if len({repr(setting.get(key)) for setting in settings}) > 1]
