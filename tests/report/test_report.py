"""`python -m ganlab.report DIR` on run directories written as a sweep writes them, where the answer is known."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from ganlab.report.__main__ import main, write_report
from ganlab.report.statistics import difference, holm, summarize

CLASSIFIER_METRIC = {
    "_target_": "ganlab.callbacks.evaluation.Evaluation",
    "every_n_steps": 10,
    "num_samples": 100,
    "final_num_samples": 200,
    "scores": {"_target_": "ganlab.metrics.domain_classifier"},
}


def write_run(
    path: Path,
    overrides: list[str],
    seed: int,
    curve: dict[str, list[tuple[int, float]]],
    status: str = "completed",
    metric: dict | None = None,
    **status_fields,
) -> Path:
    """A run directory as ganlab.train leaves it: .hydra/, metrics.csv (training and evaluation rows),
    status.json."""
    (path / ".hydra").mkdir(parents=True)
    config = {"seed": seed, "metric": metric or CLASSIFIER_METRIC, "data": {"_target_": "digits", "batch_size": 64}}
    (path / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump([*overrides, f"seed={seed}"]))
    columns = sorted(curve)
    lines = [",".join(["epoch", "step", "train/d_loss", *columns])]
    steps = sorted({step for history in curve.values() for step, _ in history})
    for step in steps:
        lines.append(",".join(["0", str(step), "0.7", *[""] * len(columns)]))
        values = {column: dict(curve[column]).get(step) for column in columns}
        lines.append(",".join(["", str(step), "", *["" if values[c] is None else repr(values[c]) for c in columns]]))
    (path / "metrics.csv").write_text("\n".join(lines) + "\n")
    (path / "status.json").write_text(
        json.dumps({"status": status, "updated": "2099-01-01T00:00:00+00:00", **status_fields})
    )
    return path


def score_curve(final: float, start: float = 1.0) -> dict[str, list[tuple[int, float]]]:
    """A classifier score rising from `start` to `final` over iterations 0, 10, 20, 30."""
    return {
        "val/classifier_score": [(step, start + (final - start) * step / 30) for step in (0, 10, 20, 30)],
        "val/real_classifier_score": [(0, 9.0)],
    }


COLLAPSE = {"finding": "mode_collapse", "iteration": 20, "detail": "the samples cover 1 mode(s)"}


def known_sweep(root: Path) -> Path:
    """Cells whose verdicts against trick=base are known: one clearly better, one clearly worse, one the same
    (up to seed noise), one with too few seeds; one run of the baseline failed."""
    finals = {
        "trick=base": [5.0, 5.2, 4.9],
        "trick=flip": [7.0, 7.3, 6.9],
        "trick=sig": [3.0, 3.2, 2.8],
        "trick=drop": [5.1, 4.9, 5.0],
        "trick=lin": [6.5, 6.6],
    }
    job = 0
    for cell, values in finals.items():
        for seed, value in enumerate(values):
            # one of the worse cell's runs lost its modes: a finding the report lists beside the scores
            findings = [COLLAPSE] if (cell, seed) == ("trick=sig", 1) else []
            write_run(root / str(job), [cell], seed, score_curve(value), **({"findings": findings} if findings else {}))
            job += 1
    write_run(
        root / str(job),
        ["trick=base"],
        3,
        score_curve(1.0),
        status="failed",
        iteration=12,
        max_iterations=30,
        error="RuntimeError: boom",
    )
    return root


def test_verdicts_where_the_answer_is_known(tmp_path, capsys):
    sweep = known_sweep(tmp_path / "sweep")
    assert main([str(sweep)]) == 0
    report = json.loads((sweep / "report.json").read_text())
    (group,) = report["groups"]
    assert group["baseline"] == "trick=base"
    (table,) = group["scores"]
    assert table["score"] == "val/classifier_score" and table["higher_is_better"] is True
    verdicts = {row["cell"]: row["vs_baseline"]["verdict"] for row in table["rows"]}
    assert verdicts == {
        "trick=base": "baseline",
        "trick=flip": "better",
        "trick=sig": "worse",
        "trick=drop": "no significant difference",
        "trick=lin": "cannot be drawn: 2 seed(s), a verdict needs 3",
    }
    rows = {row["cell"]: row for row in table["rows"]}
    assert rows["trick=flip"]["n"] == 3 and rows["trick=flip"]["mean"] == pytest.approx(7.0666667)
    assert rows["trick=flip"]["std"] == pytest.approx(0.2081666)
    assert rows["trick=flip"]["vs_baseline"]["paired"] is True  # both ran seeds 0, 1, 2
    assert rows["trick=flip"]["vs_baseline"]["difference"] == pytest.approx(7.0666667 - 5.0333333)
    # the failed seed 3 of the baseline is listed, not averaged in, and breaks no pairing
    assert rows["trick=base"]["failed"] == ["14"] and rows["trick=base"]["seeds"] == [0, 1, 2]
    assert rows["trick=base"]["best"] == pytest.approx(5.0333333) and rows["trick=base"]["best_iteration"] == 30
    assert rows["trick=base"]["real_data"] == 9.0
    # the curves rise linearly from 1: 90% of the way is first covered at the last evaluation, 2/3 at 20
    assert rows["trick=flip"]["pace_iteration"] == 30
    markdown = (sweep / "report.md").read_text()
    assert "| trick=flip | 3 | 7.067 ± 0.2082 |" in markdown and "**better**" in markdown and "**worse**" in markdown
    assert "| 14 | trick=base | 3 | failed | 12/30 | RuntimeError: boom |" in markdown
    assert "| 7 | trick=sig | 1 | mode_collapse | 20 | the samples cover 1 mode(s) |" in markdown
    assert "val/classifier_score  trick=flip  vs trick=base: better" in capsys.readouterr().out
    assert (sweep / "score_vs_step.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_lower_is_better_scores_and_a_chosen_baseline(tmp_path):
    sweep = tmp_path / "sweep"
    for seed in range(3):
        write_run(sweep / f"a{seed}", ["loss=hinge"], seed, {"val/fid": [(0, 300.0), (30, 40.0 + seed)]})
        write_run(sweep / f"b{seed}", ["loss=minimax"], seed, {"val/fid": [(0, 300.0), (30, 80.0 + seed)]})
    report = write_report(sweep, baseline=["loss=minimax"], fraction=0.5)
    rows = {row["cell"]: row for row in report["groups"][0]["scores"][0]["rows"]}
    assert rows["loss=hinge"]["vs_baseline"]["verdict"] == "better"  # a lower FID
    assert rows["loss=hinge"]["best"] == pytest.approx(41.0) and rows["loss=hinge"]["pace_iteration"] == 30
    assert rows["loss=minimax"]["vs_baseline"] == {"verdict": "baseline"}


def test_cells_scored_differently_are_not_compared(tmp_path):
    sweep = tmp_path / "sweep"
    for seed in range(3):
        write_run(sweep / f"a{seed}", ["trick=base"], seed, score_curve(5.0))
        write_run(
            sweep / f"b{seed}",
            ["trick=flip"],
            seed,
            score_curve(7.0),
            metric={**CLASSIFIER_METRIC, "final_num_samples": 10000},
        )
    report = write_report(sweep)
    assert len(report["groups"]) == 2
    assert [group["setting_differences"] for group in report["groups"]] == [
        {"metric.final_num_samples": 200},
        {"metric.final_num_samples": 10000},
    ]
    flip = report["groups"][1]["scores"][0]["rows"][0]
    assert flip["cell"] == "trick=flip" and flip["vs_baseline"] == {"verdict": "baseline"}  # alone in its group
    markdown = (sweep / "report.md").read_text()
    assert "## Group 2: metric.final_num_samples=10000" in markdown
    assert "cells scored differently are not compared in one table" in markdown


def test_an_evaluation_limit_separates_runs_and_all_samples_is_one_setting_however_written(tmp_path):
    """trainer.limit_val_batches changes how many samples a score is computed on; absent (runs made before it was
    a key), null and 1.0 all mean every sample, and the classifier's copy of it is not a setting of its own."""
    sweep = tmp_path / "sweep"
    for seed, written in enumerate([None, 1.0, "absent"]):
        run = write_run(sweep / f"a{seed}", ["trick=base"], seed, score_curve(5.0))
        if written != "absent":
            config = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())
            config["trainer"] = {"limit_val_batches": written}
            config["metric"]["scores"]["evaluation_limit"] = written
            (run / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
        limited = write_run(sweep / f"b{seed}", ["trick=flip"], seed, score_curve(7.0))
        config = yaml.safe_load((limited / ".hydra" / "config.yaml").read_text())
        config["trainer"] = {"limit_val_batches": 0.001}
        (limited / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config))
    report = write_report(sweep)
    differences = [group["setting_differences"] for group in report["groups"]]
    assert differences == [{"trainer.limit_val_batches": None}, {"trainer.limit_val_batches": 0.001}]
    assert [group["scores"][0]["rows"][0]["runs"] for group in report["groups"]] == [3, 3]  # one group of all three


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    assert "missing: no such directory" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 2
    assert "no runs below it" in capsys.readouterr().err
    sweep = known_sweep(tmp_path / "sweep")
    assert main([str(sweep), "--baseline", "trick=nope"]) == 2
    assert "--baseline trick=nope: no cell matches; the cells are: trick=base; trick=flip" in capsys.readouterr().err


def test_statistics_against_hand_computed_values():
    summary = summarize([1.0, 2.0, 3.0], confidence=0.95)
    assert (summary.mean, summary.std) == (2.0, 1.0)
    assert summary.ci_high - summary.mean == pytest.approx(4.302653 / math.sqrt(3))  # t(0.975, 2) = 4.3027
    # paired: the per-seed differences 1, 2, 3 -> the same interval around 2
    paired = difference({0: 2.0, 1: 4.0, 2: 6.0}, {0: 1.0, 1: 2.0, 2: 3.0}, 0.95)
    assert paired.paired and paired.difference == 2.0 and paired.ci_low == pytest.approx(2 - 4.302653 / math.sqrt(3))
    # Welch with equal spreads and sizes: t = 2 / sqrt(2/3), df = 4
    welch = difference({0: 2.0, 1: 3.0, 2: 4.0}, {5: 0.0, 6: 1.0, 7: 2.0}, 0.95)
    assert not welch.paired and welch.p_value == pytest.approx(0.0704, abs=1e-4)
    assert holm([0.01, 0.04, 0.03, math.nan]) == pytest.approx([0.03, 0.06, 0.06, math.nan], nan_ok=True)


def test_an_unknown_score_is_refused_with_the_ones_there_are(tmp_path, capsys):
    sweep = known_sweep(tmp_path / "sweep")
    assert main([str(sweep), "--scores", "fid"]) == 2
    error = capsys.readouterr().err
    assert "--scores val/fid: no completed run logged it; the runs have: val/classifier_score" in error
