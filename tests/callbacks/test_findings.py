"""D winning outright and mode collapse are recorded as findings (or stop the run, when asked)."""

from __future__ import annotations

import json
import logging

import pytest

from ganlab.build import build_run
from ganlab.callbacks.evaluation import Evaluation
from ganlab.callbacks.findings import TrainingFindings
from ganlab.errors import InvalidValue
from ganlab.lifecycle.status_file import Diverged
from ganlab.lightning_fastpath.callback_group import find_callback

CHECKS = ("callbacks.findings.d_wins.patience=20", "metric=none")


def with_winning_discriminator(make_config, *overrides):
    """A run whose D loss is scaled to ~1e-6: D 'wins' from the first iteration on."""
    datamodule, module, trainer = build_run(make_config(*CHECKS, *overrides))
    discriminator_loss = module.loss.discriminator_loss
    module.loss.discriminator_loss = lambda real, fake: discriminator_loss(real, fake) * 1e-6
    return datamodule, module, trainer


def test_a_discriminator_that_wins_outright_is_a_finding_and_training_goes_on(make_config, tmp_path, caplog):
    datamodule, module, trainer = with_winning_discriminator(make_config, "trainer.max_steps=60")
    with caplog.at_level(logging.WARNING, logger="ganlab.callbacks.findings"):
        trainer.fit(module, datamodule=datamodule)
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["status"] == "completed" and module.iteration == 60
    # read in every row (in blocks of 50); D's loss was below 0.05 from the first iteration on: 20 iterations later
    (finding,) = status["findings"]
    assert finding["finding"] == "d_wins" and finding["iteration"] == 21
    assert "D's loss has stayed below 0.05 since iteration 1" in finding["detail"]
    assert "d_wins at iteration 21" in caplog.text


def test_stop_makes_the_finding_end_the_run(make_config, tmp_path):
    datamodule, module, trainer = with_winning_discriminator(
        make_config, "trainer.max_steps=60", "callbacks.findings.d_wins.action=stop"
    )
    with pytest.raises(Diverged, match=r"d_wins at iteration 21: .* \(callbacks.findings.d_wins.action=stop\)"):
        trainer.fit(module, datamodule=datamodule)
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "diverged"
    assert module.iteration == 50  # found when the block of rows holding iteration 21 was written


@pytest.mark.parametrize(
    ("overrides", "found_at", "since"),
    [
        (("trainer.max_steps=30",), 21, 1),  # shorter than a block: the last rows are read at the end of training
        (("trainer.max_steps=50",), 21, 1),  # ends with a block: nothing is left to read at the end, nor read twice
        (("trainer.max_steps=60", "trainer.log_every_n_steps=5"), 25, 5),  # a row every 5 iterations
    ],
)
def test_the_finding_is_read_from_every_row(make_config, tmp_path, overrides, found_at, since):
    datamodule, module, trainer = with_winning_discriminator(make_config, *overrides)
    trainer.fit(module, datamodule=datamodule)
    (finding,) = json.loads((tmp_path / "run" / "status.json").read_text())["findings"]  # once: one episode
    assert finding["iteration"] == found_at and f"since iteration {since}:" in finding["detail"]


def test_an_ordinary_run_has_no_findings(make_config, tmp_path):
    datamodule, module, trainer = build_run(make_config(*CHECKS, "trainer.max_steps=30"))
    trainer.fit(module, datamodule=datamodule)
    assert "findings" not in json.loads((tmp_path / "run" / "status.json").read_text())


EVERY_2 = ("trainer.max_steps=10", "metric.every_n_steps=2")  # evaluations at 0, 2, 4, 6, 8 and the end, 10


def with_modes_covered(make_config, modes_at: dict[int, int], *overrides):
    """A run whose evaluations report `modes_at[iteration]` modes, as a classifier would count them."""
    datamodule, module, trainer = build_run(make_config(*EVERY_2, *overrides))
    scores = find_callback(trainer, Evaluation).scores
    compute = scores.compute
    scores.compute = lambda: {**compute(), "modes_covered": float(modes_at[module.iteration])}
    return datamodule, module, trainer


def findings_of(tmp_path):
    return json.loads((tmp_path / "run" / "status.json").read_text()).get("findings", [])


def test_one_class_for_less_than_the_patience_is_no_finding(make_config, tmp_path):
    # G's first updates draw one blurred shape, then G spreads (the default MLP on digits: 400 to 700)
    modes = {0: 1, 2: 1, 4: 1, 6: 5, 8: 8, 10: 9}
    datamodule, module, trainer = with_modes_covered(make_config, modes, "callbacks.findings.mode_collapse.patience=4")
    trainer.fit(module, datamodule=datamodule)
    assert findings_of(tmp_path) == []


def test_a_collapse_that_lasts_the_patience_or_to_the_end_is_a_finding_once_per_episode(make_config, tmp_path):
    modes = {0: 1, 2: 6, 4: 1, 6: 1, 8: 7, 10: 1}  # collapsed 4-6, spread again at 8, collapsed at the end
    datamodule, module, trainer = with_modes_covered(make_config, modes, "callbacks.findings.mode_collapse.patience=2")
    trainer.fit(module, datamodule=datamodule)
    assert [(finding["finding"], finding["iteration"], finding["detail"]) for finding in findings_of(tmp_path)] == [
        ("mode_collapse", 6, "the samples cover 1 mode(s); at most 1 (collapse) at every evaluation since iteration 4"),
        (
            "mode_collapse",
            10,
            "the samples cover 1 mode(s); at most 1 (collapse) at every evaluation since iteration 10, "
            "to the end of training",
        ),
    ]


def test_a_generator_that_never_spreads_is_found_by_the_final_evaluation(make_config, tmp_path):
    # the classifier metric as it counts: 10 digit classes, so at most 10 is every count it can give
    overrides = ("trainer.max_steps=4", "metric.every_n_steps=2", "callbacks.findings.mode_collapse.modes_at_most=10")
    datamodule, module, trainer = build_run(make_config(*overrides))
    trainer.fit(module, datamodule=datamodule)
    (finding,) = findings_of(tmp_path)  # the default patience, 1000 iterations, is not reached: the end counts
    assert finding["finding"] == "mode_collapse" and finding["iteration"] == 4
    assert finding["detail"].endswith("at every evaluation since iteration 2, to the end of training")


def test_stop_on_mode_collapse_ends_the_run_when_the_patience_runs_out(make_config, tmp_path):
    modes = {0: 1, 2: 1, 4: 6, 6: 1, 8: 1, 10: 1}
    overrides = ("callbacks.findings.mode_collapse.patience=2", "callbacks.findings.mode_collapse.action=stop")
    datamodule, module, trainer = with_modes_covered(make_config, modes, *overrides)
    with pytest.raises(Diverged, match=r"mode_collapse at iteration 8: .* since iteration 6 \(callbacks.findings"):
        trainer.fit(module, datamodule=datamodule)
    assert module.iteration == 8  # iteration 2's single class, ended by iteration 4's six, did not stop it
    assert json.loads((tmp_path / "run" / "status.json").read_text())["status"] == "diverged"


def test_a_resumed_run_goes_on_with_the_collapse_under_way(make_config, tmp_path):
    modes = {0: 1, 2: 6, 4: 1, 6: 1, 8: 1, 10: 1}
    datamodule, module, trainer = with_modes_covered(make_config, modes, "callbacks.findings.mode_collapse.patience=4")
    trainer.fit(module, datamodule=datamodule)
    (finding,) = findings_of(tmp_path)
    resumed = TrainingFindings(mode_collapse={"patience": 4})
    resumed.load_state_dict(find_callback(trainer, TrainingFindings).state_dict())
    assert resumed.findings == [finding] and finding["iteration"] == 8
    assert resumed.state_dict()["collapsed_since"] == 4 and resumed.state_dict()["collapse_found"] is True


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"d_wins": {"action": "shout"}}, "d_wins.action = 'shout': must be one of warn, stop, off"),
        ({"d_wins": {"patience": 0}}, "d_wins.patience = 0: must be a positive number of iterations"),
        ({"mode_collapse": {"modes_at_most": -1}}, "mode_collapse.modes_at_most = -1: must be an integer >= 0"),
        ({"mode_collapse": {"patience": 0.5}}, "mode_collapse.patience = 0.5: must be a number of iterations >= 0"),
    ],
)
def test_settings_are_checked(arguments, message):
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        TrainingFindings(**arguments)
