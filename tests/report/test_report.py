"""`python -m ganlab.report DIR` on sweeps whose verdicts are known: words, numbers, report.json, report.md."""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats

from ganlab.report.__main__ import main, write_report
from ganlab.report.cells import ReportError
from tests.report.sweeps import fid_curve, write_cells, write_run

# Kim's sigmoid cell as ganlab first measured it: heavy-tailed, every seed worse than every LeakyReLU seed,
# and a t-test on it said "no significant difference"
HEAVY_TAILED = {
    "trick=base": [17.9, 12.0, 20.5, 25.1, 14.0, 19.2],
    "trick=act_relu": [21.9, 10.0, 40.0, 25.0, 33.0, 23.0],
    "trick=act_sigmoid": [31.0, 280.0, 920.0, 150.0, 228.0, 4000.0],
}


def test_a_heavy_tailed_cell_worse_on_every_seed_is_called_worse(tmp_path, capsys):
    sweep = write_cells(tmp_path / "sweep", HEAVY_TAILED)
    assert main([str(sweep)]) == 0
    report = json.loads((sweep / "report.json").read_text())
    (group,) = report["groups"]
    primary = group["scores"][0]
    assert primary["score"] == "val/classifier_fid" and primary["primary"] and primary["better"] == "lower"
    rows = {row["cell"]: row for row in primary["rows"]}
    sigmoid = rows["trick=act_sigmoid"]["vs_baseline"]
    assert sigmoid["verdict"] == "worse" and sigmoid["probability"] == 0.0
    # exact Mann-Whitney for 6 against 6 at complete separation: 2 / C(12, 6); Holm doubles it for two cells
    assert sigmoid["p_value"] == pytest.approx(2 / 924) and sigmoid["p_adjusted"] == pytest.approx(4 / 924)
    assert sigmoid["effect"]["kind"] == "ratio" and sigmoid["effect"]["value"] == pytest.approx(254 / 18.55)
    assert rows["trick=act_relu"]["vs_baseline"]["verdict"] == "inconclusive"
    assert rows["trick=base"]["median"] == pytest.approx(18.55)
    assert "val/classifier_fid  trick=act_sigmoid  vs trick=base: worse" in capsys.readouterr().out
    markdown = (sweep / "report.md").read_text()
    assert "- **trick=act_sigmoid: worse.** Median classifier_fid 300 against 18.5 (14x, 95% simultaneous" in markdown
    assert "every seed worse than every baseline seed (6 seeds against 6); p = 0.0043 (Holm)" in markdown


def test_an_inconclusive_comparison_plans_its_power_for_the_declared_effect_never_the_observed_one(tmp_path):
    report = write_report(write_cells(tmp_path / "sweep", HEAVY_TAILED))
    relu = next(row for row in report["groups"][0]["scores"][0]["rows"] if row["cell"] == "trick=act_relu")
    comparison = relu["vs_baseline"]
    relu_finals, base_finals = HEAVY_TAILED["trick=act_relu"], HEAVY_TAILED["trick=base"]
    wins = sum(base > relu_value for relu_value in relu_finals for base in base_finals)
    assert comparison["probability"] == pytest.approx(wins / 36)
    # Noether for the declared P(better) = 0.71 at alpha 0.05 / 2 (Holm's strictest step over 2 comparisons):
    # n = (z(1 - 0.0125) + z(0.8))^2 / (6 * 0.21^2); at 6 against 6, Phi(0.21 sqrt(12 * 1/4 * 12) - z(1 - 0.0125))
    planned = comparison["planned"]
    assert planned["effect"] == 0.71 and "seeds_needed" not in comparison
    assert planned["seeds_needed"] == math.ceil((2.2414027 + 0.8416212) ** 2 / (6 * 0.21**2)) == 36
    assert planned["power"] == pytest.approx(stats.norm.cdf(0.21 * 6 - 2.2414027), abs=1e-6)
    markdown = (tmp_path / "sweep" / "report.md").read_text()
    assert ("The declared effect, P(better) = 0.71 or 0.29 (study.effect), needs about 36 seeds a cell for 80% power; "
            "these seeds had 16% power for it.") in markdown  # fmt: skip
    assert "would decide an effect of this size" not in markdown  # the observed effect sizes nothing
    # another declared effect, from the command line or the runs' study.effect, with the study's maximum
    other = write_report(tmp_path / "sweep", effect=0.8)["groups"][0]["scores"][0]["rows"]
    assert next(row for row in other if row["cell"] == "trick=act_relu")["vs_baseline"]["planned"]["effect"] == 0.8
    declared = write_cells(tmp_path / "declared", HEAVY_TAILED, study={"effect": 0.8, "max_seeds": 20})
    write_report(declared)
    assert ("The declared effect, P(better) = 0.80 or 0.20 (study.effect), needs about 18 seeds a cell for 80% power; "
            "these seeds had 33% power for it, the study's maximum of 20 a cell 85%.") in (
        declared / "report.md").read_text()  # fmt: skip
    assert "As it stands, the current seeds find with 80% power only effects as large as a complete separation." in (
        markdown
    )
    assert "no significant difference" not in markdown


def test_report_md_opens_with_the_verdicts_and_names_the_directory_as_typed(tmp_path, monkeypatch):
    write_cells(tmp_path / "multirun" / "day" / "time", HEAVY_TAILED)
    monkeypatch.chdir(tmp_path)
    assert main(["multirun/day/time"]) == 0
    markdown = (tmp_path / "multirun" / "day" / "time" / "report.md").read_text()
    assert markdown.startswith("# ganlab report: multirun/day/time\n")
    assert str(tmp_path) not in markdown
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings[:2] == ["## Verdicts", "## classifier_fid (primary; lower is better)"]
    assert main(["multirun/day/time", "--title", "Kim's activations"]) == 0
    assert (tmp_path / "multirun/day/time/report.md").read_text().startswith("# ganlab report: Kim's activations\n")


def test_report_json_keeps_every_seed_and_is_strict_json(tmp_path):
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [5.0, 6.0, 7.0], "trick=flip": [4.0, math.nan, 3.0]})
    write_report(sweep)
    text = (sweep / "report.json").read_text()
    report = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in report.json"))
    rows = {row["cell"]: row for row in report["groups"][0]["scores"][0]["rows"]}
    seeds = rows["trick=base"]["seeds"]
    assert [(seed["seed"], seed["value"], seed["iteration"], seed["state"]) for seed in seeds] == [
        (0, 5.0, 30, "completed"), (1, 6.0, 30, "completed"), (2, 7.0, 30, "completed"),
    ]  # fmt: skip
    assert [seed["run"] for seed in rows["trick=flip"]["seeds"]] == ["3", "4", "5"]


def test_the_experiments_primary_score_is_used_and_the_others_are_exploratory(tmp_path, capsys):
    def curves(final: float) -> dict:
        return {**fid_curve(final), "val/classifier_score": [(step, 9 - final / 100) for step in (0, 10, 20, 30)]}

    sweep = write_cells(tmp_path / "sweep", {"trick=base": [50, 51, 52], "trick=flip": [10, 11, 12]}, curve=curves,
                        report={"primary_score": "classifier_score", "margin": None})  # fmt: skip
    report = write_report(sweep)
    (group,) = report["groups"]
    assert group["primary"]["score"] == "val/classifier_score"
    assert "report.primary_score" in group["primary"]["chosen"]
    assert [table["score"] for table in group["scores"]] == ["val/classifier_score", "val/classifier_fid"]
    fid_flip = group["scores"][1]["rows"][1]["vs_baseline"]
    assert fid_flip["verdict"] == "exploratory" and fid_flip["p_adjusted"] is None
    markdown = (sweep / "report.md").read_text()
    assert "## Secondary scores (exploratory)" in markdown and "| p (unadjusted) |" in markdown
    # --primary chooses another; one unknown is refused with the ones there are
    assert write_report(sweep, primary="classifier_fid")["groups"][0]["primary"]["chosen"] == "chosen by --primary"
    assert main([str(sweep), "--primary", "fid"]) == 2
    assert "--primary fid: no run logged val/fid; the runs have: val/classifier_fid, val/classifier_score" in (
        capsys.readouterr().err
    )


def test_equivalent_within_the_declared_margin(tmp_path):
    finals = {"trick=base": [5.0, 5.1, 4.9, 5.0, 5.05, 4.95], "trick=drop": [5.02, 4.98, 5.0, 5.04, 4.96, 5.01]}
    sweep = write_cells(tmp_path / "sweep", finals, report={"primary_score": "classifier_fid", "margin": "10%"})
    report = write_report(sweep)
    drop = report["groups"][0]["scores"][0]["rows"][1]["vs_baseline"]
    assert drop["verdict"] == "equivalent"
    assert drop["equivalence"]["margin"] == pytest.approx(0.5)  # 10% of the baseline's median, 5.0
    low, high = drop["equivalence"]["interval"]
    assert -0.5 < low < 0 < high < 0.5
    assert "Equivalence within ±0.5 (10% of the baseline's median): the median difference's interval [-0.06, 0.06] " \
        "lies inside it." in (tmp_path / "sweep" / "report.md").read_text()
    # a margin given on the command line wins; a tight one makes it inconclusive
    assert write_report(sweep, margin=0.001)["groups"][0]["scores"][0]["rows"][1]["vs_baseline"]["verdict"] == (
        "inconclusive"
    )


def test_pace_is_measured_against_the_baselines_target(tmp_path):
    def flat(final: float) -> dict:  # reaches its final value at the first evaluation after the start
        return {"val/classifier_fid": [(0, 300.0), (10, final), (20, final), (30, final)]}

    sweep = tmp_path / "sweep"
    for seed in range(3):
        write_run(sweep / f"b{seed}", ["trick=base"], seed, fid_curve(20.0))
        write_run(sweep / f"f{seed}", ["trick=flat"], seed, flat(200.0))
        write_run(sweep / f"r{seed}", ["trick=late"], seed, fid_curve(20.0), status="running")
    table = write_report(sweep)["groups"][0]["scores"][0]
    # 90% of the way from the baseline's 300 to 20: 48, first reached by the baseline at iteration 30
    assert table["pace_target"] == pytest.approx(48.0)
    rows = {row["cell"]: row["pace"] for row in table["rows"]}
    assert rows["trick=base"]["median"] == 30 and rows["trick=base"]["reached"] == 3
    assert rows["trick=flat"]["reached"] == 0 and rows["trick=flat"]["median"] is None  # flat is not fast
    markdown = (sweep / "report.md").read_text()
    assert "| trick=base | 3 of 3 | <= 30 |" in markdown and "| trick=flat | 0 of 3 | never |" in markdown
    # a cell whose seeds are all still running has no pace yet, not "0 of 0, never"
    assert rows["trick=late"]["of"] == 0 and "| trick=late | no finished seed | | |" in markdown


def test_user_errors_are_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    assert "missing: no such directory" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 2
    assert "no runs below it" in capsys.readouterr().err
    sweep = write_cells(tmp_path / "sweep", {"trick=base": [1.0], "trick=flip": [2.0]})
    assert main([str(sweep), "--baseline", "trick=nope"]) == 2
    assert "--baseline trick=nope: no cell matches; the cells are: trick=base; trick=flip" in capsys.readouterr().err
    assert main([str(sweep), "--scores", "fid"]) == 2
    assert "--scores val/fid: no run logged it; the runs have: val/classifier_fid" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(sweep), "--margin", "ten"])
    assert "a positive number in the score's units, or a share such as 10%" in capsys.readouterr().err


def test_baseline_is_named_as_the_sweep_spells_it(tmp_path):
    # Hydra records `model.batchnorm: false,true` from a sweep's YAML as model.batchnorm=False; the user types
    # the baseline as the YAML spells it, and optim.lr=2e-4 is the same setting as the 0.0002 recorded
    sweep, job = tmp_path / "sweep", 0
    for batchnorm in ("False", "True"):
        for trick in ("base", "smooth"):
            for seed in range(2):
                overrides = [f"model.batchnorm={batchnorm}", f"trick={trick}", "optim.lr=0.0002"]
                write_run(sweep / str(job), overrides, seed, fid_curve(10.0 + job))
                job += 1
    report = write_report(sweep, baseline=["model.batchnorm=false", "trick=base", "optim.lr=2e-4"])
    assert report["groups"][0]["baseline"] == "model.batchnorm=False, trick=base"
    with pytest.raises(ReportError, match=r"--baseline model.batchnorm=true: 2 cells match; the cells are: "):
        write_report(sweep, baseline=["model.batchnorm=true"])


def test_runs_spelling_one_setting_two_ways_are_one_cell(tmp_path):
    # a sweep records model.batchnorm=False; a seed added later by hand was typed model.batchnorm=false
    sweep = tmp_path / "pooled"
    for seed in range(3):
        write_run(sweep / "sweep" / str(seed), ["model.batchnorm=False", "trick=base"], seed, fid_curve(10.0 + seed))
        write_run(sweep / "sweep" / str(seed + 3), ["model.batchnorm=True", "trick=base"], seed, fid_curve(5.0 + seed))
    write_run(sweep / "by_hand", ["model.batchnorm=false", "trick=base"], 3, fid_curve(13.0))
    report = write_report(sweep, baseline=["model.batchnorm=false"])
    (group,) = report["groups"]
    rows = {row["cell"]: row for row in group["scores"][0]["rows"]}
    # labelled as first read: by_hand/ comes before sweep/
    assert sorted(rows) == ["model.batchnorm=True", "model.batchnorm=false"]
    assert rows["model.batchnorm=false"]["counted"] == 4
    assert rows["model.batchnorm=false"]["median"] == pytest.approx(11.5)


def _environment(torch: str, threads: int) -> dict:
    return {"torch": torch, "pytorch_lightning": "2.6.6", "device": "cpu", "cpu_threads": threads, "host": "node1"}


def test_report_says_what_the_runs_trained_with_and_names_what_differs(tmp_path):
    alike = write_cells(tmp_path / "alike", {"trick=base": [20, 21], "trick=flip": [22, 23]},
                        environment=_environment("2.5.1+cpu", 1))  # fmt: skip
    write_report(alike)
    markdown = (alike / "report.md").read_text()
    assert "Trained with torch 2.5.1+cpu, Lightning 2.6.6, device cpu, CPU threads 1 (every run)." in markdown
    assert "The runs differ in" not in markdown

    mixed = tmp_path / "mixed"
    for job, (cell, seed, torch, threads) in enumerate(
        [("trick=base", 0, "2.5.1+cpu", 1), ("trick=base", 1, "2.5.1+cpu", 1), ("trick=flip", 0, "2.6.0+cu124", 2)]
    ):
        write_run(mixed / str(job), [cell], seed, fid_curve(20.0 + job), environment=_environment(torch, threads))
    write_run(mixed / "3", ["trick=flip"], 1, fid_curve(24.0))  # a run from before status.json recorded it
    report = write_report(mixed)
    assert report["environment"]["values"]["torch"] == {"2.5.1+cpu": 2, "2.6.0+cu124": 1}
    assert report["runs"][2]["environment"]["cpu_threads"] == 2
    markdown = (mixed / "report.md").read_text()
    assert "torch 2.5.1+cpu (2 runs) or 2.6.0+cu124 (1 run)" in markdown
    assert "(3 of 4 runs recorded it). The runs differ in torch and CPU threads: a seed does not repeat" in markdown
    # every base run on one torch, the flip run on another: the cells cannot be told from the machines
    assert ("**The torch lines up with the cells** (trick=base: 2.5.1+cpu; trick=flip: 2.6.0+cu124): a difference "
            "between two cells that share no torch may be the machines', not the setting's.") in markdown
    assert report["environment"]["lined_up"]["cpu_threads"] == {"trick=base": ["1"], "trick=flip": ["2"]}


def test_report_names_the_processor_and_kernels_and_counts_an_unrecorded_one_no_difference(tmp_path):
    """The same torch, seed and threads on another processor train another run (docs/configs.md): a reader must see
    when a comparison spans processors, and must not be told so of runs that did not record theirs."""
    machines = [("AMD EPYC", "AVX512"), ("AMD EPYC", "AVX512"), ("Intel Xeon", "AVX2"), None]
    for name, extra in (("two", machines), ("one", machines[:2] + machines[3:])):
        for job, machine in enumerate(extra):
            environment = _environment("2.5.1+cpu", 1)
            if machine:
                environment.update(processor=machine[0], cpu_capability=machine[1])
            cell, seed = ("trick=base", "trick=flip")[job % 2], job // 2
            write_run(tmp_path / name / str(job), [cell], seed, fid_curve(20.0 + job), environment=environment)
        write_report(tmp_path / name)
    two, one = ((tmp_path / name / "report.md").read_text() for name in ("two", "one"))
    assert ("processor AMD EPYC (2 runs) or Intel Xeon (1 run) or not recorded (1 run), CPU kernels AVX512 (2 runs) "
            "or AVX2 (1 run) or not recorded (1 run), CPU threads 1 (every run). The runs differ in processor and CPU "
            "kernels: a seed does not repeat bit for bit across them. It does not line up with the cells: every two "
            "cells have runs that share each of them.") in two
    assert "processor AMD EPYC (2 runs) or not recorded (1 run)" in one and "The runs differ in" not in one


def test_runs_scored_by_another_classifier_are_named_and_seeds_own_references_are_not(tmp_path):
    """Each seed scores its own halves of the real images (0.60, 0.43, 0.70 ...): that is not a warning. The same
    seed's real images scored differently in two cells is: a domain classifier trained elsewhere made the scores."""

    def curve(final, reference):
        return {**fid_curve(final), "val/real_classifier_fid": [(0, reference)]}

    per_seed = [0.6046, 0.4287, 0.7005]
    same = tmp_path / "same"
    for job, (cell, seed) in enumerate([(cell, seed) for cell in ("trick=base", "trick=flip") for seed in range(3)]):
        write_run(same / str(job), [cell], seed, curve(20.0 + job, per_seed[seed]))
    assert "references_differ" not in write_report(same)["groups"][0]["scores"][0]
    assert "different references" not in (same / "report.md").read_text()

    other = tmp_path / "other"
    for job, (cell, seed) in enumerate([(cell, seed) for cell in ("trick=base", "trick=flip") for seed in range(3)]):
        moved = per_seed[seed] * (1.0017 if cell == "trick=flip" else 1.0)  # another classifier: +0.17%
        write_run(other / str(job), [cell], seed, curve(20.0 + job, moved))
    table = write_report(other)["groups"][0]["scores"][0]
    assert table["references_differ"]["0"] == {"0.6046": 1, "0.6056": 1}
    markdown = (other / "report.md").read_text()
    assert "**The runs were scored against different references**: one seed's real samples score differently " in (
        markdown
    )
    assert "(seed 0: 0.6046 (1 run) or 0.6056 (1 run); seed 1: 0.4287 (1 run) or 0.4294 (1 run);" in markdown
