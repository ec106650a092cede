"""`python -m ganlab.report DIR [--baseline trick=base] [--scores fid ...]`: report.md, report.json,
score_vs_step.png and samples.png, written into DIR (see README, The report)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from ganlab.report.analysis import ReportError, analyse, comparable_groups, make_cells
from ganlab.report.figures import save_final_samples, save_score_curves
from ganlab.report.markdown import render
from ganlab.report.runs import find_runs
from ganlab.status_file import write_text_atomically


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ganlab.report",
        description="Summarize the runs below DIR (a sweep, several, or one run) over seeds, compare each cell "
        "with a baseline, and write report.md, report.json, score_vs_step.png and samples.png into DIR.",
    )
    parser.add_argument("directory", type=Path, help="a run or sweep directory, e.g. multirun/2026-11-24/10-00-00")
    parser.add_argument(
        "--baseline", nargs="+", metavar="KEY=VALUE",
        help="the overrides that pick the baseline cell (default: the cell with trick=base, else the first)",
    )  # fmt: skip
    parser.add_argument("--scores", nargs="+", metavar="NAME", help="the val/ scores to report (default: all)")
    parser.add_argument(
        "--fraction", type=float, default=0.9,
        help="pace: the share of the way from first to final score a cell's mean curve must cover (0.9)",
    )  # fmt: skip
    parser.add_argument("--confidence", type=float, default=0.95, help="of intervals and tests (0.95)")
    arguments = parser.parse_args(argv)
    for name in ("fraction", "confidence"):
        if not 0 < getattr(arguments, name) < 1:
            parser.error(f"--{name} = {getattr(arguments, name)}: must be strictly between 0 and 1")
    return arguments


def write_report(
    directory: Path,
    baseline: list[str] | None = None,
    scores: list[str] | None = None,
    fraction: float = 0.9,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Read, analyse and write; returns the analysis as written to report.json."""
    if not directory.is_dir():
        raise ReportError(f"{directory}: no such directory")
    runs = find_runs(directory)
    groups = comparable_groups(runs)
    report = _without_nan(analyse(runs, groups, directory, baseline, scores, fraction, confidence))
    pictures = []
    curves = [
        (cells, [table["score"] for table in group["scores"]])
        for (_, cells), group in zip(groups, report["groups"], strict=True)
    ]
    if save_score_curves(curves, directory / "score_vs_step.png"):
        pictures.append("score_vs_step.png")
    if save_final_samples(make_cells(runs), directory / "samples.png"):
        pictures.append("samples.png")
    report["pictures"] = pictures
    write_text_atomically(directory / "report.json", json.dumps(report, indent=2) + "\n")
    write_text_atomically(directory / "report.md", render(report, pictures))
    return report


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        report = write_report(
            arguments.directory, arguments.baseline, arguments.scores, arguments.fraction, arguments.confidence
        )
    except ReportError as error:
        print(f"ganlab.report: {error}", file=sys.stderr)
        return 2
    for group in report["groups"]:
        for table in group["scores"]:
            for row in table["rows"]:
                verdict = row.get("vs_baseline", {}).get("verdict")
                if verdict and verdict != "baseline":
                    print(f"{table['score']}  {row['cell']}  vs {group['baseline']}: {verdict}")
    failed = [run for run in report["runs"] if run["state"] != "completed"]
    print(f"{len(report['runs'])} runs, {len(failed)} not completed; wrote {arguments.directory / 'report.md'}")
    return 0


def _without_nan(value: Any) -> Any:
    """JSON has no NaN: undefined numbers (a spread over one seed) become null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
