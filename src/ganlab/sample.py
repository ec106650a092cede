"""`python -m ganlab.sample ckpt=PATH n=10000 out=samples.npz`: draw samples from a trained generator.

The generator is rebuilt from the checkpoint alone (its config and data shape are stored in it) and, when
the run kept one (trick=ema), the moving average of G's weights is used. Images are written as `arr_0`,
uint8, (n, H, W, C), the layout other GAN evaluation suites read, plus `<out>.png`, a grid of the first
64. Point data (the toy curve) is written as float32 (n, 2) in the networks' units.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

from ganlab.latent import LatentPrior
from ganlab.models.activations import output_range
from ganlab.plots import save_image_grid

log = logging.getLogger(__name__)
AVERAGE_PREFIX, GENERATOR_PREFIX = "generator_average.module.", "generator."


class SampleError(Exception):
    """A checkpoint or argument that cannot give samples; the message says why."""


def load_generator(checkpoint_path: str | Path) -> tuple[nn.Module, LatentPrior, tuple[float, float], bool]:
    """(generator in eval mode, its latent prior, its output range, whether it is G's moving average)."""
    path = Path(checkpoint_path).expanduser()
    if not path.is_file():
        raise SampleError(f"ckpt = {checkpoint_path}: no such file (a run keeps it at checkpoints/last.ckpt)")
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    hparams: dict[str, Any] = checkpoint.get("hyper_parameters", {})
    config, data_shape = hparams.get("config"), hparams.get("data_shape")
    if config is None or data_shape is None:
        raise SampleError(f"ckpt = {checkpoint_path}: not a ganlab checkpoint with its config and data shape")
    latent = instantiate(config["model"]["latent"])
    generator = instantiate(config["model"]["generator"], latent_dim=latent.dim, data_shape=tuple(data_shape))
    state = checkpoint["state_dict"]
    averaged = any(key.startswith(AVERAGE_PREFIX) for key in state)
    prefix = AVERAGE_PREFIX if averaged else GENERATOR_PREFIX
    generator.load_state_dict({key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)})
    return generator.eval(), latent, output_range(config["model"]["generator"]["output_activation"]), averaged


@torch.no_grad()
def draw(
    generator: nn.Module, latent: LatentPrior, n: int, batch_size: int = 500, seed: int = 0, device: str = "cpu"
) -> torch.Tensor:
    """n samples (float, on the CPU) from latents seeded by `seed`."""
    generator.to(device)
    latents = torch.Generator().manual_seed(seed)
    batches = [
        generator(latent.sample(min(batch_size, n - start), device=device, generator=latents)).float().cpu()
        for start in range(0, n, batch_size)
    ]
    return torch.cat(batches)


def to_uint8_nhwc(images: torch.Tensor, value_range: tuple[float, float]) -> np.ndarray:
    """Float (N, C, H, W) images in `value_range` -> uint8 (N, H, W, C)."""
    low, high = value_range
    pixels = ((images - low) / (high - low) * 255).round().clamp(0, 255).to(torch.uint8)
    return pixels.permute(0, 2, 3, 1).contiguous().numpy()


def sample(cfg: DictConfig) -> Path:
    """Write the samples `cfg` asks for; returns the npz path."""
    if OmegaConf.is_missing(cfg, "ckpt"):
        raise SampleError("ckpt is required: python -m ganlab.sample ckpt=outputs/<date>/<time>/checkpoints/last.ckpt")
    for key, least in (("n", 1), ("batch_size", 1), ("seed", 0)):
        if not isinstance(cfg[key], int) or isinstance(cfg[key], bool) or cfg[key] < least:
            raise SampleError(f"{key} = {cfg[key]!r}: must be an integer >= {least}")
    device = ("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else str(cfg.device)
    generator, latent, value_range, averaged = load_generator(cfg.ckpt)
    samples = draw(generator, latent, cfg.n, cfg.batch_size, cfg.seed, device)
    out = Path(cfg.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    if samples.dim() == 4:
        np.savez(out, to_uint8_nhwc(samples, value_range))
        save_image_grid(samples[:64], out.with_suffix(".png"), value_range)
    else:
        np.savez(out, samples.numpy().astype(np.float32))
    log.info("%d samples from %s (%s) written to %s", cfg.n, cfg.ckpt, "G's moving average" if averaged else "G", out)
    return out


@hydra.main(version_base="1.3", config_path="../../conf", config_name="sample")
def main(cfg: DictConfig) -> None:
    try:
        sample(cfg)
    except SampleError as error:
        print(f"ganlab.sample: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
