"""Seeds packed into one process (hydra/launcher=packed) against the same seeds one after another (Hydra's basic
launcher) and side by side (hydra/launcher=joblib, two at a time): seed-iterations per second of a user's whole
command, in one process, the launchers alternating.

    python benchmarks/packed_seeds.py [--studies toy mlp_digits mlp_mnist cnn dcgan] [--packs 1 4 8 16]
                                      [--seeds-per-process 8] [--iterations N] [--rounds 1] [--json out.json]
                                      [--evaluations]

Each study is a sweep of K seeds (K from --packs) of a short run; the packed launcher trains them in packs of
--seeds-per-process (default K: one pack). Seed-iterations per second is K x the run's iterations over the
command's wall time (start-up, data and checkpoints included). By default the runs train only (metric=none, no
pictures), which is what packing changes; --evaluations keeps ganlab's default observers, which run per seed
in a pack as alone. The MNIST studies read the 10 000 test digits from $GANLAB_DATA_DIR/MNIST/raw (default:
../shared/data/mnist beside the checkout, linked into a scratch directory). Not run by pytest (docs/speed.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from concurrent_sweeps import CHECKOUT, MNIST, mnist_data_dir
from concurrent_sweeps import run as timed

# (overrides, iterations): lengths that take a minute or less a seed on 2 cores
STUDIES = {
    "toy": (["experiment=toy_curve"], 300),
    "mlp_digits": (["model=mlp", "data=digits"], 1000),
    "mlp_mnist": (["model=mlp", *MNIST], 1000),
    "cnn": (["model=cnn", *MNIST], 100),
    "dcgan": (["model=dcgan", *MNIST], 20),
}
TRAINING_ONLY = ["metric=none", "callbacks.samples=null", "callbacks.progress=null", "callbacks.spot_the_fake=null",
                 "callbacks.interpolation=null", "callbacks.curves=null", "callbacks.memorization=null",
                 "callbacks.feature_space=null"]  # fmt: skip


def launchers(seeds_per_process: int) -> dict[str, list[str]]:
    return {
        "basic": ["hydra/launcher=basic"],  # named: experiment=toy_curve chooses the packed one
        "joblib": ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
        "packed": ["hydra/launcher=packed", f"hydra.launcher.seeds_per_process={seeds_per_process}"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", nargs="+", choices=sorted(STUDIES), default=["toy", "mlp_digits", "cnn"])
    parser.add_argument("--packs", nargs="+", type=int, default=[1, 4, 8])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seeds-per-process", type=int, help="a pack's size (default: K, all seeds in one pack)")
    parser.add_argument("--iterations", type=int, help="each run's length (default: the study's, in STUDIES)")
    parser.add_argument("--evaluations", action="store_true", help="keep ganlab's default observers")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="packed_seeds_"))
    env = {**os.environ, "GANLAB_DATA_DIR": mnist_data_dir(scratch), "PYTHONPATH": str(CHECKOUT / "src")}
    train = [sys.executable, "-m", "ganlab.train", "--multirun"]
    observers = [] if arguments.evaluations else TRAINING_ONLY
    print(f"{os.cpu_count()} cores; {arguments.rounds} round(s); scratch {scratch}")
    print(
        "| study | K (a pack) | one after another, seed-it/s | joblib x2, seed-it/s | packed, seed-it/s "
        "| packed / one after another | packed / joblib |"
    )
    print("|---|---|---|---|---|---|---|")
    rows = []
    for study in arguments.studies:
        overrides, iterations = STUDIES[study]
        iterations = arguments.iterations or iterations
        for seeds in arguments.packs:
            sweep = [*overrides, *observers, f"trainer.max_steps={iterations}",
                     "seed=" + ",".join(str(seed) for seed in range(seeds))]  # fmt: skip
            per_process = min(seeds, arguments.seeds_per_process or seeds)
            times = dict.fromkeys(launchers(per_process), 0.0)
            for round_number in range(arguments.rounds):
                for name, choice in launchers(per_process).items():
                    folder = scratch / study / f"{seeds}-{name}-{round_number}"
                    times[name] += timed([*train, *sweep, *choice, f"hydra.sweep.dir={folder}"], scratch, env)
            rate = {name: round(seeds * iterations * arguments.rounds / seconds, 1) for name, seconds in times.items()}
            row = {"study": study, "seeds": seeds, "seeds_per_process": per_process, "iterations": iterations,
                   "seed_iterations_per_second": rate,
                   "packed_over_basic": round(times["basic"] / times["packed"], 2),
                   "packed_over_joblib": round(times["joblib"] / times["packed"], 2)}  # fmt: skip
            rows.append(row)
            print(f"| {study} | {seeds} ({per_process}) | {rate['basic']} | {rate['joblib']} | {rate['packed']} "
                  f"| {row['packed_over_basic']} | {row['packed_over_joblib']} |", flush=True)  # fmt: skip
    if arguments.json:
        arguments.json.write_text(json.dumps({"cores": os.cpu_count(), "rounds": arguments.rounds, "rows": rows,
                                              "evaluations": arguments.evaluations}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
