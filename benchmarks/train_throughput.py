"""Training throughput of a ganlab run: iterations per second after a warm-up.

    python benchmarks/train_throughput.py [overrides ...]
    python benchmarks/train_throughput.py trainer=gpu trainer.precision=bf16-mixed trainer.max_steps=3000

Composes ganlab's train.yaml with the overrides (as `python -m ganlab.train` would), trains into a
temporary directory and prints one JSON line: overrides, device, iterations timed, seconds,
iterations/s. The first `--warmup` iterations (CUDA init, allocator, first pictures) are not timed.
Evaluation is off (`metric=none`) unless an override names the metric: this times training.
Not run by pytest: speed is measured here, not asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import pytorch_lightning as pl
import torch
from hydra import compose, initialize_config_module

from ganlab.build import build_run


class IterationClock(pl.Callback):
    def __init__(self, warmup: int) -> None:
        self.warmup, self.start, self.end, self.timed = warmup, None, None, 0
        self.device = "unknown"

    def on_fit_start(self, trainer, pl_module) -> None:
        # read during training: Lightning moves the module back to the CPU when fit ends
        device = pl_module.device
        self.device = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type

    def _sync(self, pl_module: pl.LightningModule) -> None:
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize(pl_module.device)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        # the device waited for at the start and the end alone (at every iteration under an epoch budget, whose
        # last iteration is not known here): a wait per iteration would be timed as part of training
        last = trainer.max_steps // pl_module.optimizer_steps_per_iteration if trainer.max_steps > 0 else None
        if pl_module.iteration == self.warmup:
            self._sync(pl_module)
            self.start = time.perf_counter()
        elif pl_module.iteration > self.warmup and last in (None, pl_module.iteration):
            self._sync(pl_module)
            self.end, self.timed = time.perf_counter(), pl_module.iteration - self.warmup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warmup", type=int, default=100, help="iterations run before the clock starts")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, as on the ganlab.train command line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as output_dir, initialize_config_module("ganlab.conf", version_base="1.3"):
        config = compose(
            "train",
            overrides=[
                f"paths.output_dir={output_dir}",
                "trainer.enable_progress_bar=false",
                *([] if any(o.startswith("metric") for o in args.overrides) else ["metric=none"]),
                *args.overrides,
            ],
        )
        pl.seed_everything(config.seed)
        datamodule, module, trainer = build_run(config)
        clock = IterationClock(args.warmup)
        trainer.callbacks.append(clock)
        trainer.fit(module, datamodule=datamodule)
    if clock.start is None or clock.timed == 0:
        raise SystemExit(f"trainer.max_steps must exceed --warmup ({args.warmup}) to time anything")
    seconds = clock.end - clock.start
    print(json.dumps({
        "overrides": args.overrides, "device": clock.device, "iterations": clock.timed,
        "seconds": round(seconds, 3), "iterations_per_second": round(clock.timed / seconds, 1),
    }))


if __name__ == "__main__":
    main()
