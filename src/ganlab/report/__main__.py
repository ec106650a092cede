"""`python -m ganlab.report DIR [--baseline trick=base] [--primary fid] [--margin 10%] ...`: report.md,
report.json, score_vs_step.png and samples.png, written into DIR (see docs/studies.md, The report), and sent to
the runs' W&B group when they logged to W&B (ganlab.report.dashboard)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ganlab.atomic_files import write_text_atomically
from ganlab.report.analysis import Options, analyse, relative, strict_json
from ganlab.report.cells import ReportError, comparable_groups
from ganlab.report.dashboard import publish
from ganlab.report.figures import save_final_samples, save_score_curves
from ganlab.report.markdown import render
from ganlab.report.runs import Run, UnreadableRun, find_runs
from ganlab.score_names import score_name
from ganlab.value_checks import is_effect, is_share


def _margin(text: str) -> str | float:
    if is_share(text):
        return text
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a positive number in the score's units, or a share such as 10%")
    return value


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ganlab.report",
        description="Summarize the runs below DIR (a sweep, several, or one run) seed by seed, compare each cell "
        "with a baseline on the study's primary score, and write report.md, report.json, score_vs_step.png and "
        "samples.png into DIR.",
    )
    parser.add_argument("directory", type=Path, help="a run or sweep directory, e.g. multirun/2026-11-24/10-00-00")
    parser.add_argument(
        "--baseline", nargs="+", metavar="KEY=VALUE",
        help="the overrides that pick the baseline cell (default: the cell with trick=base, else the first)",
    )  # fmt: skip
    parser.add_argument(
        "--primary", metavar="NAME",
        help="the score verdicts are drawn on (default: the runs' report.primary_score, else the metric's first)",
    )  # fmt: skip
    parser.add_argument(
        "--margin", type=_margin, metavar="M",
        help="cells closer than this count as equivalent: the primary score's units (2.5) or a share of the "
        "baseline's median (10%%); default: the runs' report.margin, else no equivalence verdict",
    )  # fmt: skip
    parser.add_argument(
        "--paired", action="store_true",
        help="pair the seeds of two cells (only where a seed gives both cells shared randomness; docs/studies.md)",
    )  # fmt: skip
    parser.add_argument("--scores", nargs="+", metavar="NAME", help="the val/ scores to report (default: all)")
    parser.add_argument("--title", help="the report's heading (default: DIR as typed)")
    parser.add_argument(
        "--fraction", type=float, default=0.9,
        help="pace: the target is this share of the way from the baseline's median first to final value (0.9)",
    )  # fmt: skip
    parser.add_argument("--confidence", type=float, default=0.95, help="of intervals and tests (0.95)")
    parser.add_argument(
        "--effect", type=float, metavar="P",
        help="the smallest effect of interest, as a P(better), that an inconclusive verdict's power is planned for "
        "(default: the runs' study.effect, else 0.71)",
    )  # fmt: skip
    arguments = parser.parse_args(argv)
    if arguments.effect is not None and not is_effect(arguments.effect):
        parser.error(f"--effect = {arguments.effect}: must be a P(better) in (0, 1), not 0.5")
    for name in ("fraction", "confidence"):
        if not 0 < getattr(arguments, name) < 1:
            parser.error(f"--{name} = {getattr(arguments, name)}: must be strictly between 0 and 1")
    return arguments


def write_report(directory: Path, **options: Any) -> dict[str, Any]:
    """Read, analyse and write; returns the analysis as written to report.json. `options`: those of
    `ganlab.report.analysis.Options` other than the directory (the title defaults to it as given)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ReportError(f"{directory}: no such directory")
    sequential = options.pop("sequential", None)  # study.json's record, from python -m ganlab.study
    # python -m ganlab.study: its own runs, where the directory holds an earlier sweep's other settings too
    select: Callable[[list[Run]], list[Run]] | None = options.pop("select", None)
    settings = Options(directory=directory, title=options.pop("title", None) or str(directory), **options)
    runs, unreadable = find_runs(directory)
    if not runs and unreadable:
        raise ReportError(f"{directory}: no run below it can be read: {_unreadable_list(unreadable, directory)}")
    read = len(runs)
    if select is not None:
        runs = select(runs)
    groups = comparable_groups(runs)
    report = analyse(runs, groups, settings)
    report["unreadable"] = [{"path": relative(run.path, directory), "why": run.why} for run in unreadable]
    if sequential is not None:
        report["sequential"] = sequential
    report["left_out"] = read - len(runs)
    pictures = []
    panels = [
        (score_name(score["score"]) + (f" (group {index + 1})" if len(groups) > 1 else ""),
         cells, score["score"], score["better"])
        for index, ((_, cells), group) in enumerate(zip(groups, report["groups"], strict=True))
        for score in group["scores"]
    ]  # fmt: skip
    if save_score_curves(panels, directory / "score_vs_step.png"):
        pictures.append("score_vs_step.png")
    primary = report["groups"][0]["primary"]["score"]
    if save_final_samples(groups[0][1], primary, directory / "samples.png"):
        pictures.append("samples.png")
    report["pictures"] = pictures
    report = strict_json(report)
    write_text_atomically(directory / "report.json", json.dumps(report, indent=2, allow_nan=False) + "\n")
    write_text_atomically(directory / "report.md", render(report, pictures))
    publish(directory, report, runs)
    return report


def _unreadable_list(unreadable: list[UnreadableRun], directory: Path) -> str:
    return "; ".join(f"{relative(run.path, directory)}: {run.why}" for run in unreadable)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    keys = ("title", "baseline", "scores", "primary", "margin", "paired", "confidence", "fraction", "effect")
    options = {key: getattr(arguments, key) for key in keys}
    try:
        report = write_report(arguments.directory, **options)
    except ReportError as error:
        print(f"ganlab.report: {error}", file=sys.stderr)
        return 2
    for group in report["groups"]:
        for table in group["scores"][:1]:
            for row in table["rows"]:
                verdict = row["vs_baseline"]["verdict"]
                if verdict != "baseline":
                    print(f"{table['score']}  {row['cell']}  vs {group['baseline']}: {verdict}")
    for run in report["unreadable"]:
        print(f"not readable, left out: {run['path']}: {run['why']}")
    unfinished = [run for run in report["runs"] if run["state"] != "completed"]
    print(f"{len(report['runs'])} runs, {len(unfinished)} not completed; wrote {arguments.directory / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
