"""hydra/launcher=packed as a user runs it: a sweep's seeds trained in packs, each a run directory of its own
that the report reads as its seeds; other overrides make other packs; a rerun skips what completed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganlab.concurrent_jobs import machine_cores
from ganlab.packing.launch import Job, into_packs

TINY = ["trainer=debug", "trainer.max_steps=8", "metric.every_n_steps=0", "metric.num_samples=100",
        "metric.final_num_samples=200", "callbacks.progress=null", "callbacks.spot_the_fake=null",
        "callbacks.interpolation=null", "callbacks.curves=null", "callbacks.memorization=null"]  # fmt: skip


def packed_sweep(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [sys.executable, "-m", "ganlab.train", "--multirun", *args, *TINY, "hydra/launcher=packed",
         "hydra.sweep.dir=sweep"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip


def statuses(sweep: Path) -> dict[str, dict]:
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(sweep.glob("*/status.json"))}


def test_jobs_pack_by_their_overrides_but_the_seed():
    jobs = [Job(number, [f"trick={trick}", f"seed={seed}"], None) for number, (trick, seed) in
            enumerate((trick, seed) for trick in ("base", "flip") for seed in range(5))]  # fmt: skip
    packs = into_packs(jobs, seeds_per_process=3)
    assert [[job.number for job in pack] for pack in packs] == [[0, 1, 2], [3, 4], [5, 6, 7], [8, 9]]


def test_a_pack_of_seeds_leaves_runs_that_the_report_reads_as_seeds(tmp_path):
    result = packed_sweep(tmp_path, "seed=0,1")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "training a pack of 2 seeds" in result.stdout
    records = statuses(tmp_path / "sweep")
    assert [record["status"] for record in records.values()] == ["completed", "completed"]
    assert [record["overrides"][0] for record in records.values()] == ["seed=0", "seed=1"]
    report = subprocess.run([sys.executable, "-m", "ganlab.report", str(tmp_path / "sweep")], capture_output=True,
                            text=True)  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert "2 runs (2 completed)" in (tmp_path / "sweep" / "report.md").read_text()


def test_packs_run_side_by_side_each_in_a_process_with_its_share_of_the_cores(tmp_path):
    result = packed_sweep(tmp_path, "trick=base,flip", "seed=0,1", "hydra.launcher.n_jobs=2")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    cores = machine_cores()
    assert f"2 packs at once, each in a process of its own with {max(1, cores // 2)} of the {cores} cores" in (
        result.stdout
    )
    records = statuses(tmp_path / "sweep")
    assert [record["status"] for record in records.values()] == ["completed"] * 4
    assert {record["environment"]["cpu_threads"] for record in records.values()} == {max(1, cores // 2)}
    process_of_pack: dict[str, set[int]] = {}  # trick= (a pack) -> the processes that trained its seeds
    for record in records.values():
        process_of_pack.setdefault(record["overrides"][0], set()).add(record["process"]["pid"])
    assert [len(processes) for processes in process_of_pack.values()] == [1, 1]
    assert process_of_pack["trick=base"] != process_of_pack["trick=flip"]


@pytest.mark.slow  # four sweeps of six runs: ~45 s
def test_a_packed_sweep_leaves_each_seed_a_run_of_its_own(tmp_path):
    result = packed_sweep(tmp_path, "trick=base,flip", "seed=0,1,2", "hydra.launcher.seeds_per_process=2")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    sweep = tmp_path / "sweep"
    records = statuses(sweep)
    assert sorted(records) == [str(number) for number in range(6)]
    assert all(record["status"] == "completed" and record["iteration"] == 8 for record in records.values())
    assert records["4"]["overrides"][:2] == ["trick=flip", "seed=1"]  # each seed's status names its own job
    for number in records:
        run = sweep / number
        assert (run / "checkpoints" / "last.ckpt").is_file() and (run / "final_scores.json").is_file()
        assert (run / ".hydra" / "overrides.yaml").is_file()
        log = (run / "train.log").read_text()
        assert "iteration 8" in log  # its own evaluation ...
        seed = records[number]["overrides"][1].split("=")[1]
        for other in {"0", "1", "2"} - {seed}:  # ... and none of its pack siblings' building
            assert f"seed={other}" not in log
    # 2 packs of trick=base (seeds 0-1, then seed 2 alone) and 2 of flip
    assert result.stdout.count("pack of 2 seeds") == 2

    report = subprocess.run([sys.executable, "-m", "ganlab.report", str(sweep)], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    assert "6 runs (6 completed)" in (sweep / "report.md").read_text()

    again = packed_sweep(tmp_path, "trick=base,flip", "seed=0,1,2", "hydra.launcher.seeds_per_process=2")
    assert again.returncode == 0 and again.stdout.count("skipped: completed") == 6, again.stdout[-2000:]

    for number in ("0", "1"):  # two seeds of a pack stopped at their last checkpoint: continued as a pack
        record = {**records[number], "status": "interrupted", "signal": "SIGTERM", "checkpoint_saved": True}
        (sweep / number / "status.json").write_text(json.dumps(record))
    continued = packed_sweep(tmp_path, "trick=base,flip", "seed=0,1,2", "hydra.launcher.seeds_per_process=2")
    assert continued.returncode == 0, continued.stdout[-2000:]
    assert "continuing a pack of 2 seeds" in continued.stdout and "nothing left to train" in continued.stdout
    assert all(record["status"] == "completed" for record in statuses(sweep).values())


def test_a_pack_refused_before_training_says_why_in_every_seed_status(tmp_path):
    result = packed_sweep(tmp_path, "trick=spectral_norm", "seed=0,1")
    assert result.returncode != 0
    assert "spectral normalization (a parametrized layer) is not packed yet" in result.stderr
    assert "Traceback" not in result.stderr
    for record in statuses(tmp_path / "sweep").values():
        assert record["status"] == "config_error" and "use another launcher" in record["error"]
