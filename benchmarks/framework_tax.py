"""What ganlab costs per iteration against the training loop a person would write by hand, side by side.

    GANLAB_DATA_DIR=... python benchmarks/framework_tax.py [--models mlp cnn dcgan] [--iterations 300]
        [--device cpu|cuda] [--json tax.json] [--override data.image_size=32 ...]
        [--variant compile.enabled=true,channels_last=true ...] [--block 20]

For each model, in this one process and on one device, over MNIST (the split given by --split, read
from $GANLAB_DATA_DIR, never downloaded) at batch 64:

- `ganlab`: `python -m ganlab.train model=<m> data=mnist metric=none`'s Trainer path at its defaults
  (a metrics.csv row per iteration, pictures, checkpoints, status, and the progress lines a job writing to
  a file gets);
- `hand-written`: a plain loop over the same networks (built by ganlab from the same config, so the same
  weights), the same loss and optimizers and the same batches (ganlab's resident uint8 tensor, indexed):
  one D update on real and fresh fake samples, then one G update, as ganlab's iteration does;
- `DataLoader`: the same loop fed as PyTorch's dcgan example feeds it, which is where most GAN scripts
  start: torchvision's MNIST data set, each image turned into a tensor and normalized to the generator's
  range (`ToTensor`, `Normalize`; zero-padded first at `data.image_size=32`), and a shuffling DataLoader
  with 2 worker processes (its last, incomplete batch dropped, so that every iteration sees 64 images).

The last column measures them again in one training run, alternating blocks of --block iterations
(`Alternate`): after every Trainer block a callback runs a hand-written block, so a slow stretch of a
shared machine slows every path; the Trainer's blocks alternate between ganlab's training step and the
hand-written step in its place, which splits ganlab's cost into Lightning's loop and ganlab's own step.

Each --variant (comma-separated overrides) times ganlab once more with those settings, against the same
eager hand-written loop: how far torch.compile, channels_last or bf16 take it past what a plain loop does.
Each is timed over --iterations after --warmup iterations (the device synchronized at both ends). The
table gives iterations/s and each path's ratio to the hand-written loop; --json writes it. Not run by
pytest: speeds are measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterable, Iterator

import pytorch_lightning as pl
import torch
from hydra import compose, initialize_config_module
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from ganlab.build import build_datamodule, build_module, build_run
from ganlab.data.batching import TensorBatches
from ganlab.data.mnist import SplitMNIST
from ganlab.lightning_fastpath.direct_cuda_check import NVML_CUDA_CHECK

EXTRA: list[str] = []  # --override values, for every path

# the progress display of a job whose output is a file (a line every tenth of the run), wherever this runs: a bar
# on a terminal would redraw into the table, and switching it off would leave out its hooks (~13 us an MLP iteration)
PROGRESS_LINES = (
    "trainer.enable_progress_bar=true",
    "callbacks.progress_bar._target_=ganlab.callbacks.progress_bar.ProgressLines",
    "~callbacks.progress_bar.enabled",
)


def config(model: str, device: str, split: str, iterations: int, output_dir: str, variant: tuple[str, ...] = ()):
    with initialize_config_module("ganlab.conf", version_base="1.3"):
        return compose(
            "train",
            overrides=[
                f"model={model}", "data=mnist", f"data.split={split}", "data.download=false", "metric=none",
                f"trainer.accelerator={device}", f"trainer.max_steps={iterations}",
                *PROGRESS_LINES, "trainer.enable_model_summary=false",
                f"paths.output_dir={output_dir}", *EXTRA, *variant,
            ],
        )  # fmt: skip


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Clock(pl.Callback):
    """Seconds from the end of iteration `warmup` to the end of iteration `last`. The device is synchronized
    there alone: a wait at every iteration would cost ganlab what the hand-written loop does not pay."""

    def __init__(self, warmup: int, last: int) -> None:
        self.warmup, self.last, self.start, self.end = warmup, last, 0.0, 0.0

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.iteration in (self.warmup, self.last):
            synchronize(pl_module.device)
            self.end = time.perf_counter()
            if pl_module.iteration == self.warmup:
                self.start = self.end


def time_ganlab(
    model: str, device: str, split: str, warmup: int, iterations: int, variant: tuple[str, ...] = ()
) -> float:
    with tempfile.TemporaryDirectory() as output_dir:
        cfg = config(model, device, split, warmup + iterations, output_dir, variant)
        pl.seed_everything(cfg.seed)
        datamodule, module, trainer = build_run(cfg)
        clock = Clock(warmup, warmup + iterations)
        trainer.callbacks.append(clock)
        trainer.fit(module, datamodule=datamodule)
    return iterations / (clock.end - clock.start)


def endless(batches: Iterable[torch.Tensor]) -> Iterator[torch.Tensor]:
    while True:
        yield from batches


def plain_step(generator, discriminator, loss, latent, g_opt, d_opt, real: torch.Tensor) -> dict[str, torch.Tensor]:
    """The hand-written iteration: one D update on `real` and fresh fake samples, then one G update."""
    n = real.shape[0]
    with torch.no_grad():
        fake = generator(latent.sample(n, device=real.device))
    d_loss = loss.discriminator_loss(discriminator(real), discriminator(fake))
    d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    d_opt.step()
    g_loss = loss.generator_loss(discriminator(generator(latent.sample(n, device=real.device))))
    g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    g_opt.step()
    return {"train/d_loss": d_loss.detach(), "train/g_loss": g_loss.detach()}


def plain_training_step(module, trainer: pl.Trainer):
    """The hand-written iteration as the training step of ganlab's module in ganlab's Trainer: its networks
    and unwrapped optimizers, none of Lightning's backward and step wrappers. Lightning counts optimizer
    steps through those wrappers, so this counts its two itself, on a private counter (benchmark code
    only: without it `max_steps` would never be reached)."""
    steps = trainer.fit_loop.epoch_loop.manual_optimization.optim_step_progress

    def training_step(real: torch.Tensor, batch_idx: int) -> None:
        g_opt, d_opt = module.optimizers(use_pl_optimizer=False)
        parts = (module.generator, module.discriminator, module.loss, module.latent, g_opt, d_opt)
        module.latest_losses = plain_step(*parts, real)  # as ganlab's step leaves them for its callbacks
        for _ in range(2):
            steps.increment_ready()
            steps.increment_completed()

    return training_step


class HandWrittenLoop:
    """The loop a person writes without a framework, over networks, loss, optimizers and batches built by
    ganlab from `cfg` (so the same initial weights); fed by ganlab's resident batches, or by a per-image
    DataLoader."""

    def __init__(self, cfg, device: str, dataloader: bool) -> None:
        pl.seed_everything(cfg.seed)
        datamodule = build_datamodule(cfg)
        module = build_module(cfg, datamodule.data_shape)
        self.device = torch.device("cuda" if device in ("cuda", "gpu") else "cpu")
        self.generator, self.discriminator = module.generator.to(self.device), module.discriminator.to(self.device)
        self.loss, self.latent = module.loss, module.latent
        self.g_opt, self.d_opt = module.configure_optimizers()
        if dataloader:
            batches = ImagesOnly(DataLoader(
                torchvision_mnist(cfg, datamodule.data_shape[-1], datamodule.value_range),
                batch_size=datamodule.batch_size, shuffle=True, drop_last=True, num_workers=2,
            ))  # fmt: skip
        else:
            images = datamodule.images.to(self.device)
            batches = TensorBatches(images, datamodule.batch_size, datamodule.value_range, cfg.seed)
        self.stream = endless(batches)

    def step(self) -> None:
        real = next(self.stream).to(self.device, non_blocking=True)
        plain_step(self.generator, self.discriminator, self.loss, self.latent, self.g_opt, self.d_opt, real)

    def seconds(self, iterations: int) -> float:
        """Wall time of `iterations` steps, the device synchronized at both ends."""
        synchronize(self.device)
        start = time.perf_counter()
        for _ in range(iterations):
            self.step()
        synchronize(self.device)
        return time.perf_counter() - start


@contextlib.contextmanager
def without_nvml_check() -> Iterator[None]:
    """A script without Lightning asks torch for CUDA directly, not through NVML (ganlab's training does too)."""
    nvml_check = os.environ.pop(NVML_CUDA_CHECK, None)
    try:
        yield
    finally:
        if nvml_check is not None:
            os.environ[NVML_CUDA_CHECK] = nvml_check


def time_loop(model: str, device: str, split: str, warmup: int, iterations: int, dataloader: bool) -> float:
    """Iterations/s of the hand-written loop, fed by ganlab's resident batches or by a per-image DataLoader."""
    with tempfile.TemporaryDirectory() as output_dir:
        cfg = config(model, device, split, warmup + iterations, output_dir)
    with without_nvml_check():
        loop = HandWrittenLoop(cfg, device, dataloader)
        loop.seconds(warmup)
        return iterations / loop.seconds(iterations)


class Alternate(pl.Callback):
    """After `warmup` iterations, runs a block of `block` hand-written iterations after every block of the
    Trainer's, in the same process, so that all see the same state of a shared machine: a slow minute slows
    each. The Trainer's blocks alternate between ganlab's training step and the hand-written one put in its
    place (Lightning's loop around a plain step). Each Trainer block is timed from the end of the
    hand-written block before it to the end of its own last iteration."""

    def __init__(self, loop: HandWrittenLoop, warmup: int, iterations: int, block: int, plain_step) -> None:
        self.loop, self.warmup, self.iterations, self.block = loop, warmup, iterations, block
        self.plain_step = plain_step
        self.seconds: dict[str, list[float]] = {"ganlab": [], "plain_step_in_trainer": [], "hand_written": []}
        self.path = "ganlab"
        self.resumed: float | None = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        done = pl_module.iteration - self.warmup
        if done < 0 or done % self.block:
            return
        synchronize(pl_module.device)
        if self.resumed is not None:
            self.seconds[self.path].append(time.perf_counter() - self.resumed)
            self.path = "plain_step_in_trainer" if self.path == "ganlab" else "ganlab"
            if self.path == "ganlab":
                del pl_module.training_step  # the class's own again
            else:
                pl_module.training_step = self.plain_step
        if done < self.iterations:
            self.seconds["hand_written"].append(self.loop.seconds(self.block))
        self.resumed = time.perf_counter()


def time_alternating(model: str, device: str, split: str, warmup: int, iterations: int, block: int) -> dict:
    """Iterations/s of ganlab, of the hand-written step in ganlab's Trainer and of the hand-written loop,
    measured in alternating blocks of one run, and the milliseconds per iteration that Lightning's loop and
    ganlab's step add (medians of the blocks)."""
    block = max(1, min(block, iterations // 4))
    iterations -= iterations % (2 * block)
    with tempfile.TemporaryDirectory() as output_dir:
        cfg = config(model, device, split, warmup + iterations, output_dir)
        loop = HandWrittenLoop(cfg, device, dataloader=False)
        with without_nvml_check():
            loop.seconds(warmup)
        pl.seed_everything(cfg.seed)
        datamodule, module, trainer = build_run(cfg)
        alternate = Alternate(loop, warmup, iterations, block, plain_training_step(module, trainer))
        trainer.callbacks.append(alternate)
        trainer.fit(module, datamodule=datamodule)
    seconds = alternate.seconds
    speed = {path: len(times) * block / sum(times) for path, times in seconds.items()}
    # each ganlab block with the hand-written block before it
    pairs = sorted(hand / ganlab for ganlab, hand in zip(seconds["ganlab"], seconds["hand_written"][::2], strict=True))
    per_iteration = {path: statistics.median(times) * 1e3 / block for path, times in seconds.items()}
    return {
        "block": block, "blocks": len(pairs), **speed,
        "ratio": speed["ganlab"] / speed["hand_written"], "median_block_ratio": pairs[len(pairs) // 2],
        "lightning_loop_ms": per_iteration["plain_step_in_trainer"] - per_iteration["hand_written"],
        "ganlab_step_ms": per_iteration["ganlab"] - per_iteration["plain_step_in_trainer"],
    }  # fmt: skip


def torchvision_mnist(cfg, size: int, value_range: tuple[float, float]) -> Dataset:
    """MNIST's split as the dcgan example reads it: PIL images, `ToTensor` ([0, 1]), `Normalize` to `value_range`."""
    low, high = value_range
    pad = [transforms.Pad((size - 28) // 2)] if size != 28 else []
    normalize = transforms.Normalize((-low / (high - low),), (1 / (high - low),))  # [0, 1] -> [low, high]
    # torchvision's MNIST class, content with the files of its own split as ganlab's loader is
    return SplitMNIST(
        cfg.data.root, train=cfg.data.split == "train", download=False,
        transform=transforms.Compose([*pad, transforms.ToTensor(), normalize]),
    )  # fmt: skip


class ImagesOnly:
    """The images of a labelled DataLoader's batches, epoch after epoch."""

    def __init__(self, loader: DataLoader) -> None:
        self.loader = loader

    def __iter__(self) -> Iterator[torch.Tensor]:
        return (images for images, _labels in self.loader)


def time_variant(timing: tuple, variant: tuple[str, ...], hand: float) -> float | str:
    """ganlab's ratio to the hand-written loop under `variant`; what went wrong, when it could not run."""
    try:
        return round(time_ganlab(*timing, variant) / hand, 3)
    except Exception as error:  # noqa: BLE001 - one setting failing on this device should not lose the table
        return f"failed: {type(error).__name__}: {str(error).splitlines()[0][:120]}"


def alternating(result: dict) -> str:
    """The alternating measurement's ratio, the median of its block pairs' ratios, and their number."""
    return (
        f"{result['ratio']:.3f} (median {result['median_block_ratio']:.3f} of {result['blocks']} pairs; "
        f"{result['lightning_loop_ms']:+.3f} ms Lightning's loop, {result['ganlab_step_ms']:+.3f} ms ganlab's step)"
    )


def print_table(device_name: str, args: argparse.Namespace, variants: list[tuple[str, ...]], rows: list[dict]) -> None:
    print(
        f"device: {device_name}; batch 64, MNIST {args.split} split {' '.join(args.override)}; "
        f"{args.iterations} iterations after {args.warmup}"
    )
    print(
        "| model | hand-written it/s | ganlab it/s | ganlab / hand | DataLoader it/s | DataLoader / hand "
        "| ganlab / DataLoader | ganlab / hand, alternating |"
        + "".join(f" {','.join(variant)} / hand |" for variant in variants)
    )
    print("|---|---|---|---|---|---|---|---|" + "---|" * len(variants))
    for row in rows:
        print(
            f"| {row['model']} | {row['hand_written']} | {row['ganlab']} | {row['ganlab_ratio']} | {row['dataloader']} "
            f"| {row['dataloader_ratio']} | {row['ganlab_over_dataloader']} | {alternating(row['alternating'])} |"
            + "".join(f" {ratio} |" for ratio in row["variants"].values()),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn", "dcgan"])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--split", default="test", choices=["train", "test"])
    parser.add_argument("--block", type=int, default=20, help="iterations per block of the alternating measurement")
    parser.add_argument("--json", help="also write the table here (after each model)")
    parser.add_argument("--override", action="append", default=[], help="a Hydra override for all paths")
    parser.add_argument(
        "--variant", action="append", default=[], help="comma-separated overrides: one more ganlab column"
    )
    args = parser.parse_args()
    variants = [tuple(variant.split(",")) for variant in args.variant]
    EXTRA.extend(args.override)
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    rows = []
    for model in args.models:
        timing = (model, args.device, args.split, args.warmup, args.iterations)
        hand = time_loop(*timing, dataloader=False)
        ganlab = time_ganlab(*timing)
        loader = time_loop(*timing, dataloader=True)
        alternating_result = {
            key: round(value, 3) for key, value in time_alternating(*timing, block=args.block).items()
        }
        rows.append({
            "model": model, "hand_written": round(hand, 1), "ganlab": round(ganlab, 1), "dataloader": round(loader, 1),
            "ganlab_ratio": round(ganlab / hand, 3), "dataloader_ratio": round(loader / hand, 3),
            "ganlab_over_dataloader": round(ganlab / loader, 2), "alternating": alternating_result,
            "variants": {",".join(variant): time_variant(timing, variant, hand) for variant in variants},
        })  # fmt: skip
        print_table(device_name, args, variants, rows[-1:])
        if args.json:  # after each model, so that a run cut short keeps what it measured
            with open(args.json, "w") as file:
                json.dump({"device": device_name, "iterations": args.iterations, "rows": rows}, file, indent=2)
    print_table(device_name, args, variants, rows)


if __name__ == "__main__":
    main()
