"""Looking at the networks without changing their training."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


@contextmanager
def evaluating(*networks: nn.Module) -> Iterator[None]:
    """Eval mode (dropout off, BatchNorm on its running statistics), no gradients, and torch's global RNG
    (CPU and CUDA) put back afterwards, so whatever runs inside - torchmetrics' InceptionScore shuffles with
    the global RNG - leaves the next training step exactly as it would have been. Modes are restored."""
    modes = [network.training for network in networks]
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        for network in networks:
            network.eval()
        try:
            yield
        finally:
            for network, mode in zip(networks, modes, strict=True):
                network.train(mode)
