"""Torch asks for CUDA directly during `fit`, not through NVML, and Lightning's setting is back afterwards.

Importing Lightning sets PYTORCH_NVML_BASED_CUDA_CHECK=1 for the whole process, so that asking how many
GPUs there are does not start CUDA before DDP workers fork. Torch's Adam asks `torch.cuda.is_available()`
at every step, and through NVML that costs a tenth of a small MLP's iteration on a CPU (docs/speed.md).
By `on_fit_start` every process exists, so the setting can go; it comes back when `fit` ends, however it
ends: a callback's `teardown` runs only on a normal end, so a failed, diverged or interrupted fit restores
it in `on_exception` (a later job of a sequential sweep may start DDP workers again).
"""

from __future__ import annotations

import os

import pytorch_lightning as pl

NVML_CUDA_CHECK = "PYTORCH_NVML_BASED_CUDA_CHECK"


class DirectCudaCheck(pl.Callback):
    def __init__(self) -> None:
        self._lightning_setting: str | None = None

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._lightning_setting = os.environ.pop(NVML_CUDA_CHECK, None)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._restore()

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._restore()

    def _restore(self) -> None:
        if self._lightning_setting is not None:
            os.environ[NVML_CUDA_CHECK] = self._lightning_setting
            self._lightning_setting = None
