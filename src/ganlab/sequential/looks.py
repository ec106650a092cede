"""A look at a sequential study: its runs read from the study's directory, and each open comparison judged.

The runs are read as the report reads them (ganlab.report.runs), and each counts as the report counts it: a value,
or a failure tied at the worst (ganlab.report.outcomes). A look at n seeds a cell takes seeds 0 to n - 1 of each cell,
the seeds its rounds have run, or that an earlier sweep in the study's directory ran with the same settings (the
run the round would have made). A seed that is still running, was refused before training, or is missing stops the
study with its name, since the look would otherwise test fewer seeds than its boundary was computed for.
"""

from __future__ import annotations

import math
from typing import Any

from ganlab.report.cells import _setting
from ganlab.report.outcomes import FAILURE, VALUE, goodness, outcome
from ganlab.report.runs import Run, find_runs
from ganlab.sequential.decision import OPEN, Look, judge
from ganlab.sequential.plan import StudyError, StudyPlan

NOT_A_RUNS_SETTING = ("hydra.", "hydra/", "study.", "report.")


def _belongs(run: Run, cell: tuple[str, ...], fixed: tuple[str, ...]) -> bool:
    """Whether `run` was given exactly the cell's and the study's overrides, besides its seed: a run of an earlier
    sweep with one more setting is another configuration. Hydra's own and the study's declarations (study.*,
    report.*) change no run, so they are not compared."""

    def settings(overrides) -> set:
        given = {_setting(item) for item in overrides if not item.lstrip("+~").startswith(NOT_A_RUNS_SETTING)}
        return given - {("seed", run.seed)}

    return settings(run.overrides) == settings((*cell, *fixed))


def _settled(run: Run, score: str) -> bool:
    return outcome(run, score).kind in (VALUE, FAILURE)


def cell_runs(plan: StudyPlan, runs: list[Run], cell: tuple[str, ...]) -> dict[int, Run]:
    """`cell`'s run of each seed found: an ended one where a seed has two (an earlier sweep's, in the study's
    directory, and the study's own)."""
    mine: dict[int, Run] = {}
    for run in runs:
        if _belongs(run, cell, plan.fixed) and (run.seed not in mine or not _settled(mine[run.seed], plan.primary)):
            mine[run.seed] = run
    return mine


def study_runs(plan: StudyPlan, runs: list[Run]) -> list[Run]:
    """The runs the study counts, one per cell and seed: its report's, where the directory holds others too."""
    return [run for cell in plan.cells for run in cell_runs(plan, runs, cell).values()]


def seeds_ended(plan: StudyPlan, runs: list[Run], cell: tuple[str, ...]) -> set[int]:
    """The seeds of `cell` whose runs have ended with a value or a failure: a round need not run them again."""
    return {seed for seed, run in cell_runs(plan, runs, cell).items() if _settled(run, plan.primary)}


def cell_goodness(plan: StudyPlan, runs: list[Run], cell: tuple[str, ...], seeds: int) -> list[float]:
    """The goodness of seeds 0 to `seeds` - 1 of `cell` on the primary score (higher is better, a failure -inf)."""
    mine = cell_runs(plan, runs, cell)
    values = []
    for seed in range(seeds):
        run = mine.get(seed)
        if run is None:
            raise StudyError(f"{plan.label(cell)} seed {seed}: no run in {plan.directory}; run the study again")
        item = outcome(run, plan.primary)
        if item.kind not in (VALUE, FAILURE):
            raise StudyError(
                f"{plan.label(cell)} seed {seed} ({run.path}): {item.kind}, {item.why}; a look needs every seed of its "
                "round ended: run the study again to finish it"
            )
        values.append(goodness(item, run.better.get(plan.primary)))
    return values


def look(plan: StudyPlan, index: int, states: dict[str, str]) -> dict[str, Look]:
    """Look `index` at every comparison still open in `states` (cell label: state)."""
    runs, unreadable = find_runs(plan.directory)
    if unreadable:
        raise StudyError(f"{unreadable[0].path}: {unreadable[0].why}; the study cannot count that seed")
    seeds = plan.design.looks[index]
    baseline = cell_goodness(plan, runs, plan.baseline, seeds)
    return {
        plan.label(cell): judge(plan.design, index, cell_goodness(plan, runs, cell, seeds), baseline)
        for cell in plan.cells[1:]
        if states[plan.label(cell)] == OPEN
    }


def as_record(found: Look) -> dict[str, Any]:
    """A look as study.json keeps it (strict JSON: an unreachable boundary is null)."""
    return {
        "look": found.index + 1, "seeds": found.seeds, "state": found.state,
        "p_better": found.probability, "p": found.p, "level": found.level, "interval": list(found.interval),
        "boundary": found.boundary if math.isfinite(found.boundary) else None,
        "conditional_power": found.conditional_power,
    }  # fmt: skip
