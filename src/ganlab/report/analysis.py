"""From runs to the report's content: per cell every seed's final value or failure, summaries over seeds,
and verdicts against the baseline on the study's primary score.

The result is a plain dict: it is report.json as written (strict JSON: an undefined number is null), and
report.md is rendered from it. Per-seed values are the data; every statistic is computed from them. Verdict
words are given on the primary score only, Holm-corrected over the cells compared; the other scores are
secondary: their comparisons are shown unadjusted and marked exploratory.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ganlab.report import comparison, environment, statistics, yardsticks
from ganlab.report.cells import Cell, ReportError, choose_baseline, make_cells, refuse_repeated_seeds, varied_keys
from ganlab.report.grid import analyse_grid
from ganlab.report.outcomes import FAILURE, NOT_RUN, PENDING, VALUE, Outcome
from ganlab.report.pace import cell_pace, target
from ganlab.report.runs import Run
from ganlab.score_names import score_column

# relative: one seed's real images, scored by the same network, agree to float rounding; another classifier
# moves them well past that (docs/configs.md)
REFERENCE_TOLERANCE = 1e-4


@dataclass
class Options:
    """What the command line asks of the report (see `python -m ganlab.report --help`)."""

    directory: Path
    title: str  # the directory as typed, or --title
    baseline: Sequence[str] | None = None
    scores: Sequence[str] | None = None
    primary: str | None = None
    margin: str | float | None = None
    paired: bool = False
    confidence: float = 0.95
    fraction: float = 0.9
    effect: float | None = None  # the declared smallest effect of interest; None: the runs' study.effect


def analyse(runs: Sequence[Run], groups: Sequence[tuple[dict[str, Any], list[Cell]]], options: Options) -> dict:
    """The report's content for `runs`, split into `groups` by `cells.comparable_groups(runs)`."""
    if not runs:
        raise ReportError(f"{options.directory}: no runs below it (a run is a directory holding .hydra/config.yaml)")
    tables = [_analyse_group(cells, setting, options) for setting, cells in groups]
    if len(tables) > 1:
        keys = dict.fromkeys(key for group in tables for key in group["setting"])
        differing = [key for key in keys if len({repr(group["setting"].get(key)) for group in tables}) > 1]
        for group in tables:
            group["setting_differences"] = {key: group["setting"].get(key) for key in differing}
    cell_of = {id(run): cell.label for cell in make_cells(runs) for run in cell.runs}
    records = [_run_record(run, cell_of[id(run)], options.directory) for run in runs]
    return {
        "title": options.title,
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "confidence": options.confidence,
        "paired": options.paired,
        "fraction": options.fraction,
        "varied": varied_keys(runs),
        "groups": tables,
        "runs": records,
        "environment": environment.summarize(records),
        "yardsticks": yardsticks.summarize(runs),
    }


def _analyse_group(cells: list[Cell], setting: dict[str, Any], options: Options) -> dict[str, Any]:
    refuse_repeated_seeds(cells)
    base, base_note = choose_baseline(cells, options.baseline)
    runs = [run for cell in cells for run in cell.runs]
    available = list(dict.fromkeys(score for run in runs for score in run.scores))
    directions = {score: way for run in runs for score, way in run.better.items()}
    primary, primary_note = _choose_primary(runs, available, directions, options.primary)
    chosen = [score_column(name) for name in options.scores] if options.scores else available
    if unknown := [score for score in chosen if score not in available]:
        raise ReportError(f"--scores {' '.join(unknown)}: no run logged it; the runs have: {', '.join(available)}")
    margin = options.margin if options.margin is not None else _agreed(runs, "margin")
    effect = options.effect or _agreed(runs, "effect", "study") or comparison.DECLARED_EFFECT
    planned = {"effect": effect, "max_seeds": _agreed(runs, "max_seeds", "study")}
    tables = [
        _score_table(cells, base, score, directions.get(score), options, score == primary, margin, planned)
        for score in [primary, *[score for score in chosen if score != primary]]
        if score is not None
    ]
    group: dict[str, Any] = {
        "setting": setting,
        "baseline": base.label,
        "baseline_note": base_note,
        "primary": {"score": primary, "chosen": primary_note, "better": directions.get(primary)},
        "margin": margin,
        "scores": tables,
    }
    if primary is not None and directions.get(primary):
        group["grid"] = analyse_grid(cells, primary, directions[primary], 1 - options.confidence)
    return group


def _agreed(runs: Sequence[Run], key: str, section: str = "report") -> Any:
    """The runs' `<section>.<key>` (their experiment's), when they all give one value; else None."""
    given = {repr(value): value for run in runs if (value := (run.config.get(section) or {}).get(key)) is not None}
    return next(iter(given.values())) if len(given) == 1 else None


def _choose_primary(
    runs: Sequence[Run], available: list[str], directions: dict[str, str], requested: str | None
) -> tuple[str | None, str]:
    if not available:
        return None, "no run logged a score"
    if requested:
        score = score_column(requested)
        if score not in available:
            raise ReportError(f"--primary {requested}: no run logged {score}; the runs have: {', '.join(available)}")
        return score, "chosen by --primary"
    named = {value for run in runs if (value := (run.config.get("report") or {}).get("primary_score"))}
    if len(named) == 1:
        score = score_column(named.pop())
        if score not in available:
            raise ReportError(
                f"the runs' report.primary_score is {score}, which no run logged; --primary chooses one of: "
                + ", ".join(available)
            )
        return score, "the experiment's report.primary_score; --primary picks another"
    declared = [score for score in directions if score in available]
    reason = "the runs name different report.primary_score values" if named else "no experiment names one"
    return (declared or available)[0], f"the metric's first score: {reason}; --primary picks another"


def _score_table(
    cells: list[Cell],
    base: Cell,
    score: str,
    better: str | None,
    options: Options,
    primary: bool,
    margin: Any,
    planned: dict[str, Any],
) -> dict[str, Any]:
    rows = [_row(cell, score, options) for cell in cells]
    references = [run.references[score] for run in base.runs if score in run.references]
    table: dict[str, Any] = {
        "score": score,
        "primary": primary,
        "better": better,
        "real_data": statistics.median(references) if references else None,
        "samples": _sample_sizes(base.runs, score),
        "rows": rows,
    }
    if differing := _differing_references(cells, score):
        table["references_differ"] = differing
    base_outcomes = base.outcomes(score)
    compared: list[tuple[dict[str, Any], comparison.Comparison, list[Outcome]]] = []
    for row, cell in zip(rows, cells, strict=True):
        if cell is base:
            row["vs_baseline"] = {"verdict": "baseline"}
            continue
        why_not = _why_not_compared(cell, base, score, better)
        result = None
        if not why_not:
            result = comparison.compare(cell.outcomes(score), base_outcomes, better, options.paired)
        if result is None:
            row["vs_baseline"] = {"verdict": f"not compared: {why_not or 'no seed of both cells counted'}"}
            continue
        compared.append((row, result, cell.outcomes(score)))
    alpha = 1 - options.confidence
    adjusted = statistics.holm([result.p_value for _, result, _ in compared]) if primary else None
    margin_units = comparison.margin_value(margin, base_outcomes) if primary else None
    for index, (row, result, outcomes) in enumerate(compared):
        family = len(compared) if primary else 1
        level = 1 - alpha / family  # intervals beside a Holm-corrected p: simultaneous over the family (Bonferroni)
        mine, theirs = comparison.counted_goodness(outcomes, base_outcomes, better, options.paired)
        result.probability_interval = statistics.improvement_interval(mine, theirs, level, options.paired)
        result.effect = comparison.describe_effect(outcomes, base_outcomes, level)
        if primary:
            result.p_adjusted = adjusted[index]
            comparison.judge(result, outcomes, base_outcomes, better, alpha, family, margin_units, **planned)
        else:
            result.verdict = "exploratory"
        row["vs_baseline"] = result.as_dict()
    curve_yardsticks = {run.curve_yardstick for cell in cells for run in cell.runs}
    if primary and better and len(curve_yardsticks) > 1:
        table["pace_note"] = (
            "no pace: the runs' curves were measured on different yardsticks (a rescored run keeps its training's "
            "curves)"
        )
    elif primary and better:
        goal = target(base_outcomes, score, options.fraction)
        if goal is not None:
            table["pace_target"] = goal
            for row, cell in zip(rows, cells, strict=True):
                row["pace"] = cell_pace(cell.outcomes(score), score, goal, better)
    return table


def _sample_sizes(runs: Sequence[Run], score: str) -> dict[str, int | None]:
    """The sample sizes behind the baseline's values of `score`: each kind's most common size over its runs."""
    sizes = [run.samples(score) for run in runs]
    return {
        kind: Counter(found).most_common(1)[0][0] if (found := [size[kind] for size in sizes if size[kind]]) else None
        for kind in ("curve", "final", "real")
    }


def _why_not_compared(cell: Cell, base: Cell, score: str, better: str | None) -> str | None:
    if better is None:
        return f"which way {score} improves is unknown (its metric's scores object declares no `better`)"
    for side, name in ((cell, "this cell"), (base, "the baseline")):
        if not side.measures(score):
            return f"{name} did not log {score}"
    return None


def _row(cell: Cell, score: str, options: Options) -> dict[str, Any]:
    outcomes = cell.outcomes(score)
    kinds = [item.kind for item in outcomes]
    row: dict[str, Any] = {
        "cell": cell.label,
        "measured": cell.measures(score),
        "seeds": [_seed_record(item, options.directory) for item in outcomes],
        "counted": kinds.count(VALUE) + kinds.count(FAILURE),
        "failures": kinds.count(FAILURE),
        "pending": kinds.count(PENDING),
        "not_run": kinds.count(NOT_RUN),
    }
    values = [item.value for item in outcomes if item.kind == VALUE]
    if values and row["measured"]:
        row["median"] = statistics.median(values)
        row["median_interval"] = statistics.bootstrap_interval(values, "median", options.confidence)
        row["iqm"] = statistics.interquartile_mean(values)
        row["iqm_interval"] = statistics.bootstrap_interval(values, "iqm", options.confidence)
    return row


def _seed_record(item: Outcome, directory: Path) -> dict[str, Any]:
    record = {"seed": item.run.seed, "run": relative(item.run.path, directory), "state": item.run.state}
    record["outcome"] = item.kind
    if item.kind == VALUE:
        record.update(value=item.value, iteration=item.run.last_iteration)
    else:
        record["why"] = item.why
    return record


def relative(path: Path, directory: Path) -> str:
    """`path` as seen from the report's directory ("3", "seeds_0-2/3")."""
    return str(path.relative_to(directory)) if path.is_relative_to(directory) else str(path)


def _differing_references(cells: list[Cell], score: str) -> dict[str, dict[str, int]] | None:
    """For each seed whose runs disagree on the real data's own value of `score` beyond float rounding,
    {seed: {value: runs}}; None when every seed agrees. A seed draws the same real images in every cell, so its
    runs disagree only when they were scored with different feature networks (a domain classifier trained on
    another machine or thread count) or reference images: their values do not compare."""
    by_seed: dict[str, list[float]] = {}
    for run in (run for cell in cells for run in cell.runs if score in run.references):
        by_seed.setdefault(str(run.seed), []).append(run.references[score])
    differing = {
        seed: dict(Counter(f"{value:.4g}" for value in sorted(values)))
        for seed, values in by_seed.items()
        if max(values) - min(values) > REFERENCE_TOLERANCE * max(abs(value) for value in values)
    }
    return differing or None


def _run_record(run: Run, cell: str, directory: Path) -> dict[str, Any]:
    record = {"path": relative(run.path, directory), "cell": cell, "seed": run.seed, "state": run.state}
    record["yardstick"] = run.yardstick
    for key in ("iteration", "max_iterations", "error", "reason", "updated", "findings", "environment"):
        if key in run.status:
            record[key] = run.status[key]
    return record


def strict_json(value: Any) -> Any:
    """JSON has no NaN or infinity: an undefined or unbounded number becomes null; tuples become lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(item) for item in value]
    return value
