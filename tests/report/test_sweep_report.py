"""A real sweep through Hydra's basic launcher, one cell of it failing, then the report on it."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import yaml
from PIL import Image

from ganlab.report.__main__ import main
from tests.helpers import read_metrics

FEW_PICTURES = [
    f"callbacks.{name}=null" for name in ("progress", "spot_the_fake", "interpolation", "feature_space", "curves")
]


def hydra_files_written(run: Path) -> list[int]:
    return [(run / ".hydra" / name).stat().st_mtime_ns for name in ("config.yaml", "hydra.yaml", "overrides.yaml")]


def test_a_failing_job_stops_no_other_and_the_report_tells_the_truth(tmp_path, capsys):
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    # 3 cells x 2 seeds; the hinge loss has no labels to flip, so the flip cell is refused before training
    command = [
        sys.executable, "-m", "ganlab.train", "--multirun", "model=mlp_toy", "data=toy_quadratic", "loss=hinge",
        "trick=base,[drop,lin],flip", "seed=0,1", "trainer=cpu", "trainer.max_steps=6", "metric.every_n_steps=3",
        "data.batch_size=32", "trainer.enable_progress_bar=false", "hydra.sweep.dir=sweep", *FEW_PICTURES,
    ]  # fmt: skip
    sweep = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    # the bad cell (jobs 4 and 5) ran after the others, and the sweep's exit code says something failed
    assert sweep.returncode != 0
    refusal = "flip_prob = 0.1 (loss.flip_prob) has no meaning for the hinge loss"
    # said as each refused job ran and again at the end, as a paragraph: no traceback
    assert (sweep.stderr + sweep.stdout).count(refusal) == 3 and "Traceback" not in sweep.stderr + sweep.stdout
    directory = tmp_path / "sweep"
    states = {job: json.loads((directory / str(job) / "status.json").read_text())["status"] for job in range(6)}
    assert refusal in (directory / "4" / "train.log").read_text()
    assert states == {0: "completed", 1: "completed", 2: "completed", 3: "completed", 4: "config_error",
                      5: "config_error"}  # fmt: skip
    # each job trained with its own trick's patch
    configs = {job: yaml.safe_load((directory / str(job) / ".hydra" / "config.yaml").read_text()) for job in range(4)}
    assert [configs[job]["model"]["latent"]["distribution"] for job in range(4)] == ["uniform"] * 4  # mlp_toy's own
    assert [configs[job]["model"]["discriminator"]["dropout"] for job in range(4)] == [0.0, 0.0, 0.5, 0.5]

    assert main([str(directory)]) == 0
    report = json.loads((directory / "report.json").read_text())
    assert report["varied"] == ["trick"]
    (group,) = report["groups"]
    assert group["baseline"] == "trick=base"
    distance = next(table for table in group["scores"] if table["score"] == "val/toy_curve_distance")
    rows = {row["cell"]: row for row in distance["rows"]}
    assert set(rows) == {"trick=base", "trick=[drop,lin]", "trick=flip"}
    for cell, jobs in (("trick=base", (0, 1)), ("trick=[drop,lin]", (2, 3))):
        finals = [float(read_metrics(directory / str(job), "val/")[-1]["val/toy_curve_distance"]) for job in jobs]
        # each seed's value at its final evaluation, read from its metrics.csv, and their median
        assert [seed["value"] for seed in rows[cell]["seeds"]] == finals
        assert rows[cell]["counted"] == 2 and math.isclose(rows[cell]["median"], sum(finals) / 2, rel_tol=1e-12)
    # the refused cell was never trained: not run, so neither a value nor a failure
    assert rows["trick=flip"]["counted"] == 0 and rows["trick=flip"]["not_run"] == 2
    assert [seed["outcome"] for seed in rows["trick=flip"]["seeds"]] == ["not run", "not run"]
    assert rows["trick=flip"]["vs_baseline"]["verdict"] == "not compared: no seed of both cells counted"
    drop_lin = rows["trick=[drop,lin]"]["vs_baseline"]
    assert drop_lin["verdict"] == "inconclusive" and drop_lin["detectable"] is None  # 2 seeds cannot decide
    failures = [run for run in report["runs"] if run["state"] != "completed"]
    assert [(run["path"], run["state"]) for run in failures] == [("4", "config_error"), ("5", "config_error")]
    assert refusal in failures[0]["error"]
    markdown = (directory / "report.md").read_text()
    assert "| 4 | trick=flip | 0 | not run | refused before training: loss: flip_prob = 0.1" in markdown
    for picture in ("score_vs_step.png", "samples.png"):
        with Image.open(directory / picture) as image:
            assert image.format == "PNG" and image.width > 400 and image.height > 200
    assert "6 runs, 2 not completed" in capsys.readouterr().out

    # The same sweep again into its directory: completed jobs are skipped, an interrupted one and one killed
    # without warning (running, silent for an hour) are resumed, the refused ones are left as they were.
    for job, state in ((1, "interrupted"), (3, "running")):
        record = json.loads((directory / str(job) / "status.json").read_text())
        record.update(status=state, updated="2020-01-01T00:00:00+00:00")
        (directory / str(job) / "status.json").write_text(json.dumps(record))
    untouched = {job: (directory / str(job) / "metrics.csv").read_bytes() for job in (0, 2)}
    configs_written = {job: hydra_files_written(directory / str(job)) for job in range(6)}
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    logs = {job: (directory / str(job) / "train.log").read_text() for job in range(6)}
    assert "skipped: completed before" in logs[0] and "skipped: completed before" in logs[2]
    assert "(interrupted) from" in logs[1] and "(stale: killed without warning) from" in logs[3]
    assert "nothing left to train" in logs[1]  # their checkpoints were taken at the end
    assert "skipped: ended config_error: left as it is (rerun_failed=true runs it again)" in logs[4]
    states = {job: json.loads((directory / str(job) / "status.json").read_text())["status"] for job in range(6)}
    assert refusal in (directory / "4" / "train.log").read_text()
    assert list(states.values()) == ["completed"] * 4 + ["config_error"] * 2
    assert {job: (directory / str(job) / "metrics.csv").read_bytes() for job in (0, 2)} == untouched
    # Hydra rewrote no skipped job's .hydra/ (nor would it a refused one's); a resumed job's, ganlab did
    rewritten = {job for job in range(6) if hydra_files_written(directory / str(job)) != configs_written[job]}
    assert rewritten == {1, 3}
    assert yaml.safe_load((directory / "1" / ".hydra" / "overrides.yaml").read_text())[:2] == [
        "model=mlp_toy",
        "data=toy_quadratic",
    ]
    assert [row["step"] for row in read_metrics(directory / "1")] == [str(step) for step in range(6)]
