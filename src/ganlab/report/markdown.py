"""report.md: the analysis (`ganlab.report.analysis.analyse`) as tables a person reads."""

from __future__ import annotations

import math
from typing import Any

from ganlab.report.statistics import MIN_SEEDS


def render(report: dict[str, Any], pictures: list[str]) -> str:
    runs = report["runs"]
    states: dict[str, int] = {}
    for run in runs:
        states[run["state"]] = states.get(run["state"], 0) + 1
    confidence, fraction = round(100 * report["confidence"]), round(100 * report["fraction"])
    lines = [
        f"# ganlab report: {report['directory']}",
        "",
        f"{len(runs)} runs ({', '.join(f'{count} {state}' for state, count in states.items())}), "
        f"made {report['generated']} by `python -m ganlab.report`.",
        f"Cells differ in: {', '.join(report['varied']) or 'nothing (one cell)'}; seeds are pooled within a cell.",
        "",
        f"Each score is its value at a run's final evaluation, as mean ± standard deviation over the cell's "
        f"completed seeds, with a {confidence}% confidence interval (Student's t). *Best* is the best value of "
        f"the cell's mean curve and the iteration it was reached at; *{fraction}% at* is "
        f"the first iteration at which the mean curve had covered {fraction}% of the way "
        f"from its first evaluation to its final value. Against the baseline: the difference of means, its "
        f"{confidence}% interval, and a t-test (paired by seed when both cells ran the same seeds, else Welch's), "
        f"Holm-corrected for the number of cells compared; a verdict needs {MIN_SEEDS} seeds in both cells.",
    ]
    groups = report["groups"]
    for number, group in enumerate(groups, start=1):
        lines.append("")
        if len(groups) > 1:
            differing = ", ".join(f"{key}={value}" for key, value in group["setting_differences"].items())
            lines += [
                f"## Group {number}: {differing}",
                "",
                "Scores depend on the metric's settings and the reference data, so cells scored differently "
                "are not compared in one table.",
                "",
            ]
        lines.append(f"Baseline: {group['baseline_note']}.")
        for table in group["scores"]:
            lines += ["", *_score_table(table, confidence, fraction)]
    failures = [run for run in runs if run["state"] != "completed"]
    lines += ["", "## Runs that did not complete", ""]
    if failures:
        lines += ["| run | cell | seed | state | iteration | error |", "|---|---|---|---|---|---|"]
        for run in failures:
            iteration = f"{run.get('iteration', '')}/{run.get('max_iterations', '')}" if "iteration" in run else ""
            error = str(run.get("error", run.get("reason", ""))).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {run['path']} | {run['cell']} | {run['seed']} | {run['state']} | {iteration} | {error} |")
    else:
        lines.append("None: every run completed.")
    found = [(run, finding) for run in runs for finding in run.get("findings", [])]
    lines += ["", "## Findings", ""]
    if found:  # D winning outright, modes lost (ganlab.callbacks.findings): why a cell scores as it does
        lines += ["| run | cell | seed | finding | iteration | detail |", "|---|---|---|---|---|---|"]
        for run, finding in found:
            lines.append(
                f"| {run['path']} | {run['cell']} | {run['seed']} | {finding['finding']} | {finding['iteration']} "
                f"| {finding['detail']} |"
            )
    else:
        lines.append("None: no run's discriminator won outright and no run lost its modes.")
    for picture in pictures:
        lines += ["", f"![{picture}]({picture})"]
    return "\n".join(lines) + "\n"


def _score_table(table: dict[str, Any], confidence: int, fraction: int) -> list[str]:
    """One score's table; `confidence` and `fraction` in percent."""
    direction = {True: "higher is better", False: "lower is better", None: "direction unknown"}
    lines = [
        f"### {table['score']} ({direction[table['higher_is_better']]})",
        "",
        f"| cell | seeds | final | {confidence}% CI | best (iteration) | {fraction}% at | real data "
        f"| vs baseline | {confidence}% CI | p (Holm) | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table["rows"]:
        if "mean" not in row:
            lines.append(f"| {row['cell']} | 0 of {row['runs']} | no completed run | | | | | | | | |")
            continue
        comparison = row.get("vs_baseline", {})
        has_difference = "difference" in comparison
        lines.append(
            "| "
            + " | ".join(
                [
                    row["cell"],
                    f"{row['n']}" + (f" of {row['runs']}" if row["runs"] != row["n"] else ""),
                    f"{_number(row['mean'])} ± {_number(row['std'])}",
                    _interval(row["ci_low"], row["ci_high"]),
                    f"{_number(row['best'])} ({row['best_iteration']})",
                    str(row["pace_iteration"]),
                    _number(row["real_data"]) if "real_data" in row else "",
                    f"{comparison['difference']:+.4g}" + (" paired" if comparison["paired"] else "")
                    if has_difference
                    else "",
                    _interval(comparison["ci_low"], comparison["ci_high"]) if has_difference else "",
                    _number(comparison["p_adjusted"]) if has_difference else "",
                    f"**{comparison['verdict']}**"
                    if comparison.get("verdict") in ("better", "worse")
                    else comparison.get("verdict", ""),
                ]
            )
            + " |"
        )
    return lines


def _number(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.4g}"


def _interval(low: float | None, high: float | None) -> str:
    return "n/a" if low is None or high is None or math.isnan(low) else f"[{low:.4g}, {high:.4g}]"
