"""Where a ganlab run's time goes on a GPU: the host waits per iteration and the GPU's busy share.

    GANLAB_DATA_DIR=... python benchmarks/gpu_profile.py [overrides ...]
    python benchmarks/gpu_profile.py model=dcgan data=mnist data.image_size=32

Trains `--iterations` iterations after `--warmup` on the GPU (`metric=none` unless an override names one) and
prints, for that span:

- every place that made the host wait for the device (torch's sync debug mode), by count and call site: a
  wait at every iteration stops the host from queueing the next one while the GPU works;
- the GPU's kernel time per iteration (torch.profiler, over the same span) against the wall time of as many
  iterations just before it, unprofiled. A small share means the step is bound by the host (Python, kernel
  launches, Lightning's loop), not by the GPU's arithmetic.

Not run by pytest; docs/speed.md (On a GPU) quotes what it found on an H100.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
import traceback
import warnings

import pytorch_lightning as pl
import torch
from hydra import compose, initialize_config_module
from torch.profiler import ProfilerActivity, profile

from ganlab.build import build_run


class Census(pl.Callback):
    """Wall time over iterations [start - count, start); host waits by call site and the profiler's kernel time
    over [start, start + count)."""

    def __init__(self, start: int, count: int) -> None:
        self.start, self.count = start, count
        self.waits: collections.Counter[str] = collections.Counter()
        self.profiler = profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
        self.wall = 0.0

    def record_wait(self, message, category, filename, lineno, file=None, line=None) -> None:
        if "synchroniz" not in str(message):
            return
        frames = [
            frame
            for frame in traceback.extract_stack()[:-1]
            if "ganlab" in frame.filename or "lightning" in frame.filename
        ]
        site = " <- ".join(f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}" for frame in frames[::-1][:3])
        self.waits[site] += 1

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if pl_module.iteration == self.start - self.count:
            torch.cuda.synchronize()
            self.wall = time.perf_counter()
        if pl_module.iteration == self.start:
            torch.cuda.synchronize()
            self.wall = time.perf_counter() - self.wall
            self.profiler.__enter__()
            self.showwarning = warnings.showwarning
            warnings.simplefilter("always")
            warnings.showwarning = self.record_wait
            torch.cuda.set_sync_debug_mode("warn")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.iteration == self.start + self.count:
            torch.cuda.set_sync_debug_mode("default")
            warnings.showwarning = self.showwarning
            torch.cuda.synchronize()
            self.profiler.__exit__(None, None, None)

    def kernel_seconds(self) -> float:
        return (
            sum(
                event.self_device_time_total
                for event in self.profiler.key_averages()
                if event.device_type == torch.autograd.DeviceType.CUDA
            )
            / 1e6
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--warmup", type=int, default=100, help="iterations before the span (at least 2 x --iterations)"
    )
    parser.add_argument("--iterations", type=int, default=50, help="iterations in the span")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, as on the ganlab.train command line")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        parser.error("no CUDA GPU: this profiles a run on one")
    if args.warmup < 2 * args.iterations:
        parser.error("--warmup must be at least twice --iterations: the unprofiled span comes before the profiled one")
    with tempfile.TemporaryDirectory() as output_dir, initialize_config_module("ganlab.conf", version_base="1.3"):
        metric = [] if any(override.startswith("metric") for override in args.overrides) else ["metric=none"]
        cfg = compose(
            "train",
            overrides=[
                f"paths.output_dir={output_dir}", "trainer.accelerator=gpu", "trainer.enable_progress_bar=false",
                f"trainer.max_steps={args.warmup + args.iterations + 1}", *metric, *args.overrides,
            ],
        )  # fmt: skip
        pl.seed_everything(cfg.seed)
        datamodule, module, trainer = build_run(cfg)
        census = Census(args.warmup, args.iterations)
        trainer.callbacks.append(census)
        trainer.fit(module, datamodule=datamodule)
    per_iteration = 1000 / args.iterations
    kernel_ms, wall_ms = census.kernel_seconds() * per_iteration, census.wall * per_iteration
    span = f"iterations {args.warmup}-{args.warmup + args.iterations}"
    print(f"{torch.cuda.get_device_name()}; {' '.join(args.overrides)}; {span}")
    print(f"GPU kernel time {kernel_ms:.2f} ms of a {wall_ms:.2f} ms iteration ({kernel_ms / wall_ms:.0%} busy)")
    print("host waits (count in the span, call site innermost first):")
    for site, count in census.waits.most_common(12):
        print(f"{count:6d}  {site}")


if __name__ == "__main__":
    main()
