"""benchmarks/framework_tax.py, as its docstring runs it, on a small MNIST written in the real format.

Speeds are measured there, never asserted here: this checks that the command still runs every path to the
end (the hand-written step it puts in ganlab's Trainer must still count the optimizer steps `max_steps`
waits for) and that its table and JSON say what they claim (ratios of the speeds beside them, as many
alternating blocks as the arguments ask for).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.data.on_disk import mnist_like, write_mnist_split

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "framework_tax.py"


def test_the_framework_tax_benchmark_times_every_path_and_reports_consistent_ratios(tmp_path):
    write_mnist_split(tmp_path / "data", "test", *mnist_like(320))  # 5 batches of 64 an epoch
    env = {**os.environ, "GANLAB_DATA_DIR": str(tmp_path / "data")}
    table = tmp_path / "tax.json"
    arguments = ["--models", "mlp", "--iterations", "16", "--warmup", "2", "--block", "4", "--json", str(table)]
    result = subprocess.run(
        [sys.executable, str(BENCHMARK), *arguments], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (row,) = json.loads(table.read_text())["rows"]
    assert row["model"] == "mlp" and min(row["hand_written"], row["ganlab"], row["dataloader"]) > 0
    assert abs(row["ganlab_ratio"] - row["ganlab"] / row["hand_written"]) < 0.01 * row["ganlab_ratio"]
    assert abs(row["dataloader_ratio"] - row["dataloader"] / row["hand_written"]) < 0.01 * row["dataloader_ratio"]
    alternating = row["alternating"]
    # 16 iterations in blocks of 4: two ganlab blocks, two with the plain step in the Trainer, four hand-written
    assert (alternating["block"], alternating["blocks"]) == (4, 2)
    assert min(alternating["ganlab"], alternating["plain_step_in_trainer"], alternating["hand_written"]) > 0
    assert abs(alternating["ratio"] - alternating["ganlab"] / alternating["hand_written"]) < 0.01
    assert f"| mlp | {row['hand_written']} | {row['ganlab']} | {row['ganlab_ratio']} |" in result.stdout
