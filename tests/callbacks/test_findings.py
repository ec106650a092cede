"""D winning outright and mode collapse are recorded as findings (or stop the run, when asked)."""

from __future__ import annotations

import json
import logging

import pytest

from ganlab.build import build_run
from ganlab.callbacks.findings import TrainingFindings
from ganlab.status_file import Diverged
from ganlab.validate import InvalidValue

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


def test_modes_covered_at_the_threshold_is_mode_collapse(make_config, tmp_path):
    # the classifier metric counts the digit classes the samples cover: a handful after 4 iterations, <= 10
    overrides = ("trainer.max_steps=4", "metric.every_n_steps=2", "callbacks.findings.mode_collapse.modes_at_most=10")
    datamodule, module, trainer = build_run(make_config(*overrides))
    trainer.fit(module, datamodule=datamodule)
    (finding,) = json.loads((tmp_path / "run" / "status.json").read_text())["findings"]  # once: one episode
    # the first evaluation of a trained G: iteration 0's, of the untrained one, covered <= 10 modes too
    assert finding["finding"] == "mode_collapse" and finding["iteration"] == 2
    assert "(at most 10 counts as collapse)" in finding["detail"]


def test_stop_on_mode_collapse_lets_the_untrained_generator_train(make_config, tmp_path):
    overrides = ("trainer.max_steps=4", "metric.every_n_steps=2", "callbacks.findings.mode_collapse.modes_at_most=10")
    datamodule, module, trainer = build_run(make_config(*overrides, "callbacks.findings.mode_collapse.action=stop"))
    with pytest.raises(Diverged, match=r"mode_collapse at iteration 2: the samples cover \d+ mode"):
        trainer.fit(module, datamodule=datamodule)
    assert module.iteration >= 2  # it trained up to the first evaluation after iteration 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"d_wins": {"action": "shout"}}, "d_wins.action = 'shout': must be one of warn, stop, off"),
        ({"d_wins": {"patience": 0}}, "d_wins.patience = 0: must be a positive number of iterations"),
        ({"mode_collapse": {"modes_at_most": -1}}, "mode_collapse.modes_at_most = -1: must be an integer >= 0"),
    ],
)
def test_settings_are_checked(arguments, message):
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        TrainingFindings(**arguments)
