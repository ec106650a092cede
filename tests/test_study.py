"""`python -m ganlab.study`: rounds of seeds until each comparison is decided. The loop is tested with a launcher
that writes run directories of planted scores (tests.report.sweeps), so a look's decision is known; the slow test
runs real sweeps of Kim's toy GAN."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from ganlab.sequential.plan import StudyError, make_plan
from ganlab.study import main, run_study
from tests.report.sweeps import fid_curve, write_run


def planted_launcher(ratios: dict[str, float], seed: int = 0):
    """A launch function writing each job as a completed run whose final FID is lognormal, times the cell's ratio."""
    rng = np.random.default_rng(seed)
    launched = []

    def launch(plan, jobs, progress):
        for cell, seeds in jobs.items():
            for run_seed in seeds:
                value = float(np.exp(rng.normal(3.0, 1.0))) * ratios.get(plan.label(cell), 1.0)
                name = "-".join((*cell, f"seed={run_seed}")).replace("/", "_")
                write_run(plan.directory / name, [*plan.fixed, *cell], run_seed, fid_curve(value))
                launched.append((plan.label(cell), run_seed))
                progress()

    return launch, launched


def plan_for(tmp_path, *overrides):
    return make_plan(["experiment=dcgan_mnist_tricks", "trick=base,flip", f"hydra.sweep.dir={tmp_path / 'study'}",
                      *overrides])  # fmt: skip


def test_a_large_planted_effect_stops_the_study_before_its_maximum(tmp_path):
    plan = plan_for(tmp_path)
    assert plan.design.looks == (4, 8, 12, 16, 20) and plan.primary == "val/classifier_fid"
    launch, launched = planted_launcher({"trick=flip": 20.0})
    record = run_study(plan, launch, say=lambda line: None)
    (history,) = record["comparisons"].values()
    assert history[-1]["state"] == "worse" and history[-1]["seeds"] < 20
    assert len(launched) == 2 * history[-1]["seeds"]  # both cells, no more seeds than the look needed
    saved = json.loads((tmp_path / "study" / "study.json").read_text())
    assert saved["state"] == "finished" and saved["comparisons"] == record["comparisons"]


def test_no_effect_is_never_called_better_or_worse(tmp_path):
    for seed in range(3):
        plan = plan_for(tmp_path / str(seed))
        launch, _ = planted_launcher({}, seed=seed)
        (history,) = run_study(plan, launch, say=lambda line: None)["comparisons"].values()
        assert history[-1]["state"] in ("equivalent", "futile", "inconclusive at its maximum")


def test_no_effect_with_a_maximum_that_can_rule_out_the_declared_effect_stops_as_equivalent(tmp_path):
    """At 60 seeds a cell the repeated interval can be narrower than the declared effect (docs/studies.md: 94% of
    no-effect studies end so); this planted study is one of them, and says so at a look."""
    plan = plan_for(tmp_path, "study.max_seeds=60", "study.round=12")
    launch, _ = planted_launcher({}, seed=4)
    lines = []
    (history,) = run_study(plan, launch, say=lines.append)["comparisons"].values()
    last = history[-1]
    assert last["state"] == "equivalent" and 0.29 < last["interval"][0] < last["interval"][1] < 0.71
    assert f"  trick=flip: equivalent; P(better) {last['p_better']:.2f}" in lines[-1]


def test_the_report_leads_with_the_sequential_verdicts_and_the_command_says_where_it_stands(tmp_path, capsys):
    launch, _ = planted_launcher({"trick=flip": 20.0})
    arguments = ["experiment=dcgan_mnist_tricks", "trick=base,flip", f"hydra.sweep.dir={tmp_path / 'study'}"]
    assert main(arguments, launch) == 0
    out = capsys.readouterr().out
    assert "round 1 of at most 5: seeds 0 to 3 of 2 cells (8 runs)" in out
    assert "  round 1: 4 of 8 runs done; about 0 minutes left in the round, by its runs so far" in out
    assert "  round 1: 8 of 8 runs done\n" in out
    assert "round 2 of at most 5: seeds 4 to 7 of 2 cells (8 runs); at most 0 minutes left, by the runs so far" in out
    saved = json.loads((tmp_path / "study" / "study.json").read_text())
    assert saved["round"] == {"round": saved["look"], "runs": 8, "done": 8, "read": 0}  # the last round's
    assert "trick=flip: worse" in out or "trick=flip: open" in out
    report = (tmp_path / "study" / "report.md").read_text()
    assert report.startswith("# ganlab report: trick=flip against trick=base (experiment=dcgan_mnist_tricks)\n")
    assert "by `python -m ganlab.study`. Cells differ in: trick" in report
    assert report.index("## Sequential verdicts") < report.index("## Fixed-sample verdicts (for reading only)")
    assert "| trick=flip | **worse** |" in report


def test_a_key_the_command_line_gives_one_value_is_no_axis_as_in_multirun():
    plan = make_plan(["experiment=raschka_mnist", "model.batchnorm=true", "hydra/launcher=joblib"])
    assert plan.cells == (("trick=base",), ("trick=smooth",)) and "model.batchnorm=true" in plan.fixed
    assert plan.title == "trick=smooth against trick=base (experiment=raschka_mnist model.batchnorm=true)"


def test_an_earlier_sweeps_runs_in_the_directory_are_read_not_run_again(tmp_path):
    """A plain --multirun of the same settings (numbered job directories) ran seeds 0 to 4 of both cells, and one
    run with a setting more; the study's first round reads four seeds a cell and its second runs only 5 to 7."""
    plan = plan_for(tmp_path, "study.max_seeds=12")  # the study's own declarations change no run
    fixed = [item for item in plan.fixed if item.startswith("experiment=")]
    job = 0
    for cell, final in (("trick=base", 40.0), ("trick=flip", 800.0)):
        for seed in range(5):
            write_run(plan.directory / str(job), [*fixed, cell], seed, fid_curve(final + seed))
            job += 1
    write_run(plan.directory / "other", [*fixed, "trick=flip", "trainer.max_steps=10"], 5, fid_curve(1.0))
    launch, launched = planted_launcher({"trick=flip": 20.0})
    lines = []
    record = run_study(plan, launch, say=lines.append)
    assert "  8 of the round's runs have ended in" in lines[1]
    # no run of round 1 ran in this sitting: no pace to estimate the rest from, so no estimate
    assert "round 2 of at most 3: seeds 4 to 7 of 2 cells (8 runs)" in lines
    assert sorted(launched) == [(cell, seed) for cell in ("trick=base", "trick=flip") for seed in (5, 6, 7)]
    (history,) = record["comparisons"].values()
    assert history[0]["p_better"] == 0.0  # seeds 0-3 read from the earlier sweep: flip's 800s against 40s


def test_the_report_of_a_study_in_an_earlier_sweeps_directory_is_the_studys_own(tmp_path, capsys):
    """The earlier sweep also ran settings the study does not compare (as raschka_mnist's ran BatchNorm both ways
    where the study fixes it, and dcgan_mnist_tricks' a list of tricks): its runs are left out of the study's
    report, which says so."""
    arguments = ["experiment=dcgan_mnist_tricks", "trick=base,flip", f"hydra.sweep.dir={tmp_path / 'study'}"]
    plan = make_plan(arguments)
    fixed = [item for item in plan.fixed if item.startswith("experiment=")]
    for job, seed in enumerate(range(3)):
        write_run(plan.directory / str(job), [*fixed, "trick=base", "model.batchnorm=false"], seed, fid_curve(90.0))
    # the experiment's own sweep also ran a list of tricks, a setting whose value is a list
    write_run(plan.directory / "3", [*fixed, "trick=[flip,instance_noise]"], 0, fid_curve(90.0))
    launch, _ = planted_launcher({"trick=flip": 20.0})
    assert main(arguments, launch) == 0, capsys.readouterr().err
    report = (tmp_path / "study" / "report.md").read_text()
    assert "4 other runs in the directory, not the study's (other settings, or a seed's second run), left out" in report
    assert "batchnorm" not in report and "instance_noise" not in report  # no cell of theirs, and no axis
    assert "| trick=flip | **worse** |" in report


@pytest.mark.parametrize(("arguments", "message"), [
    (["experiment=dcgan_mnist_tricks", "seed=0,1"], "seed=0,1: a study chooses its seeds itself"),
    (["experiment=toy_curve"], "a study compares cells: give it a sweep axis"),
    (["experiment=toy_activations", "study.round=30"], "study.round = 30: must be an integer from 1 to max_seeds"),
    (["experiment=toy_activations", "study.baseline=['trick=flip']"], "study.baseline = ['trick=flip']: no cell has"),
    (["experiment=toy_activations", "study.baseline=[trick=flip]"], "the overrides are not Hydra's grammar: no viable"),
])  # fmt: skip
def test_a_study_that_cannot_run_is_one_line(arguments, message, capsys):
    with pytest.raises(StudyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make_plan(arguments)
    assert main(arguments) == 2 and capsys.readouterr().err.startswith(f"ganlab.study: {message}")


@pytest.mark.slow
def test_kims_toy_gan_with_a_frozen_generator_is_found_worse_before_the_maximum(tmp_path):
    """The issue's planted effect: a generator whose learning rate is 1e-9 against the experiment's own."""
    command = [sys.executable, "-m", "ganlab.study", "experiment=toy_curve", "optim.generator.lr=0.001,1e-9",
               "trainer.max_steps=300", "metric.every_n_steps=100", "study.max_seeds=12", "study.round=4",
               "callbacks.samples.every_n_steps=0", "callbacks.feature_space=null", "callbacks.curves=null",
               "hydra/launcher=joblib", f"hydra.sweep.dir={tmp_path / 'study'}"]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1500)
    assert result.returncode == 0, result.stderr[-2000:]
    record = json.loads((tmp_path / "study" / "study.json").read_text())
    (history,) = record["comparisons"].values()
    assert history[-1]["state"] == "worse" and history[-1]["seeds"] < 12 and not math.isnan(history[-1]["p"])

