"""The report on the W&B dashboard: when a sweep's runs logged to W&B, the report joins their group as a W&B run
of its own (job type `report`) holding the verdict table, a sequential study's looks and the report's figures.

Where the runs logged is read from each run's wandb/ganlab_run.json (ganlab.wandb_logger): its project, entity
and group. Runs that logged to several groups get no report there, with a line that says so, since a verdict
belongs to one study. The report's own W&B run keeps its id in <DIR>/wandb/ganlab_report.json, so a report made
again continues it (its tables get a new version) rather than adding a second report to the group.

The report files are written first and W&B never costs them: online only with credentials (else offline under
<DIR>/wandb, uploaded by `wandb sync`), WANDB_MODE wins (`disabled` sends nothing), and a W&B failure is one line.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganlab.atomic_files import write_text_atomically
from ganlab.report.runs import Run
from ganlab.wandb_record import RUN_RECORD, earlier_run_id, environment_mode, has_credentials, read_run_record

REPORT_RECORD = "ganlab_report.json"  # in <DIR>/wandb: the report's own W&B run
VERDICT_COLUMNS = ["group", "score", "primary", "cell", "seeds", "failures", "median", "vs_baseline", "P(better)",
                   "p_adjusted", "verdict"]  # fmt: skip
LOOK_COLUMNS = ["comparison", "look", "seeds", "state", "P(better)", "p", "level"]


def where_runs_logged(runs: list[Run], say: Callable[[str], None]) -> dict[str, Any] | None:
    """The one (project, entity, group) every run that logged to W&B shares, or None (no run logged, or several
    places, which `say` names)."""
    places: Counter = Counter()
    for run in runs:
        path = run.path / "wandb" / RUN_RECORD
        if not path.is_file():
            continue
        try:
            record = read_run_record(path)
            place = (str(record["project"]), record.get("entity"), record.get("group"))
        except (OSError, ValueError, KeyError) as error:
            say(f"W&B: {path} cannot be read ({type(error).__name__}: {error}); that run is left out of the group")
            continue
        places[place] += 1
    if len(places) > 1:
        named = "; ".join(f"{project}/{group} ({count} runs)" for (project, _, group), count in places.most_common())
        say(f"W&B: the runs logged to {len(places)} places ({named}); the report is sent to none: report one "
            "sweep's directory to put its verdicts in its group")  # fmt: skip
        return None
    if not places:
        return None
    (project, entity, group), _ = places.most_common(1)[0]
    return {"project": project, "entity": entity, "group": group}


def verdict_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The report's comparisons, one row a cell and score, as the W&B Table holds them."""
    rows = []
    for index, group in enumerate(report["groups"]):
        primary = group["primary"]["score"]
        for table in group["scores"]:
            for row in table["rows"]:
                against = row.get("vs_baseline") or {}
                effect = against.get("effect") or {}
                rows.append([
                    index + 1, table["score"], table["score"] == primary, row["cell"], row["counted"],
                    row["failures"], row["median"], effect.get("value"), against.get("probability"),
                    against.get("p_adjusted"), against.get("verdict", "baseline"),
                ])  # fmt: skip
    return rows


def look_rows(sequential: dict[str, Any]) -> list[list[Any]]:
    return [
        [label, look["look"], look["seeds"], look["state"], look["p_better"], look["p"], look["level"]]
        for label, looks in sequential["comparisons"].items()
        for look in looks
    ]


def publish(directory: Path, report: dict[str, Any], runs: list[Run], say: Callable[[str], None] = print) -> None:
    """Send the written report to the runs' W&B group; a no-op when no run logged to W&B."""
    place = where_runs_logged(runs, say)
    if place is None:
        return
    try:
        mode = environment_mode() or ("online" if has_credentials() else "offline")
    except ValueError as error:
        say(f"W&B: the report was not sent ({error}); report.md and report.json are written")
        return
    if mode == "disabled":
        return
    try:
        _send(directory, report, place, mode, say)
    except Exception as error:  # W&B down, a refused key, a full disk: the report on disk stands
        say(f"W&B: the report was not sent ({type(error).__name__}: {error}); report.md and report.json are written")


def _send(directory: Path, report: dict[str, Any], place: dict[str, Any], mode: str, say: Callable[[str], None]):
    import wandb

    folder = directory / "wandb"
    folder.mkdir(exist_ok=True)
    settings: dict[str, Any] = {"dir": str(directory), "job_type": "report", "name": f"report: {report['title']}"}
    earlier = earlier_run_id(folder, REPORT_RECORD)
    if earlier:
        settings.update(id=earlier, resume="allow")
    run = wandb.init(mode=mode, settings=wandb.Settings(init_timeout=15, silent=True), **place, **settings)
    try:
        if not earlier:
            write_text_atomically(folder / REPORT_RECORD, json.dumps({"id": run.id, **place}, indent=2) + "\n")
        verdicts = verdict_rows(report)
        logged: dict[str, Any] = {"verdicts": wandb.Table(columns=VERDICT_COLUMNS, data=verdicts)}
        if "sequential" in report:
            logged["sequential_looks"] = wandb.Table(columns=LOOK_COLUMNS, data=look_rows(report["sequential"]))
            for label, looks in report["sequential"]["comparisons"].items():
                run.summary[f"sequential/{label}"] = looks[-1]["state"] if looks else "not looked at"
        for picture in report["pictures"]:
            logged[picture.removesuffix(".png")] = wandb.Image(str(directory / picture))
        run.log(logged)
        for row in verdicts:
            if row[2] and row[-1] != "baseline":
                group = f"group {row[0]}/" if len(report["groups"]) > 1 else ""
                run.summary[f"verdict/{group}{row[3]}"] = row[-1]
    finally:
        run.finish()
    where = run.url if mode == "online" else f"offline in {folder} (upload with `wandb sync {folder}/offline-run-*`)"
    say(f"W&B: the report is in group {place['group']} of {place['project']}: {where}")
