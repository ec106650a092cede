"""What the runs trained with (status.json's `environment`), in one sentence of the report.

A seeded run repeats bit for bit only with the same torch, processor, CPU kernels and CPU threads, and scores from
different devices or library versions may differ by more than rounding: the report says what its runs had, and
names what differs between them, and says in bold where a difference lines up with the cells (two cells whose runs
share no value of it), so a reader can tell a comparison across cells from one across machines. A key no
run recorded (the processor, before 2026-12-06) is left out; one that some runs did not record is named for the
others, and is not counted a difference.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Any

from ganlab.report.rounding import counted

# status.json's key, and how the sentence names it
SHOWN = (("torch", "torch"), ("pytorch_lightning", "Lightning"), ("device", "device"), ("processor", "processor"),
         ("cpu_capability", "CPU kernels"), ("cpu_threads", "CPU threads"))  # fmt: skip
NOT_RECORDED = "not recorded"


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """How many runs recorded an environment, for each shown key how many runs had each value, and the keys that line
    up with the cells (`lined_up`: each cell's values, where two cells have none in common)."""
    environments = [(str(run.get("cell")), run["environment"]) for run in runs
                    if isinstance(run.get("environment"), dict)]  # fmt: skip
    values = {key: Counter(_value(environment, key) for _, environment in environments) for key, _ in SHOWN}
    lined_up = {}
    for key, _ in SHOWN:
        by_cell: dict[str, set[str]] = {}
        for cell, environment in environments:
            if (value := _value(environment, key)) != NOT_RECORDED:
                by_cell.setdefault(cell, set()).add(value)
        # two cells whose runs share no value of the key: what tells them apart may be the machines
        if any(not first & second for first, second in combinations(by_cell.values(), 2)):
            lined_up[key] = {cell: sorted(found) for cell, found in by_cell.items()}
    return {"recorded": len(environments), "values": {key: dict(counts) for key, counts in values.items()},
            "lined_up": lined_up}  # fmt: skip


def _value(environment: dict[str, Any], key: str) -> str:
    value = environment.get(key)
    return NOT_RECORDED if value is None else str(value)


def sentence(summary: dict[str, Any], total: int) -> str | None:
    """'Trained with torch 2.5.1, Lightning 2.4.0, device cpu, CPU threads 1 (every run).', naming each value's
    runs where they differ, and in bold each difference that lines up with the cells; None when no run recorded its
    environment (runs of ganlab before 2026-12-03)."""
    if not summary["recorded"]:
        return None
    parts, differing = [], []
    for key, label in SHOWN:
        counts = summary["values"].get(key, {NOT_RECORDED: summary["recorded"]})  # report.json before the key
        if set(counts) == {NOT_RECORDED}:
            continue
        if len(counts) == 1:
            parts.append(f"{label} {next(iter(counts))}")
        else:
            parts.append(f"{label} {counted(counts)}")
            if len(set(counts) - {NOT_RECORDED}) > 1:
                differing.append(label)
    recorded = "every run" if summary["recorded"] == total else f"{summary['recorded']} of {total} runs recorded it"
    text = f"Trained with {', '.join(parts)} ({recorded})."
    if differing:
        text += f" The runs differ in {' and '.join(differing)}: a seed does not repeat bit for bit across them."
        lined_up = summary.get("lined_up", {})
        for key, label in SHOWN:
            if key in lined_up:
                cells = "; ".join(f"{cell}: {' or '.join(found)}" for cell, found in lined_up[key].items())
                text += (f" **The {label} lines up with the cells** ({cells}): a difference between two cells that "
                         f"share no {label} may be the machines', not the setting's.")  # fmt: skip
        if not lined_up:
            text += " It does not line up with the cells: every two cells have runs that share each of them."
    return text
