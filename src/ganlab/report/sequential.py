"""The sequential verdicts in report.md: a study run by `python -m ganlab.study` decides by its looks
(ganlab.sequential), so these come first. The report's own fixed-sample p-values take no account of the looks and
are left for reading only."""

from __future__ import annotations

from typing import Any

from ganlab.report.rounding import p_value, share
from ganlab.score_names import score_name


def lines(record: dict[str, Any]) -> list[str]:
    """report.md's section on study.json's `record`."""
    design = record["design"]
    looks = ", ".join(str(seeds) for seeds in record["looks_planned"])
    out = [
        "", "## Sequential verdicts", "",
        f"Decided by the study's looks at {looks} seeds a cell (`python -m ganlab.study`): |P(better) - 1/2| on "
        f"{score_name(record['primary'])} against boundaries that spend alpha {design['alpha']} by the "
        f"{design['spending'].replace('_', '-')} function over the looks and split it over {design['comparisons']} "
        f"comparison(s); equivalent where the look's repeated confidence interval for P(better) rules out the "
        f"declared effect, P(better) = {share(design['effect'])}, both ways; futile where even that effect could no "
        f"longer reach the last boundary. The study {record['state']}. The fixed-sample verdicts further down take "
        "no account of the looks and are for reading only.", "",
        "| cell against the baseline | verdict | at look (seeds a cell) | P(better) | repeated CI | p at that look "
        "| its level |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for label, history in record["comparisons"].items():
        if not history:
            out.append(f"| {label} | not looked at | | | | | |")
            continue
        last = history[-1]
        verdict = f"**{last['state']}**" if last["state"] in ("better", "worse", "equivalent") else last["state"]
        level = p_value(last["level"]) if last["boundary"] is not None else "unreachable"
        low, high = last.get("interval") or (0.0, 1.0)  # study.json before 2026-12-06 kept no interval
        out.append(f"| {label} | {verdict} | {last['look']} ({last['seeds']}) | {share(last['p_better'])} "
                   f"| [{share(low)}, {share(high)}] | {p_value(last['p'])} | {level} |")  # fmt: skip
    return out
