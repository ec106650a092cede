"""report.md: the analysis (`ganlab.report.analysis.analyse`) as a person reads it, verdicts first."""

from __future__ import annotations

from typing import Any

from ganlab.report import environment, sequential, yardsticks
from ganlab.report.rounding import counted, p_value, share, significant, with_interval
from ganlab.report.wording import verdict_sentence
from ganlab.score_names import score_name

DIRECTION = {"higher": "higher is better", "lower": "lower is better", None: "direction unknown"}


def render(report: dict[str, Any], pictures: list[str]) -> str:
    runs = report["runs"]
    states: dict[str, int] = {}
    for run in runs:
        states[run["state"]] = states.get(run["state"], 0) + 1
    lines = [
        f"# ganlab report: {report['title']}",
        "",
        f"{len(runs)} runs ({', '.join(f'{count} {state}' for state, count in states.items())}), made "
        f"{report['generated']} by `python -m {'ganlab.study' if report.get('sequential') else 'ganlab.report'}`. "
        "Cells differ in: "
        f"{', '.join(report['varied']) or 'nothing (one cell)'}; a cell's seeds are its samples.",
    ]
    if trained_with := environment.sentence(report["environment"], len(runs)):
        lines += ["", trained_with]
    if measured_with := yardsticks.sentence(report.get("yardsticks") or {}):
        lines += ["", measured_with]
    if unreadable := report.get("unreadable"):
        lines += ["", f"**{len(unreadable)} run{'s' if len(unreadable) > 1 else ''} could not be read and "
                  f"{'are' if len(unreadable) > 1 else 'is'} left out of every count**: "
                  + "; ".join(f"`{run['path']}`: {run['why']}" for run in unreadable) + "."]  # fmt: skip
    if left_out := report.get("left_out"):
        lines += ["", f"{left_out} other run{'s' if left_out > 1 else ''} in the directory, not the study's (other "
                  "settings, or a seed's second run), left out (`python -m ganlab.report` on the directory reads every "
                  "run)."]  # fmt: skip
    if record := report.get("sequential"):
        lines += sequential.lines(record)
    lines += ["", "## Fixed-sample verdicts (for reading only)" if report.get("sequential") else "## Verdicts"]
    groups = report["groups"]
    for number, group in enumerate(groups, start=1):
        if len(groups) > 1:
            lines += ["", f"### Group {number}: {_differences(group)}"]
        lines += ["", *_verdicts(group, report)]
    lines += [
        "",
        "Statistics: each number and test is explained in ganlab's docs/studies.md, section *The report*; "
        "every seed's final value is in report.json.",
    ]
    for number, group in enumerate(groups, start=1):
        if len(groups) > 1:
            lines += ["", f"## Group {number}: {_differences(group)}", "",
                      "Scores depend on the metric's settings and the reference data, so cells scored differently "
                      "are not compared in one table."]  # fmt: skip
        lines += _group_details(group, report)
    lines += _unfinished(report)
    lines += _findings(runs)
    for picture in pictures:
        lines += ["", f"![{picture}]({picture})"]
    return "\n".join(lines) + "\n"


def _differences(group: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in group["setting_differences"].items())


def _verdicts(group: dict[str, Any], report: dict[str, Any]) -> list[str]:
    primary = group["primary"]
    if primary["score"] is None:
        return ["No run logged a score: there is nothing to compare."]
    table = group["scores"][0]
    compared = [row for row in table["rows"] if row["vs_baseline"]["verdict"] != "baseline"]
    if not compared:
        return [f"One cell (`{group['baseline']}`): nothing to compare it with."]
    family = sum("probability" in row["vs_baseline"] for row in compared)
    confidence = round(100 * report["confidence"])
    pairing = "seeds paired by seed (--paired)" if report["paired"] else "seeds unpaired (--paired pairs them)"
    lines = [
        f"Primary score: **{score_name(primary['score'])}**, {DIRECTION[primary['better']]} "
        f"({primary['chosen']}). Baseline: {group['baseline_note']}.",
        "",
    ]
    if family:
        lines += [
            "Each verdict comes from a permutation test of P(better), the probability that a seed beats a baseline "
            f"seed (a failed seed is the worst outcome), Holm-corrected over {family} comparison(s) at "
            f"{100 - confidence}%; {pairing}. Intervals beside it are {confidence}% simultaneous over the "
            "comparisons.",
            "",
        ]
    if differing := table.get("references_differ"):
        lines += [_references_differ(differing), ""]
    base_row = next(row for row in table["rows"] if row["vs_baseline"]["verdict"] == "baseline")
    level = f"{confidence}% simultaneous"
    lines += [verdict_sentence(table, row, base_row, group["margin"], level) for row in compared]
    return lines


def _group_details(group: dict[str, Any], report: dict[str, Any]) -> list[str]:
    confidence = round(100 * report["confidence"])
    lines: list[str] = []
    for table in group["scores"]:
        if table["primary"]:
            lines += ["", f"## {_title(table)} (primary; {DIRECTION[table['better']]})", "", *_real(table)]
            lines += _score_table(table, confidence, "p (Holm)", f"{confidence}% simultaneous CI")
            lines += ["", "Final value of every seed (*failed*: counted as the worst outcome; why below):", ""]
            lines += _per_seed(table)
            lines += _pace(table, report)
            lines += _grid(group.get("grid"))
    secondary = [table for table in group["scores"] if not table["primary"]]
    if secondary:
        lines += ["", "## Secondary scores (exploratory)", "",
                  "Not corrected for multiplicity and given no verdict: leads for a study of their own, not "
                  "findings."]  # fmt: skip
        for table in secondary:
            lines += ["", f"### {_title(table)} ({DIRECTION[table['better']]})", "", *_real(table)]
            lines += _score_table(table, confidence, "p (unadjusted)", f"{confidence}% CI")
    return lines


def _title(table: dict[str, Any]) -> str:
    return score_name(table["score"])


def _real(table: dict[str, Any]) -> list[str]:
    sizes = yardsticks.sizes_sentence(table.get("samples") or {})
    if table.get("real_data") is None:
        return [sizes, ""] if sizes else []
    real = (table.get("samples") or {}).get("real")
    halves = f", two halves of {real // 2} real samples against each other" if real else ""
    lines = [f"Real data scores {significant(table['real_data'])} (the baseline's real-data reference{halves}). "
             + (sizes or ""), ""]  # fmt: skip
    if differing := table.get("references_differ"):
        lines[0:0] = [_references_differ(differing), ""]
    return lines


def _references_differ(differing: dict[str, dict[str, int]]) -> str:
    shown = "; ".join(f"seed {seed}: {counted(values)}" for seed, values in differing.items())
    return (
        f"**The runs were scored against different references**: one seed's real samples score differently ({shown}), "
        "so the runs were scored with different feature networks (a domain classifier trained on another machine or "
        "thread count) or reference images. Their values, and verdicts drawn from them, do not compare: score them "
        "with one cached classifier (docs/configs.md)."
    )


def _score_table(table: dict[str, Any], confidence: int, p_label: str, interval_label: str) -> list[str]:
    lines = [
        f"| cell | seeds | failed | median [{confidence}% CI] | IQM [{confidence}% CI] | P(better) [{interval_label}] "
        f"| {p_label} | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table["rows"]:
        comparison = row["vs_baseline"]
        seeds = str(row["counted"]) + (f" (+{row['pending']} pending)" if row["pending"] else "")
        if not row["measured"]:
            lines.append(f"| {row['cell']} | {len(row['seeds'])} | | not measured | | | | {comparison['verdict']} |")
            continue
        probability = ""
        if "probability" in comparison:
            interval = comparison.get("probability_interval")
            probability = share(comparison["probability"]) + (
                {0.0: " (all worse)", 1.0: " (all better)"}.get(comparison["probability"])
                or (f" [{share(interval[0])}, {share(interval[1])}]" if interval else "")
            )
        p_shown = comparison.get("p_adjusted") if table["primary"] else comparison.get("p_value")
        verdict = comparison["verdict"]
        cells = [
            row["cell"], seeds, str(row["failures"]),
            with_interval(row.get("median"), row.get("median_interval")),
            with_interval(row.get("iqm"), row.get("iqm_interval")), probability,
            p_value(p_shown) if "probability" in comparison else "",
            f"**{verdict}**" if verdict in ("better", "worse", "equivalent") else verdict,
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _seed_order(seed: dict[str, Any]) -> tuple[int, Any]:
    """Numbers in numeric order (9 before 10), then any other seed by its text."""
    value = seed["seed"]
    return (0, value) if isinstance(value, int | float) and not isinstance(value, bool) else (1, str(value))


def _per_seed(table: dict[str, Any]) -> list[str]:
    lines = ["| cell | final value by seed |", "|---|---|"]
    for row in table["rows"]:
        shown = []
        for seed in sorted(row["seeds"], key=_seed_order):
            if seed["outcome"] == "value":
                shown.append(f"{seed['seed']}: {significant(seed['value'])}")
            elif seed["outcome"] == "failure":
                shown.append(f"{seed['seed']}: *failed*")
            else:
                shown.append(f"{seed['seed']}: ({seed['outcome']})")
        lines.append(f"| {row['cell']} | {' · '.join(shown)} |")
    return lines


def _pace(table: dict[str, Any], report: dict[str, Any]) -> list[str]:
    if "pace_note" in table:
        return ["", f"Pace: {table['pace_note']}."]
    if "pace_target" not in table:
        return []
    fraction = round(100 * report["fraction"])
    lines = [
        "",
        f"Pace: the first evaluation at which a seed's {_title(table)} reached {significant(table['pace_target'])}, "
        f"{fraction}% of the way from the baseline's median first value to its median last value during training "
        f"(`--fraction`), all at {(table.get('samples') or {}).get('curve') or 'one number of'} samples an evaluation; "
        "\"<= 500\": somewhere after the evaluation before it.",
        "",
        "| cell | reached | median iteration | by seed |",
        "|---|---|---|---|",
    ]
    for row in table["rows"]:
        pace = row.get("pace")
        if not pace:
            continue
        if not pace["of"]:  # every seed still running or not run: nothing to say of its pace yet
            lines.append(f"| {row['cell']} | no finished seed | | |")
            continue
        by_seed = " · ".join(
            f"{seed['seed']}: " + ("never" if seed["iteration"] is None else _at_most(seed["iteration"]))
            for seed in pace["seeds"]
        )
        middle = "never" if pace["median"] is None else _at_most(pace["median"])
        lines.append(f"| {row['cell']} | {pace['reached']} of {pace['of']} | {middle} | {by_seed} |")
    return lines


def _at_most(iteration: float) -> str:
    return "0" if iteration == 0 else f"<= {iteration:.0f}"


def _grid(grid: dict[str, Any] | None) -> list[str]:
    if not grid:
        return []
    lines = ["", f"### The grid: {' x '.join(grid['axes'])}", ""]
    if "untested" in grid:
        return lines + [f"Not tested: {grid['untested']}."]
    lines += [
        "Main effects and two-way interactions on the ranks of the final values (failures tied below every value), "
        "each by the aligned rank transform and its ANOVA F-test, Holm-corrected together:",
        "",
        "| effect | medians by level (failures aside) | F (df) | p (Holm) | |",
        "|---|---|---|---|---|",
    ]
    for effect in grid["effects"]:
        by_level = grid["level_medians"].get(effect["effect"], {})
        medians = ", ".join(f"{level}: {significant(value)}" for level, value in by_level.items())
        if effect["F"] is None:
            lines.append(f"| {effect['effect']} | {medians} | undefined: no spread within cells | | |")
            continue
        df = ", ".join(str(value) for value in effect["df"])
        mark = "**an effect**" if effect["significant"] else "no effect shown"
        lines.append(f"| {effect['effect']} | {medians} | {significant(effect['F'])} ({df}) "
                     f"| {p_value(effect['p_adjusted'])} | {mark} |")  # fmt: skip
    return lines


def _unfinished(report: dict[str, Any]) -> list[str]:
    """Every seed without a final value on the primary score, and why."""
    lines = ["", "## Seeds without a final value", ""]
    rows = [
        (seed, row["cell"])
        for group in report["groups"] if group["scores"]
        for row in group["scores"][0]["rows"] for seed in row["seeds"] if seed["outcome"] != "value"
    ]  # fmt: skip
    if not rows:
        return lines + ["None: every run finished with a value."]
    lines += ["| run | cell | seed | counted as | why |", "|---|---|---|---|---|"]
    for seed, cell in rows:
        why = str(seed.get("why", "")).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {seed['run']} | {cell} | {seed['seed']} | {seed['outcome']} | {why} |")
    return lines


def _findings(runs: list[dict[str, Any]]) -> list[str]:
    found = [(run, finding) for run in runs for finding in run.get("findings", [])]
    lines = ["", "## Findings", ""]
    if not found:  # D winning outright, modes lost (ganlab.callbacks.findings): why a cell scores as it does
        return lines + ["None: no run's discriminator won outright and no run lost its modes."]
    lines += ["| run | cell | seed | finding | iteration | detail |", "|---|---|---|---|---|---|"]
    for run, finding in found:
        lines.append(
            f"| {run['path']} | {run['cell']} | {run['seed']} | {finding['finding']} | {finding['iteration']} "
            f"| {finding['detail']} |"
        )
    return lines
