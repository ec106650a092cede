"""The report on the sweeps that fooled it: failures, non-finite finals, zero spread, one seed, ties, repeated
and pooled seeds, a score some cells lack, a run still going, a run without its final evaluation."""

from __future__ import annotations

import json
import math

import pytest

from ganlab.report.__main__ import main, write_report
from tests.report.sweeps import CLASSIFIER_BETTER, fid_curve, write_cells, write_run


def primary_rows(report: dict) -> dict[str, dict]:
    return {row["cell"]: row for row in report["groups"][0]["scores"][0]["rows"]}


def test_diverged_seeds_stay_in_their_cell_as_failures(tmp_path):
    """Three survivors better than the baseline and two diverged seeds: not "better" from the survivors."""
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [50.0, 51.0, 52.0, 53.0, 54.0], "trick=flip": [10, 11, 12]})
    for seed in (3, 4):
        write_run(sweep / f"flip{seed}", ["trick=flip"], seed, {"val/classifier_fid": [(0, 300.0), (10, 200.0)]},
                  status="diverged", reason="non-finite loss")  # fmt: skip
    assert main([str(sweep)]) == 0
    flip = primary_rows(json.loads((sweep / "report.json").read_text()))["trick=flip"]
    assert (flip["counted"], flip["failures"]) == (5, 2)
    # the survivors beat all 5 baseline seeds, the failures none: P = 15/25, far from a verdict
    assert flip["vs_baseline"]["probability"] == pytest.approx(0.6) and flip["vs_baseline"]["verdict"] == "inconclusive"
    assert flip["median"] == 11.0  # of the values; the failures are counted beside it
    markdown = (sweep / "report.md").read_text()
    assert "2 of 5 seeds failed (counted as the worst outcome)" in markdown
    assert "| flip3 | trick=flip | 3 | failure | diverged at iteration 10 |" in markdown


def test_failed_seeds_leave_the_equivalence_interval_unbounded_and_say_so(tmp_path):
    """little_data's sweep crashed the report here: failures in the baseline and a declared margin."""
    finals = {"trick=base": [50.0, 51.0, 52.0], "trick=flip": [50.5, 51.5, 52.5]}
    sweep = write_cells(tmp_path / "sweep", finals, report={"primary_score": "classifier_fid", "margin": "10%"})
    for seed in (3, 4):
        write_run(sweep / f"base{seed}", ["trick=base"], seed, {"val/classifier_fid": [(0, 300.0), (10, 200.0)]},
                  status="diverged", reason="non-finite loss")  # fmt: skip
    assert main([str(sweep)]) == 0
    flip = primary_rows(json.loads((sweep / "report.json").read_text()))["trick=flip"]["vs_baseline"]
    assert flip["verdict"] == "inconclusive" and flip["equivalence"]["interval"] == [None, None]
    assert (
        "Equivalence within ±5.1 (10% of the baseline's median): the median difference's interval is unbounded "
        "(failed seeds are the median of some resamples), so equivalence is not shown."
    ) in (sweep / "report.md").read_text()


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_non_finite_final_is_a_failure_and_report_json_stays_strict(tmp_path, bad):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [5.0, 6.0, 7.0], "trick=flip": [4.0, bad, 3.0]})
    assert main([str(sweep)]) == 0
    text = (sweep / "report.json").read_text()
    report = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in report.json"))
    flip = primary_rows(report)["trick=flip"]
    assert flip["failures"] == 1 and flip["seeds"][1]["outcome"] == "failure"
    assert flip["seeds"][1]["why"] == f"final value {bad}"
    assert "| 4 | trick=flip | 1 | failure | final value" in (sweep / "report.md").read_text()


def test_zero_spread_from_three_seeds_is_no_finding(tmp_path):
    """modes_covered 9, 10, 8 against 8, 9, 7 (and a constant 9 against a constant 8) once gave p = 0 and
    "better"; three seeds against three cannot reach 0.05 at all."""
    def coverage(value: float) -> dict:
        return {"val/modes_covered": [(0, 1.0), (30, value)]}

    for name, finals in (("shifted", [[9, 10, 8], [8, 9, 7]]), ("constant", [[9, 9, 9], [8, 8, 8]])):
        sweep = write_cells(tmp_path / name, {"trick=flip": finals[0], "trick=base": finals[1]}, curve=coverage)
        flip = primary_rows(write_report(sweep))["trick=flip"]["vs_baseline"]
        assert flip["verdict"] == "inconclusive" and flip["p_value"] >= 0.1
        assert flip["detectable"] is None  # 2 / C(6, 3) = 0.1: no effect can reach 0.05
        assert flip["planned"]["seeds_needed"] >= 4
    markdown = (tmp_path / "constant" / "report.md").read_text()
    assert "no effect can reach significance with the current seeds" in markdown


def test_one_seed_gets_a_comparison_but_no_verdict(tmp_path):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [5.0, 6.0, 7.0, 5.5], "trick=flip": [1.0]})
    flip = primary_rows(write_report(sweep))["trick=flip"]
    assert flip["median_interval"] is None and flip["vs_baseline"]["probability_interval"] is None
    assert flip["vs_baseline"]["verdict"] == "inconclusive" and flip["vs_baseline"]["p_value"] == pytest.approx(0.4)


def test_ties_count_half(tmp_path):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [5.0, 5.0, 6.0], "trick=flip": [5.0, 5.0, 4.0]})
    flip = primary_rows(write_report(sweep))["trick=flip"]["vs_baseline"]
    # of 9 pairs (lower is better): 4.0 beats all three, each 5.0 ties two 5.0s and beats the 6.0
    assert flip["probability"] == pytest.approx((3 + 2 * (1 + 0.5 * 2)) / 9)


def test_a_seed_run_twice_in_a_cell_is_refused_naming_the_runs(tmp_path, capsys):
    root = tmp_path / "pooled"
    write_cells(root / "a", {"trick=base": [5.0, 6.0], "trick=flip": [4.0, 3.0]})
    write_cells(root / "b", {"trick=base": [5.5, 6.5], "trick=flip": [4.5, 3.5]})
    assert main([str(root)]) == 2
    error = capsys.readouterr().err
    assert "a repeated seed would count as two seeds" in error
    assert f"trick=base seed 0: {root / 'a' / '0'}, {root / 'b' / '0'}" in error


def test_pooled_sweeps_of_other_seeds_are_one_cell_per_setting(tmp_path):
    root = tmp_path / "pooled"
    write_cells(root / "seeds_0-2", {"trick=base": [5.0, 6.0, 7.0], "trick=flip": [4.0, 3.0, 2.0]})
    for job, (cell, seed, value) in enumerate([("trick=base", 3, 5.5), ("trick=flip", 3, 1.0)]):
        write_run(root / "seeds_3" / str(job), [cell], seed, fid_curve(value))
    rows = primary_rows(write_report(root))
    assert [seed["run"] for seed in rows["trick=flip"]["seeds"]] == ["seeds_0-2/3", "seeds_0-2/4", "seeds_0-2/5",
                                                                     "seeds_3/1"]  # fmt: skip
    assert rows["trick=flip"]["counted"] == 4 and rows["trick=flip"]["vs_baseline"]["probability"] == 1.0


def test_seeds_run_with_other_cpu_threads_stay_in_their_cell(tmp_path):
    """Two sweeps pooled, one run on a machine with fewer cores: the same cells."""
    root = tmp_path / "pooled"
    write_cells(root / "seeds_0-2", {"trick=base": [5.0, 6.0, 7.0], "trick=flip": [4.0, 3.0, 2.0]})
    for job, (cell, seed, value) in enumerate([("trick=base", 3, 5.5), ("trick=flip", 3, 1.0)]):
        write_run(root / "seeds_3" / str(job), [cell, "cpu_threads=1"], seed, fid_curve(value))
    rows = primary_rows(write_report(root))
    assert sorted(rows) == ["trick=base", "trick=flip"] and rows["trick=flip"]["counted"] == 4


def test_a_score_some_cells_lack_is_not_compared_and_not_a_failure(tmp_path):
    sweep = tmp_path / "sweep"
    for seed in range(3):
        write_run(sweep / f"b{seed}", ["model=cnn"], seed, {**fid_curve(5.0), "val/modes_covered": [(30, 9.0)]})
        write_run(sweep / f"m{seed}", ["model=mlp"], seed, fid_curve(6.0))
    report = write_report(sweep, primary="modes_covered")
    mlp = primary_rows(report)["model=mlp"]
    assert mlp["measured"] is False and mlp["failures"] == 0
    assert mlp["vs_baseline"]["verdict"] == "not compared: this cell did not log val/modes_covered"
    assert "| model=mlp | 3 | | not measured |" in (sweep / "report.md").read_text()


def test_a_run_still_running_is_pending_not_counted(tmp_path):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [5.0, 6.0, 7.0], "trick=flip": [1.0, 2.0]})
    write_run(sweep / "late", ["trick=flip"], 2, {"val/classifier_fid": [(0, 300.0)]}, status="running",
              updated="2099-01-01T00:00:00+00:00")  # fmt: skip
    flip = primary_rows(write_report(sweep))["trick=flip"]
    assert (flip["counted"], flip["pending"], flip["failures"]) == (2, 1, 0)
    markdown = (sweep / "report.md").read_text()
    assert "1 run(s) still pending: the verdict may change." in markdown
    assert "| late | trick=flip | 2 | pending | still running |" in markdown


def test_a_run_without_its_final_evaluation_has_no_final_value(tmp_path):
    """Its last logged value was drawn with fewer samples at an earlier iteration: a failure, not a final."""
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [5.0, 6.0, 7.0], "trick=flip": [4.0, 3.0]})
    write_run(sweep / "short", ["trick=flip"], 2, {"val/classifier_fid": [(0, 300.0), (20, 1.0)]})
    flip = primary_rows(write_report(sweep))["trick=flip"]
    short = next(seed for seed in flip["seeds"] if seed["run"] == "short")
    assert short["outcome"] == "failure" and flip["median"] == 3.5
    assert short["why"] == "no value at its final evaluation, iteration 30 (last logged at iteration 20)"


def test_a_score_without_a_declared_direction_is_tabulated_without_a_verdict(tmp_path):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [5.0, 6.0, 7.0], "trick=flip": [1.0, 2.0, 3.0]},
                        curve=lambda value: {"val/my_score": [(0, 0.0), (30, value)]})  # fmt: skip
    flip = primary_rows(write_report(sweep))["trick=flip"]
    assert flip["median"] == 2.0 and flip["vs_baseline"]["verdict"].startswith(
        "not compared: which way val/my_score improves is unknown"
    )
    assert "val/my_score" not in CLASSIFIER_BETTER


def test_every_seeds_final_value_is_listed_in_numeric_seed_order(tmp_path):
    finals = {"trick=base": [float(10 + seed) for seed in range(11)], "trick=flip": [5.0] * 11}
    assert main([str(write_cells(tmp_path / "sweep", finals))]) == 0
    lines = (tmp_path / "sweep" / "report.md").read_text().splitlines()
    (line,) = [line for line in lines if line.startswith("| trick=base | 0: 10 ")]
    assert line.endswith("· 8: 18 · 9: 19 · 10: 20 |")


def test_a_panel_with_no_curve_draws_without_a_warning():
    """The memorization audit's scores are measured once, at the end: no curve, so no legend to ask for."""
    import warnings

    from ganlab.report.figures import score_figure

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warned "No artists with labels found to put in legend"
        assert score_figure([("copies", [], "val/copies", "lower")]) is not None
