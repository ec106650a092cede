"""The report on the W&B dashboard: a sweep whose runs logged to W&B gets the report's verdicts, a study's looks and
the figures in its group, offline here (no network); the report on disk never depends on W&B."""

import json

import pytest

from ganlab.report.__main__ import write_report
from ganlab.study import run_study
from tests.report.sweeps import write_cells
from tests.test_study import plan_for, planted_launcher
from tests.test_wandb_logger import WANDB_VARIABLES


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in WANDB_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def logged_to(root, group, project="ganlab", only=None):
    """Give the runs below `root` the W&B record a run of logger=wandb leaves."""
    for number, run in enumerate(sorted(path for path in root.iterdir() if path.is_dir())):
        if only is None or number in only:
            (run / "wandb").mkdir()
            record = {"id": f"run{number}", "project": project, "entity": None, "group": group}
            (run / "wandb" / "ganlab_run.json").write_text(json.dumps(record))


def offline_tables(sweep, name):
    (piece,) = (sweep / "wandb").glob("offline-run-*")
    return [json.loads(path.read_text()) for path in (piece / "files" / "media" / "table").glob(f"{name}_*.json")]


def test_the_verdicts_and_a_studys_looks_join_the_runs_group(tmp_path, offline, capsys):
    plan = plan_for(tmp_path)
    launch, _ = planted_launcher({"trick=flip": 20.0})
    record = run_study(plan, launch, say=lambda line: None)
    study = plan.directory
    logged_to(study, group=str(study))
    write_report(study, sequential=record)
    out = capsys.readouterr().out
    assert f"W&B: the report is in group {study} of ganlab: offline in {study / 'wandb'}" in out
    (verdicts,) = offline_tables(study, "verdicts")
    row = next(row for row in verdicts["data"] if row[3] == "trick=flip" and row[2])
    flip = dict(zip(verdicts["columns"], row, strict=True))
    assert flip["verdict"] == "worse" and flip["score"] == "val/classifier_fid" and flip["vs_baseline"] > 5
    (looks,) = offline_tables(study, "sequential_looks")
    history = record["comparisons"]["trick=flip"]
    assert [row[1:4] for row in looks["data"]] == [[look["look"], look["seeds"], look["state"]] for look in history]
    assert looks["data"][-1][3] == "worse"
    (piece,) = (study / "wandb").glob("offline-run-*")
    assert list((piece / "files" / "media" / "images").glob("score_vs_step_*.png"))
    kept = json.loads((study / "wandb" / "ganlab_report.json").read_text())
    assert kept["group"] == str(study) and kept["project"] == "ganlab"
    write_report(study)  # made again: the same W&B run continues
    pieces = sorted((study / "wandb").glob("offline-run-*"))
    assert len(pieces) == 2 and all(piece.name.split("-")[3] == kept["id"] for piece in pieces)


def test_runs_in_two_groups_get_no_report_there_and_the_report_on_disk_stands(tmp_path, offline, capsys):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [40, 41, 42], "trick=flip": [80, 81, 82]})
    logged_to(sweep, group="first", only={0, 1, 2})
    logged_to(sweep, group="second", only={3, 4, 5})
    write_report(sweep)
    out = capsys.readouterr().out
    assert (
        "W&B: the runs logged to 2 places (ganlab/first (3 runs); ganlab/second (3 runs)); the report is sent "
        "to none" in out
    )
    assert (sweep / "report.md").is_file() and not (sweep / "wandb").exists()


def test_a_damaged_record_is_one_line_and_wandb_disabled_sends_nothing(tmp_path, offline, capsys, monkeypatch):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [40, 41, 42], "trick=flip": [80, 81, 82]})
    logged_to(sweep, group="g")
    (sweep / "0" / "wandb" / "ganlab_run.json").write_text("{not json")
    monkeypatch.setenv("WANDB_MODE", "disabled")
    write_report(sweep)
    out = capsys.readouterr().out
    assert f"W&B: {sweep / '0' / 'wandb' / 'ganlab_run.json'} cannot be read (JSONDecodeError" in out
    assert (sweep / "report.md").is_file() and not (sweep / "wandb").exists()


def test_a_wandb_mode_wandb_refuses_is_one_line_and_the_report_on_disk_stands(tmp_path, offline, capsys, monkeypatch):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [40, 41, 42], "trick=flip": [80, 81, 82]})
    logged_to(sweep, group="g")
    monkeypatch.setenv("WANDB_MODE", "")  # as `export WANDB_MODE=` leaves it
    write_report(sweep)
    out = capsys.readouterr().out
    assert "W&B: the report was not sent (the environment variable WANDB_MODE = '': must be online, offline" in out
    assert "pydantic" not in out
    assert (sweep / "report.md").is_file() and not (sweep / "wandb").exists()
