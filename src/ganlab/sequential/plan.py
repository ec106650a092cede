"""What a sequential study runs: its cells, its baseline, its design and its directory, from the command line.

`python -m ganlab.study experiment=X [overrides]` takes what `--multirun` takes. Its sweep axes are the
experiment's (`hydra.sweeper.params`, less its `seed` and any key the command line gives one value) and the
command line's comma lists (`optim.generator.lr=0.001,1e-9`); each combination is a cell. The study chooses
the seeds itself, so a `seed` axis on the command line is refused. The design comes from the
config's `study:` node (ganlab.sequential.decision.Design), with one comparison for each cell but the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf

from ganlab.score_names import score_column
from ganlab.sequential.decision import Design


class StudyError(Exception):
    """A study that cannot be run or continued; the message says why and what to do."""


@dataclass(frozen=True)
class StudyPlan:
    fixed: tuple[str, ...]  # the overrides every job gets (experiment=X, study.max_seeds=..., ...)
    cells: tuple[tuple[str, ...], ...]  # each cell's own overrides, the baseline first
    design: Design
    directory: Path  # hydra.sweep.dir: every round's runs go below it
    primary: str  # the score verdicts are drawn on (val/<name>)
    max_hours: float | None

    @property
    def baseline(self) -> tuple[str, ...]:
        return self.cells[0]

    @staticmethod
    def label(cell: tuple[str, ...]) -> str:
        return ", ".join(cell) or "(no override)"

    @property
    def title(self) -> str:
        """The report's heading: the question, where a directory's name (often Hydra's date and time) says none."""
        others = "; ".join(self.label(cell) for cell in self.cells[1:])
        # how the jobs run (a launcher, Hydra's own settings) is not part of the question
        shared = [item for item in self.fixed if not item.lstrip("+~").startswith(("hydra.", "hydra/"))]
        return f"{others} against {self.label(self.baseline)}" + (f" ({' '.join(shared)})" if shared else "")


def compose_study(fixed: list[str]) -> DictConfig:
    """The composed config (with Hydra's node) that every job of the study starts from."""
    with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
        return compose("train", overrides=fixed, return_hydra_config=True)


def make_plan(arguments: list[str]) -> StudyPlan:
    """The plan for the command line `arguments`; StudyError when they do not make a study."""
    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(arguments)
    except HydraException as error:
        raise StudyError(f"the overrides are not Hydra's grammar: {str(error).splitlines()[0]}") from None
    # where the runs go is the study's to pass: hydra.sweep.dir is the plan's directory, each job's subdir its overrides
    fixed = [override.input_line for override in parsed if not override.is_sweep_override()
             and override.get_key_element() not in ("hydra.sweep.dir", "hydra.sweep.subdir")]  # fmt: skip
    located = [override.input_line for override in parsed if override.get_key_element() == "hydra.sweep.dir"]
    swept = [override for override in parsed if override.is_sweep_override()]
    try:
        config = compose_study([*fixed, *located])
    except HydraException as error:
        raise StudyError(str(error).splitlines()[0]) from None
    # as --multirun reads them: an axis the command line gives one value is no axis (model.batchnorm=true fixes
    # the experiment's model.batchnorm: false,true); the experiment's seed axis is for --multirun, since a study
    # chooses its seeds itself, round by round
    given = {override.key_or_group for override in parsed if not override.is_sweep_override()}
    params = {key: str(value) for key, value in (config.hydra.sweeper.params or {}).items()
              if key != "seed" and key not in given}  # fmt: skip
    params.update({override.get_key_element(): override.input_line.split("=", 1)[1] for override in swept})
    if "seed" in params:
        raise StudyError(
            f"seed={params['seed']}: a study chooses its seeds itself, round by round (study.round new seeds a cell, "
            "study.max_seeds at most); leave seed out"
        )
    axes = parser.parse_overrides([f"{key}={value}" for key, value in params.items()])
    (jobs,) = BasicSweeper.split_arguments(axes, max_batch_size=None) if axes else ([[]],)
    cells = [tuple(job) for job in jobs]
    if len(cells) < 2:
        why = "give it a sweep axis (an experiment's, or key=a,b on the command line)"
        raise StudyError(f"a study compares cells: {why}")
    baseline = _baseline(cells, OmegaConf.select(config, "study.baseline"))
    study = config.study
    try:
        design = Design(
            max_seeds=study.max_seeds, round=study.round, effect=study.effect, comparisons=len(cells) - 1,
            alpha=study.alpha, spending=study.spending, futility_power=study.futility_power,
        )  # fmt: skip
    except ValueError as error:
        raise StudyError(str(error)) from None
    primary = OmegaConf.select(config, "report.primary_score")
    if not primary:
        raise StudyError("report.primary_score is not set: a study must declare the score it decides on")
    return StudyPlan(
        tuple(fixed), (baseline, *[cell for cell in cells if cell != baseline]), design,
        Path(str(config.hydra.sweep.dir)), score_column(str(primary)), study.get("max_hours"),
    )  # fmt: skip


def _baseline(cells: list[tuple[str, ...]], requested: Any) -> tuple[str, ...]:
    """study.baseline's cell (a list of key=value), else the one with trick=base, else the first."""
    if requested:
        wanted = set(requested)
        matches = [cell for cell in cells if wanted <= set(cell)]
        if len(matches) != 1:
            found = "no cell has" if not matches else f"{len(matches)} cells have"
            raise StudyError(f"study.baseline = {list(requested)}: {found} those settings; the cells are: "
                             + "; ".join(StudyPlan.label(cell) for cell in cells))  # fmt: skip
        return matches[0]
    bases = [cell for cell in cells if "trick=base" in cell]
    return bases[0] if len(bases) == 1 else cells[0]
