"""Runs grouped for comparison: cells (runs that differ only in their seed), groups of cells scored alike,
and the baseline cell.

A *cell* is named by the command-line overrides that vary between the runs read (`trick=flip`), seeds
removed. Runs scored with different metric settings (number of samples, reference data) or on different
yardsticks (feature networks, by their weights' hash) land in separate groups (ganlab.run_identity.score_setting),
and only cells of one group are compared.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import OverrideParseException

from ganlab.report.outcomes import NOT_MEASURED, Outcome, outcome
from ganlab.report.runs import Run, override_key
from ganlab.run_identity import score_setting

NO_OVERRIDE = "(no override)"
UNRECORDED = "unrecorded"  # the yardstick of runs that did not record one (ganlab before 2026-12-05)
# overrides that say how a run was continued or computed, not what it trained
NOT_A_SETTING = ("seed", "ckpt_path", "rerun_failed", "cpu_threads")


class ReportError(ValueError):
    """What the user asked of the report cannot be done (no runs, an unknown baseline, a seed run twice)."""


@dataclass
class Cell:
    label: str
    overrides: tuple[str, ...]
    runs: list[Run] = field(default_factory=list)

    def measures(self, score: str) -> bool:
        """Whether its metric has `score`: some run logged it, or none completed to show that it does not."""
        return any(score in run.scores for run in self.runs) or not any(run.completed for run in self.runs)

    def outcomes(self, score: str) -> list[Outcome]:
        if not self.measures(score):
            return [Outcome(run, NOT_MEASURED, why=f"its metric does not log {score}") for run in self.runs]
        return [outcome(run, score) for run in self.runs]


def varied_keys(runs: Sequence[Run]) -> list[str]:
    """The override keys whose values differ between runs, in first-seen order; seed, hydra.* and how a run was
    continued (ckpt_path, rerun_failed) or how many CPU threads it had (cpu_threads) do not make it another cell.
    Values are compared as Hydra reads them, so `false` and `False` are one value."""
    given = [dict(_setting(item) for item in run.overrides) for run in runs]
    keys = dict.fromkeys(key for settings in given for key in settings)
    values = {key: {repr(settings.get(key, NO_OVERRIDE)) for settings in given} for key in keys}
    varied = [key for key, seen in values.items() if len(seen) > 1]
    return [key for key in varied if key not in NOT_A_SETTING and not key.startswith("hydra.")]


def make_cells(runs: Sequence[Run]) -> list[Cell]:
    """Runs grouped by the settings of the varied keys, as Hydra reads them: a sweep's recorded
    `model.batchnorm=False` and a single run's typed `model.batchnorm=false` are one cell, labelled with the
    spelling seen first."""
    keys = set(varied_keys(runs))
    spelling: dict[tuple[str, str], str] = {}
    cells: dict[tuple[str, ...], Cell] = {}
    for run in runs:
        overrides = []
        for item in run.overrides:
            key, value = _setting(item)
            if key in keys:
                overrides.append(spelling.setdefault((key, repr(value)), item))
        cell = cells.setdefault(tuple(overrides), Cell(", ".join(overrides) or NO_OVERRIDE, tuple(overrides)))
        cell.runs.append(run)
    return list(cells.values())


def comparable_groups(runs: Sequence[Run]) -> list[tuple[dict[str, Any], list[Cell]]]:
    """The runs split by metric setting and yardstick, each part as (setting, its cells), in order of first
    appearance."""
    settings: dict[str, tuple[dict[str, Any], set[int]]] = {}

    def group_of(setting: dict[str, Any]) -> set[int]:
        return settings.setdefault(repr(sorted(setting.items(), key=str)), (setting, set()))[1]

    # the yardstick too: values measured with different feature networks do not compare (ganlab.rescore brings a
    # run onto another). A run that measured nothing (refused, killed before its first evaluation) records none and
    # joins the first group of its metric setting, where it is listed as not run or pending.
    measured = [run for run in runs if run.yardstick or run.scores]
    for run in measured:
        group_of({**score_setting(run.config), "yardstick": run.yardstick or UNRECORDED}).add(id(run))
    for run in (run for run in runs if not (run.yardstick or run.scores)):
        setting = score_setting(run.config)
        homes = [
            members for found, members in settings.values() if found == {**setting, "yardstick": found["yardstick"]}
        ]  # its metric setting, any yardstick
        (homes[0] if homes else group_of({**setting, "yardstick": UNRECORDED})).add(id(run))
    all_cells = make_cells(runs)
    groups = []
    for setting, members in settings.values():
        cells = [
            Cell(cell.label, cell.overrides, [run for run in cell.runs if id(run) in members]) for cell in all_cells
        ]
        groups.append((setting, [cell for cell in cells if cell.runs]))
    return groups


def refuse_repeated_seeds(cells: Sequence[Cell]) -> None:
    """A seed run twice in one cell (two sweeps pooled with the same seeds) is the same experiment twice: counted
    as two seeds it would fake evidence, and keeping one of them would be a silent choice. Raise, naming them."""
    repeats = []
    for cell in cells:
        by_seed: dict[str, list[Run]] = {}
        for run in cell.runs:
            by_seed.setdefault(str(run.seed), []).append(run)
        repeats += [f"{cell.label} seed {seed}: {', '.join(str(run.path) for run in runs)}"
                    for seed, runs in by_seed.items() if len(runs) > 1]  # fmt: skip
    if repeats:
        raise ReportError(
            "the same seed of a cell was run more than once, and a repeated seed would count as two seeds; report "
            "the sweeps apart, or move one of each pair out of the directory: " + "; ".join(repeats)
        )


def choose_baseline(cells: Sequence[Cell], requested: Sequence[str] | None) -> tuple[Cell, str]:
    """The baseline cell and a sentence saying how it was chosen."""
    if requested:
        wanted = [_setting(item) for item in requested]
        matches = [cell for cell in cells if all(_has_settings(run, wanted) for run in cell.runs)]
        if len(matches) != 1:
            labels = "; ".join(cell.label for cell in cells)
            found = "no cell matches" if not matches else f"{len(matches)} cells match"
            raise ReportError(f"--baseline {' '.join(requested)}: {found}; the cells are: {labels}")
        return matches[0], f"`{matches[0].label}` (--baseline)"
    bases = [cell for cell in cells if ("trick", "base") in map(_setting, cell.overrides)]
    if len(bases) == 1:
        return bases[0], f"`{bases[0].label}` (the cell with trick=base; --baseline picks another)"
    return cells[0], f"`{cells[0].label}`, the first cell (no single cell has trick=base; --baseline picks one)"


def _has_settings(run: Run, settings: Sequence[tuple[str, Any]]) -> bool:
    """Whether `run` was given every (key, value) of `settings` on its command line (the cell's varied ones or
    any other: `--baseline` may name a setting every run shares)."""
    given = [_setting(item) for item in run.overrides]
    return all(setting in given for setting in settings)


@functools.lru_cache(maxsize=4096)  # a sweep repeats a few spellings in every run, and a parse is slow
def _setting(override: str) -> tuple[str, Any]:
    """(key, value) as Hydra reads `override`: `model.batchnorm=false`, as a sweep's YAML spells it, and the
    `model.batchnorm=False` Hydra records are one setting, as are `optim.lr=2e-4` and `optim.lr=0.0002`."""
    try:
        (parsed,) = OverridesParser.create().parse_overrides([override])
    except OverrideParseException:  # not Hydra's grammar: compared as typed
        return override_key(override), override.partition("=")[2]
    return parsed.key_or_group, _hashable(parsed.value())


def _hashable(value: Any) -> Any:
    """A setting's value as one that a set can hold (`trick=[flip,instance_noise]`: a tuple), equal where equal."""
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    return value
