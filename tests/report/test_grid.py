"""Main effects and interactions of a full grid of cells, and the report's pictures."""

from __future__ import annotations

import pytest

from ganlab.report.__main__ import write_report
from ganlab.report.cells import make_cells
from ganlab.report.figures import median_seed_picture, score_figure
from ganlab.report.grid import analyse_grid
from ganlab.report.runs import find_runs
from tests.report.sweeps import fid_curve, write_run


def grid_sweep(root, finals: dict[tuple[str, str], list[float]]):
    job = 0
    for (head, trick), values in finals.items():
        for seed, value in enumerate(values):
            write_run(root / str(job), [f"model.head={head}", f"trick={trick}"], seed, fid_curve(value))
            job += 1
    return root


def effects(report: dict) -> dict[str, dict]:
    return {effect["effect"]: effect for effect in report["groups"][0]["grid"]["effects"]}


def test_a_main_effect_is_found_and_the_other_axis_and_the_interaction_are_not(tmp_path):
    spread = [0.0, 1.0, 2.0, 3.0, 4.0]
    finals = {
        ("null", "base"): [50 + d for d in spread], ("null", "smooth"): [50.5 + d for d in spread],
        ("tanh", "base"): [20 + d for d in spread], ("tanh", "smooth"): [20.5 + d for d in spread],
    }  # fmt: skip
    report = write_report(grid_sweep(tmp_path / "sweep", finals))
    found = effects(report)
    assert found["model.head"]["significant"] and found["model.head"]["p_adjusted"] < 0.001
    assert not found["trick"]["significant"] and not found["model.head x trick"]["significant"]
    assert found["model.head"]["df"] == [1, 16]
    markdown = (tmp_path / "sweep" / "report.md").read_text()
    assert "### The grid: model.head x trick" in markdown and "| model.head | " in markdown


def test_an_interaction_without_main_effects(tmp_path):
    spread = [0.0, 1.0, 2.0, 3.0, 4.0]
    finals = {
        ("null", "base"): [50 + d for d in spread], ("null", "smooth"): [20 + d for d in spread],
        ("tanh", "base"): [20 + d for d in spread], ("tanh", "smooth"): [50 + d for d in spread],
    }  # fmt: skip
    found = effects(write_report(grid_sweep(tmp_path / "sweep", finals)))
    assert found["model.head x trick"]["significant"]
    assert not found["model.head"]["significant"] and not found["trick"]["significant"]


def test_a_grid_that_cannot_be_tested_says_why(tmp_path):
    finals = {("null", "base"): [1.0, 2.0], ("null", "smooth"): [3.0], ("tanh", "base"): [1.0, 2.0],
              ("tanh", "smooth"): [3.0, 4.0]}  # fmt: skip
    grid = write_report(grid_sweep(tmp_path / "sweep", finals))["groups"][0]["grid"]
    assert grid["untested"] == "every cell needs the same number of counted seeds, two at least; the cells have 1, 2"
    runs, _ = find_runs(tmp_path / "sweep")
    one_axis = [cell for cell in make_cells(runs) if "model.head=null" in cell.overrides]
    assert analyse_grid(one_axis, "val/classifier_fid", "lower", 0.05) is None  # one axis varies: not a grid


def test_curves_use_a_log_axis_across_decades_and_name_the_direction(tmp_path):
    sweep = tmp_path / "sweep"
    for seed, final in enumerate([20.0, 900.0, 150.0]):
        write_run(sweep / str(seed), ["trick=base"], seed, fid_curve(final))
    cells = make_cells(find_runs(sweep)[0])
    figure = score_figure([("classifier_fid", cells, "val/classifier_fid", "lower")])
    (axes,) = figure.axes
    assert axes.get_yscale() == "log" and axes.get_ylabel() == "classifier_fid (lower is better)"
    assert len(axes.lines) == 4  # three seeds thin, their median bold
    assert max(line.get_linewidth() for line in axes.lines) > 2 * min(line.get_linewidth() for line in axes.lines)


def test_samples_come_from_the_median_seed(tmp_path):
    sweep = tmp_path / "sweep"
    for seed, final in enumerate([20.0, 900.0, 150.0]):
        run = write_run(sweep / str(seed), ["trick=base"], seed, fid_curve(final))
        (run / "samples").mkdir()
        (run / "samples" / "step_000030.png").write_bytes(b"")
    (cell,) = make_cells(find_runs(sweep)[0])
    picture, caption = median_seed_picture(cell, "val/classifier_fid")
    assert picture == sweep / "2" / "samples" / "step_000030.png" and caption == "seed 2: classifier_fid 150"


@pytest.mark.parametrize("paired", [False, True])
def test_the_report_says_whether_seeds_were_paired(tmp_path, paired):
    finals = {("null", "base"): [1.0, 2.0, 3.0], ("tanh", "base"): [2.0, 3.0, 4.0]}
    report = write_report(grid_sweep(tmp_path / "sweep", finals), paired=paired)
    assert report["paired"] is paired
    comparison = report["groups"][0]["scores"][0]["rows"][1]["vs_baseline"]
    assert comparison["paired"] is paired and comparison["n_cell"] == 3
    wording = "seeds paired by seed (--paired)" if paired else "seeds unpaired (--paired pairs them)"
    assert wording in (tmp_path / "sweep" / "report.md").read_text()
