"""`python -m ganlab.rescore DIR` brings a run scored on another feature network onto the pinned yardstick: its
final evaluation made again from its checkpoint, the same on 1 and 2 CPU threads, with no classifier trained."""

import json

import pytest
import torch
from omegaconf import OmegaConf

from ganlab.metrics.pinned import manifest
from ganlab.report.__main__ import write_report
from ganlab.rescore import main
from ganlab.train import run

DIGITS = next(entry for entry in manifest() if entry["file"] == "digits.pt")


@pytest.fixture
def scored_elsewhere(make_config, tmp_path, session_data_dir):
    """A completed run scored on a classifier trained here (not the pinned one): an older study's situation."""
    config = make_config("trainer=debug", "metric.scores.pinned=false", "metric.scores.epochs=1",
                         f"metric.scores.cache_dir={tmp_path / 'own'}")  # fmt: skip
    run(config)
    (tmp_path / "run" / ".hydra").mkdir()  # as Hydra writes it for a run from the command line
    OmegaConf.save(config, tmp_path / "run" / ".hydra" / "config.yaml")
    return tmp_path / "run"


def rescore(directory, *options):
    return main([str(directory), "--data-dir", str(directory.parent / "data"), *options])


def test_a_run_is_brought_onto_the_pinned_yardstick_and_its_old_scores_are_kept(scored_elsewhere, capsys):
    before = json.loads((scored_elsewhere / "final_scores.json").read_text())
    assert before["yardstick"]["pinned"] is False
    metrics_csv = (scored_elsewhere / "metrics.csv").read_text()
    assert rescore(scored_elsewhere) == 0
    after = json.loads((scored_elsewhere / "final_scores.json").read_text())
    assert after["yardstick"]["sha256"] == DIGITS["sha256"] and after["yardstick"]["pinned"] is True
    assert (after["iteration"], after["samples"], after["real_samples"]) == (before["iteration"], 128, 128)
    assert after["scores"]["classifier_fid"] != before["scores"]["classifier_fid"]  # another ruler
    kept = scored_elsewhere / f"final_scores.{before['yardstick']['id']}.json"
    assert json.loads(kept.read_text()) == before  # nothing already written is lost
    assert (scored_elsewhere / "metrics.csv").read_text() == metrics_csv
    assert f"on {after['yardstick']['id']}, was {before['yardstick']['id']}" in capsys.readouterr().out
    report = write_report(scored_elsewhere)
    assert list(report["yardsticks"]) == [after["yardstick"]["id"]]
    (row,) = report["groups"][0]["scores"][0]["rows"]
    assert row["seeds"][0]["value"] == after["scores"]["classifier_fid"]


def test_the_same_checkpoint_scores_the_same_on_one_and_two_threads_without_training_a_classifier(
    scored_elsewhere, tmp_path
):
    classifiers = sorted((tmp_path / "own").iterdir())
    threads, scores = torch.get_num_threads(), []
    try:
        for count in (1, 2):
            assert rescore(scored_elsewhere, "--cpu-threads", str(count)) == 0
            scores.append(json.loads((scored_elsewhere / "final_scores.json").read_text())["scores"])
    finally:
        torch.set_num_threads(threads)
    # FID to 4 significant digits; IS and KID, whose splits and subsets are drawn at random, too (seeded)
    for name in ("classifier_fid", "classifier_score", "classifier_kid"):
        assert f"{scores[0][name]:.4g}" == f"{scores[1][name]:.4g}", name
    assert sorted((tmp_path / "own").iterdir()) == classifiers and not (tmp_path / "data" / "classifiers").exists()


def test_a_checkpoint_naming_other_code_is_refused_and_nothing_is_written(scored_elsewhere, tmp_path, capsys):
    path = scored_elsewhere / "checkpoints" / "last.ckpt"
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["hyper_parameters"]["config"]["model"]["generator"] = {
        "_target_": "builtins.open", "file": str(tmp_path / "owned"), "mode": "w"
    }  # fmt: skip
    torch.save(checkpoint, path)
    before = (scored_elsewhere / "final_scores.json").read_text()
    assert rescore(scored_elsewhere) == 2
    assert "model.generator._target_ = 'builtins.open' is not declared" in capsys.readouterr().err
    assert not (tmp_path / "owned").exists() and (scored_elsewhere / "final_scores.json").read_text() == before


def test_runs_not_completed_are_skipped_and_a_folder_without_runs_is_one_line(tmp_path, capsys):
    assert rescore(tmp_path) == 2
    assert capsys.readouterr().err == f"ganlab.rescore: {tmp_path}: no run below it has checkpoints/last.ckpt\n"
