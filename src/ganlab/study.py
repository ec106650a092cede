"""`python -m ganlab.study experiment=X [overrides]`: a study that adds seeds round by round until each comparison
with the baseline is decided, at a false-alarm rate proved by simulation (docs/studies.md, the sequential rule).

Each round runs `study.round` new seeds of every cell still undecided, and of the baseline, as ordinary sweep jobs
of `python -m ganlab.train --multirun` (so every launcher works: basic, joblib, Ray, SLURM). Every job is an
ordinary run directory below `hydra.sweep.dir`, named by its overrides; a round is one sweep where Hydra's grid can
say it, so its launcher runs the cells side by side. Then the rule looks at every open comparison. While a round
runs, it says how many of its runs have ended and, from their pace, how long the rest will take (on the terminal
and in study.json's `round`). The study stops when every comparison is decided
(better, worse, equivalent, futile) or has reached `study.max_seeds`, or when `study.max_hours` have passed. It
keeps study.json current in the directory, prints where it stands, and ends by writing the report with its
sequential verdicts. Run again with the same arguments and `hydra.sweep.dir`, it skips the runs already done and
continues. A run that an earlier sweep left in the directory, with the same settings and seed, is read as that
seed's run rather than run again.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ganlab.atomic_files import write_text_atomically
from ganlab.report.cells import ReportError
from ganlab.report.runs import find_runs
from ganlab.sequential.decision import OPEN
from ganlab.sequential.plan import StudyError, StudyPlan, make_plan
from ganlab.sequential.rounds import Launch, RoundCount, launch_sweep


def run_study(plan: StudyPlan, launch: Launch = launch_sweep, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Rounds and looks until the study stops; returns study.json's record."""
    from ganlab.sequential.looks import as_record, look, seeds_ended

    started, design = time.monotonic(), plan.design
    states = {plan.label(cell): OPEN for cell in plan.cells[1:]}
    record: dict[str, Any] = {
        "design": {key: getattr(design, key) for key in ("max_seeds", "round", "alpha", "comparisons", "spending",
                                                         "effect", "futility_power")},  # fmt: skip
        "looks_planned": list(design.looks),
        "boundaries": [bound if bound != float("inf") else None for bound in design.boundaries],
        "baseline": plan.label(plan.baseline), "primary": plan.primary, "state": "running",
        "comparisons": {label: [] for label in states},
    }  # fmt: skip
    plan.directory.mkdir(parents=True, exist_ok=True)
    ran_seconds, ran_runs = 0.0, 0  # the runs this sitting ran, for the estimate (runs read from disk took no time)
    for index, seeds in enumerate(design.looks):
        first = design.looks[index - 1] if index else 0
        cells = [plan.baseline, *[cell for cell in plan.cells[1:] if states[plan.label(cell)] == OPEN]]
        at_most = len(cells) * (design.looks[-1] - first)  # this round's runs and every later one's, were none to stop
        say(f"round {index + 1} of at most {len(design.looks)}: seeds {first} to {seeds - 1} of {len(cells)} cells "
            f"({len(cells) * (seeds - first)} runs){_time_left(ran_seconds, ran_runs, at_most)}")  # fmt: skip
        runs, _ = find_runs(plan.directory)  # read once a round: every cell's ended seeds come from it
        ended = {cell: seeds_ended(plan, runs, cell) for cell in cells}
        found = sum(len(ended[cell] & set(range(first, seeds))) for cell in cells)
        if found:
            say(f"  {found} of the round's runs have ended in {plan.directory} already; they are read, not run again")
        to_run = {cell: [seed for seed in range(first, seeds) if seed not in ended[cell]] for cell in cells}
        to_run = {cell: missing for cell, missing in to_run.items() if missing}
        round_started = time.monotonic()
        if to_run:
            launch(plan, to_run, RoundCount(plan, to_run, _round_said(plan, record, index + 1, found, say)))
        total = sum(map(len, to_run.values()))
        ran_seconds, ran_runs = ran_seconds + time.monotonic() - round_started, ran_runs + total
        for label, judged in look(plan, index, states).items():
            states[label] = judged.state
            record["comparisons"][label].append(as_record(judged))
        record["look"] = index + 1
        _save(plan, record)
        for label, looks in record["comparisons"].items():
            say(_line(label, looks[-1], index))
        if OPEN not in states.values():
            break
        if plan.max_hours is not None and time.monotonic() - started > plan.max_hours * 3600:
            record["state"] = f"stopped: study.max_hours = {plan.max_hours} spent"
            break
    if record["state"] == "running":
        record["state"] = "finished"
    _save(plan, record)
    return record


def _round_said(plan: StudyPlan, record: dict[str, Any], number: int, read: int, say: Callable[[str], None]):
    """What the study does with each new count of a round's ended runs: study.json's `round`, and a line."""

    def changed(done: int, total: int, seconds: float) -> None:
        record["round"] = {"round": number, "runs": total, "done": done, "read": read}
        _save(plan, record)
        left = seconds / done * (total - done) / 60
        say(f"  round {number}: {done} of {total} runs done" + (
            f"; about {left:.0f} minutes left in the round, by its runs so far" if done < total else ""))

    return changed


def _time_left(seconds: float, runs: int, left: int) -> str:
    """At most how long the `left` runs take at the pace of the `runs` this sitting ran in `seconds`."""
    if runs == 0:
        return ""
    return f"; at most {seconds / runs * left / 60:.0f} minutes left, by the runs so far"


def _line(label: str, last: dict[str, Any], index: int) -> str:
    if last["look"] != index + 1:  # decided at an earlier look
        return f"  {label}: {last['state']} at look {last['look']}"
    level = f"{last['level']:.2g}" if last["boundary"] is not None else "none reachable yet"
    return f"  {label}: {last['state']}; P(better) {last['p_better']:.2f}, p = {last['p']:.2g} against {level}"


def _save(plan: StudyPlan, record: dict[str, Any]) -> None:
    record["updated"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_text_atomically(plan.directory / "study.json", json.dumps(record, indent=2) + "\n")


def main(argv: list[str] | None = None, launch: Launch = launch_sweep) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if any(argument in ("-h", "--help") for argument in arguments):
        print(__doc__.split("\n\n")[0].replace("`", ""))
        return 0
    try:
        plan = make_plan(arguments)
        print(f"study directory: {plan.directory} (run again with hydra.sweep.dir={plan.directory} to continue)")
        record = run_study(plan, launch)
        from ganlab.report.__main__ import write_report
        from ganlab.sequential.looks import study_runs

        write_report(plan.directory, title=plan.title, baseline=list(plan.baseline), sequential=record,
                     select=lambda runs: study_runs(plan, runs))  # fmt: skip
    except (StudyError, ReportError) as error:
        print(f"ganlab.study: {error}", file=sys.stderr)
        return 2
    print(f"{record['state']}; wrote {plan.directory / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
