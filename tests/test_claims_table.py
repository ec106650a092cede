"""The README's table of the sources' claims says only what each report's primary score shows: every row that
compares cells gives the verdict word, p and seeds of that comparison in the report.json it links, and a row
decided by `ganlab.study` its last look's state and seeds a cell."""

import json
import re
from pathlib import Path

import pytest

from ganlab.report.rounding import p_equals

REPO = Path(__file__).resolve().parents[1]
LEVELS = ("reproduced", "not reproduced")  # a row about a measured level, not a comparison
VERDICTS = ("better", "worse", "equivalent", "inconclusive")
SEQUENTIAL = ("better", "worse", "equivalent", "futile")  # how a study's comparison stops (ganlab.sequential)


def claim_rows() -> list[dict[str, str]]:
    text = (REPO / "README.md").read_text()
    table = text[text.index("### What the sources' claims came to") :].split("\n\n")[2]
    lines = table.splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.strip().strip("|").split("|")), strict=True))
            for line in lines[2:]]  # fmt: skip


ROWS = claim_rows()


def test_the_table_has_a_row_for_every_source():
    claims = " ".join(row["source: the claim, in its words"] for row in ROWS)
    for source in ("Kim", "the Flux tutorial", "the KTH report", "Raschka", "the DCGAN-on-MNIST write-up"):
        assert source in claims


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row["source: the claim, in its words"][:50])
def test_each_verdict_is_its_reports_primary_score_verdict(row):
    verdict = re.match(r"\*\*([a-z ]+)\*\*", row["verdict (primary score)"])
    assert verdict, f"the verdict column opens with the verdict word in bold: {row['verdict (primary score)']!r}"
    word = verdict.group(1)
    if row["cell against baseline"] == "measured level":
        assert word in LEVELS
        return
    cell, baseline = re.fullmatch(r"`([^`]+)` against `([^`]+)`", row["cell against baseline"]).groups()
    (link,) = re.findall(r"\((docs/results/[^)]+)/report\.md\)", row["report"])
    report = json.loads((REPO / link / "report.json").read_text())
    if "decided by `ganlab.study`" in row["source: the claim, in its words"]:  # the study's last look, not a p
        assert word in SEQUENTIAL and report["sequential"]["baseline"] == baseline
        last = report["sequential"]["comparisons"][cell][-1]
        assert last["state"] == word
        assert f"at {last['seeds']} seeds a cell" in row["verdict (primary score)"]
        return
    assert word in VERDICTS
    (group,) = [group for group in report["groups"] if group["baseline"] == baseline]
    (compared,) = [found for found in group["scores"][0]["rows"] if found["cell"] == cell]
    result = compared["vs_baseline"]
    assert result["verdict"] == word
    assert f"{p_equals(result['p_adjusted'])}," in row["verdict (primary score)"]
    assert f"{compared['counted']} seeds a cell" in row["verdict (primary score)"]
    if group["primary"]["chosen"] == "chosen by --primary":  # a score chosen after a first study says so
        assert "declared after the first study" in row["source: the claim, in its words"]
