"""`python -m ganlab.sample ckpt=PATH n=10000 out=samples.npz`: draw samples from a trained generator.

The run's networks and tricks are rebuilt from the checkpoint alone (its config and data shape are stored
in it), and samples come from the generator the run's pictures came from: G's moving average when the run
kept one (trick=ema), else G. The checkpoint is data: its config's `_target_`s are built only when ganlab's
configs or the folders on the command's `hydra.searchpath` declare them (ganlab.declared_targets), unless
`trust_checkpoint=true` says the file is trusted. Images are written as `arr_0`,
uint8, (n, H, W, C), the layout other GAN evaluation suites read, plus `<out>.png`, a grid of the first
64. Point data (the toy curve) is written as float32 (n, 2) in the networks' units.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from omegaconf import DictConfig, OmegaConf

from ganlab.lightning_fastpath.process_exit import run_then_exit

if TYPE_CHECKING:
    import torch
    from torch import nn

    from ganlab.latent import LatentPrior

# torch, and through the networks Lightning, are imported once the arguments are checked, as in
# ganlab.train: they take seconds to import, and a missing ckpt or a bad n should answer at once.

log = logging.getLogger(__name__)


class SampleError(Exception):
    """A checkpoint or argument that cannot give samples; the message says why."""


def checkpoint_to_sample(checkpoint_path: str | Path) -> Path:
    path = Path(checkpoint_path).expanduser()
    if not path.is_file():
        raise SampleError(f"ckpt = {checkpoint_path}: no such file (a run keeps it at checkpoints/last.ckpt)")
    return path


def check_arguments(cfg: DictConfig) -> None:
    if OmegaConf.is_missing(cfg, "ckpt"):
        raise SampleError("ckpt is required: python -m ganlab.sample ckpt=outputs/<date>/<time>/checkpoints/last.ckpt")
    if not isinstance(cfg.get("trust_checkpoint", False), bool):
        raise SampleError(f"trust_checkpoint = {cfg.trust_checkpoint!r}: must be true or false")
    for key, least in (("n", 1), ("batch_size", 1), ("seed", 0)):
        if not isinstance(cfg[key], int) or isinstance(cfg[key], bool) or cfg[key] < least:
            raise SampleError(f"{key} = {cfg[key]!r}: must be an integer >= {least}")
    checkpoint_to_sample(cfg.ckpt)


def load_generator(
    checkpoint_path: str | Path, search_path: Sequence[str] = (), trust: bool = False
) -> tuple[nn.Module, LatentPrior, tuple[float, float], bool]:
    """(generator in eval mode, its latent prior, its output range, whether a trick replaced G for sampling:
    G's moving average). The stored config's targets must be declared by ganlab's configs or the `search_path`
    folders, unless `trust`."""
    from ganlab.models.activations import output_range
    from ganlab.stored_networks import NotRebuilt, rebuild

    try:
        stored = rebuild(checkpoint_to_sample(checkpoint_path), search_path, trust)
    except NotRebuilt as error:
        raise SampleError(f"ckpt = {error}") from None
    module = stored.module
    generator = module.sampling_generator
    value_range = output_range(stored.config["model"]["generator"]["output_activation"])
    return generator.eval(), module.latent, value_range, generator is not module.generator


def draw(
    generator: nn.Module, latent: LatentPrior, n: int, batch_size: int = 500, seed: int = 0, device: str = "cpu"
) -> torch.Tensor:
    """n samples (float, on the CPU) from latents seeded by `seed`."""
    import torch

    generator.to(device)
    latents = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        batches = [
            generator(latent.sample(min(batch_size, n - start), device=device, generator=latents)).float().cpu()
            for start in range(0, n, batch_size)
        ]
    return torch.cat(batches)


def output_file(out: str) -> Path:
    """The file np.savez writes for `out` (it adds .npz); refused before any sampling when its folder could not
    be made or written in. Nothing is made yet: a refusal later on (the device, the checkpoint) leaves no empty
    folder behind."""
    path = Path(out).expanduser()
    existing = next(folder for folder in path.absolute().parents if folder.exists())  # the root exists
    if not existing.is_dir():
        raise SampleError(f"out = {out}: cannot be written ({existing} is a file, not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SampleError(f"out = {out}: cannot be written (no permission to write in {existing})")
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def make_folder(written: Path, out: str) -> None:
    try:
        written.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # made or filled since output_file looked
        raise SampleError(f"out = {out}: cannot be written ({error})") from error


def resolve_device(device: str) -> str:
    """`device`, with auto resolved; refused when torch cannot name it or this machine has no such GPU."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        kind = torch.device(device).type
    except RuntimeError as error:
        raise SampleError(f"device = {device!r}: must be auto, cpu, cuda or cuda:<index>") from error
    if kind == "cuda" and not torch.cuda.is_available():
        raise SampleError(f"device = {device!r}: torch sees no CUDA GPU on this machine; use device=cpu or auto")
    return device


def search_path() -> list[str]:
    """The config folders the command was given ('hydra.searchpath=[file://my_conf]', --config-dir), as
    file:// and pkg:// entries; empty outside a Hydra app."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    sources = HydraConfig.get().runtime.config_sources
    return [f"{source.schema}://{source.path}" for source in sources
            if source.provider != "hydra" and source.schema in ("file", "pkg")]  # fmt: skip


def sample(cfg: DictConfig) -> Path:
    """Write the samples `cfg` asks for; returns the npz path."""
    check_arguments(cfg)
    written = output_file(cfg.out)
    import numpy as np

    from ganlab.images import to_uint8_nhwc
    from ganlab.plots import save_image_grid

    device = resolve_device(str(cfg.device))
    trust = bool(cfg.get("trust_checkpoint"))
    generator, latent, value_range, averaged = load_generator(cfg.ckpt, search_path(), trust)
    samples = draw(generator, latent, cfg.n, cfg.batch_size, cfg.seed, device)
    make_folder(written, cfg.out)
    if samples.dim() == 4:
        np.savez(written, to_uint8_nhwc(samples, value_range))
        save_image_grid(samples[:64], written.with_suffix(".png"), value_range)
    else:
        np.savez(written, samples.numpy().astype(np.float32))
    source = "a trick's stand-in for G" if averaged else "G"
    log.info("%d samples from %s (%s) written to %s", cfg.n, cfg.ckpt, source, written)
    return written


@hydra.main(version_base="1.3", config_path="pkg://ganlab.conf", config_name="sample")
def main(cfg: DictConfig) -> None:
    try:
        sample(cfg)
    except SampleError as error:
        print(f"ganlab.sample: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    run_then_exit(main)  # without the final garbage collection (ganlab.lightning_fastpath.process_exit)
