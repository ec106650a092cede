"""A sweep's wall time with its jobs side by side (hydra/launcher=joblib) against one after another (Hydra's
basic launcher), the same jobs, commands timed from start to return, in one process.

    python benchmarks/concurrent_sweeps.py [--studies toy mlp cnn] [--seeds 4] [--rounds 1] [--json out.json]

Each study is a sweep over --seeds seeds of a short run, timed as a user's command (imports, data, the
evaluations and pictures of ganlab's defaults included); the launchers alternate, basic first, for --rounds
rounds, and the ratio is of the summed times. The MNIST studies read the 10 000 test digits from
$GANLAB_DATA_DIR/MNIST/raw (default: ../shared/data/mnist beside the checkout, linked into a scratch directory)
and train the digit classifier once before timing. Not run by pytest (docs/speed.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
SHARED_MNIST = CHECKOUT.parent / "shared" / "data" / "mnist"
MNIST = ["data=mnist", "data.split=test", "data.download=false"]

# a study's jobs: the experiments' models at lengths that take a minute or two one after another on 2 cores
STUDIES = {
    "toy": ["experiment=toy_curve", "trainer.max_steps=1000"],
    "mlp": ["model=mlp", *MNIST, "trainer.max_steps=1000"],
    "cnn": ["model=cnn", *MNIST, "trainer.max_steps=200"],
}
LAUNCHERS = {"basic": ["hydra/launcher=basic"], "joblib": ["hydra/launcher=joblib"]}  # toy_curve chooses packed


def mnist_data_dir(scratch: Path) -> str:
    """A data directory holding the MNIST test split: $GANLAB_DATA_DIR, or links to the shared copy."""
    if "GANLAB_DATA_DIR" in os.environ:
        return os.environ["GANLAB_DATA_DIR"]
    raw = scratch / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (raw / name).symlink_to(SHARED_MNIST / name)
    return str(scratch / "data")


def run(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", nargs="+", choices=sorted(STUDIES), default=["toy", "mlp", "cnn"])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="concurrent_sweeps_"))
    env = {**os.environ, "GANLAB_DATA_DIR": mnist_data_dir(scratch), "PYTHONPATH": str(CHECKOUT / "src")}
    train = [sys.executable, "-m", "ganlab.train"]
    seeds = "seed=" + ",".join(str(seed) for seed in range(arguments.seeds))
    print(f"{os.cpu_count()} cores; {arguments.seeds} jobs a sweep; {arguments.rounds} round(s); scratch {scratch}")
    print("| study | one after another, s | side by side (joblib), s | speed-up |")
    print("|---|---|---|---|")
    rows = []
    for study in arguments.studies:
        if "data=mnist" in STUDIES[study]:  # the classifier every MNIST run scores with, trained once, untimed
            run([sys.executable, "-m", "ganlab.classifier", *MNIST], scratch, env)
        times = {launcher: 0.0 for launcher in LAUNCHERS}
        for round_number in range(arguments.rounds):
            for launcher, choice in LAUNCHERS.items():
                sweep_dir = scratch / study / f"{launcher}-{round_number}"
                command = [*train, "--multirun", *STUDIES[study], *choice, seeds, f"hydra.sweep.dir={sweep_dir}"]
                times[launcher] += run(command, scratch, env)
        row = {"study": study, "basic_s": round(times["basic"], 1), "joblib_s": round(times["joblib"], 1),
               "speedup": round(times["basic"] / times["joblib"], 2), "arguments": STUDIES[study]}  # fmt: skip
        rows.append(row)
        print(f"| {study} | {row['basic_s']} | {row['joblib_s']} | {row['speedup']} |", flush=True)
    if arguments.json:
        arguments.json.write_text(json.dumps({"cores": os.cpu_count(), "seeds": arguments.seeds,
                                              "rounds": arguments.rounds, "rows": rows}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
